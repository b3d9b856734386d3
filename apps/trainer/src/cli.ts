#!/usr/bin/env node
import { Command, Option } from 'commander';
import type { AdapterMethodName } from '@harma/adapters';
import { configureLogging, initBackend, useBackend, type LogFormat } from '@harma/core';
import { checkConfigFiles } from './config/check-files';
import { loadTrainConfig } from './config/load-config';
import { adapterOption } from './commands/adapter-option';
import { infoCommand } from './commands/info';
import { shippedBackboneNames } from './model/backbone-name';
import { splitAnnotationsCommand } from './commands/split-annotations';
import { tokenizeCommand } from './commands/tokenize';
import { evaluateCommand, formatEvaluationRows } from './commands/evaluate';
import { exportCommand } from './commands/export';
import { indexCommand, serveCommand, serveUntilSignal, siteCommand } from '@harma/server';
import { trainCommand, type TrainFlags } from './commands/train';
import { superviseTraining } from './commands/train-supervisor';
import { demoCommand } from './commands/demo';
import { DEMO_PRESET, DEMO_TEST_PRESET } from './demo/demo-preset';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const BACKBONE_FOLDER = [
  '--backbone <folder>',
  "a Hugging Face CLIP folder (config.json, model.safetensors, tokenizer files) as the backbone, replacing the config's backbone section",
] as const;

/** `label` then the names, comma separated, wrapped at 80 columns under the first name. */
function wrapList(label: string, names: readonly string[]): string {
  const lines = [`  ${label}`];
  for (const [index, name] of names.entries()) {
    const item = index < names.length - 1 ? `${name}, ` : name;
    if (lines[lines.length - 1]!.length + item.trimEnd().length > 80) lines.push(' '.repeat(2 + label.length));
    lines[lines.length - 1] += item;
  }
  return lines.map((line) => line.trimEnd()).join('\n');
}

const program = new Command('harma')
  .description('HarMA: parameter-efficient adaptation of CLIP to remote-sensing image-text retrieval')
  .addOption(new Option('--log-format <format>', 'log lines as sentences or JSON (default: sentences on a terminal, JSON otherwise; env HARMA_LOG_FORMAT)').choices(['pretty', 'json']))
  .showHelpAfterError()
  .hook('preAction', (command) => {
    const format = command.opts<{ logFormat?: LogFormat }>().logFormat;
    if (format !== undefined) configureLogging({ format });
  });

program
  .command('train')
  .description('train adapters (or a full fine-tune) as the paper does; evaluates every epoch, keeps the best by validation r_mean')
  .requiredOption('-c, --config <file>', 'YAML training config')
  .option('--set <key=value>', 'override a config value (repeatable), e.g. --set training.lr=1e-4', collect, [])
  .option(...BACKBONE_FOLDER)
  .addOption(adapterOption())
  .addOption(new Option('--trainable <preset>', 'what trains').choices(['adapters', 'full']))
  .option('--epochs <n>', 'override training.epochs')
  .option('-o, --output <dir>', 'the run folder (default: the config\'s output, else runs/<name> in the working directory)')
  .option('--resume', 'continue the run saved in the output folder (Ctrl-C stops a run after the step in progress and prints this command)')
  .option('--checkpoint-every <steps>', 'also save the resumable state every this many steps')
  .option('--no-progress', 'no progress bar or progress log lines')
  .action(async (options: TrainFlags) => {
    // Started by a person or a script, this process only supervises: it stays free to hear a second
    // Ctrl-C while the training process (the same command, with a channel back here) computes a step.
    process.exitCode = process.send === undefined ? await superviseTraining() : await trainCommand(options);
  });

program
  .command('eval')
  .description('zero-shot and adapted recall on a split (tfjs, or ONNX Runtime with --model / --engine ort)')
  .requiredOption('-c, --config <file>', 'YAML config (model and data)')
  .option('--set <key=value>', 'override a config value (repeatable)', collect, [])
  .option(...BACKBONE_FOLDER)
  .option('--adapters <file>', 'adapters written by harma train (best.safetensors), or an official HarMA checkpoint / weight file holding them (read with the config\'s adapter options)')
  .option('--model <dir>', 'a folder written by harma export: evaluated as the adapted model on ONNX Runtime')
  .addOption(new Option('--engine <engine>', 'tfjs or ort (ort exports on the fly without --model)').choices(['tfjs', 'ort']))
  .addOption(new Option('--split <split>', 'which split').choices(['val', 'test', 'both']).default('test'))
  .option('--no-zero-shot', 'skip the plain backbone')
  .option('--json', 'print JSON instead of a table')
  .action(async (options: { config: string; set: string[]; backbone?: string; adapters?: string; model?: string; engine?: 'tfjs' | 'ort'; split: 'val' | 'test' | 'both'; zeroShot: boolean; json?: boolean }) => {
    const config = await loadTrainConfig(options.config, options.set, { backbone: options.backbone });
    // The backbone's files are read unless only an export is evaluated.
    checkConfigFiles(config, { backbone: options.zeroShot || options.model === undefined, splits: options.split === 'both' ? ['val', 'test'] : [options.split], source: options.config });
    await initBackend();
    const rows = await evaluateCommand(config, { adapters: options.adapters, model: options.model, engine: options.engine, split: options.split, zeroShot: options.zeroShot });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(rows.map((r) => ({ model: r.model, engine: r.engine, split: r.split, ...r.evaluation.metrics, diagnostics: r.evaluation.diagnostics })), null, 2)}\n`);
    } else process.stdout.write(`${formatEvaluationRows(rows)}\n`);
  });

program
  .command('export')
  .description('write the adapted model as a Hugging Face folder (onnx/vision_model.onnx, onnx/text_model.onnx, config.json, preprocessor_config.json, the tokenizer) for serving, transformers.js and the browser')
  .requiredOption('-c, --config <file>', 'YAML config (backbone, weights, vocabulary, adapter options)')
  .option('--set <key=value>', 'override a config value (repeatable)', collect, [])
  .option(...BACKBONE_FOLDER)
  .option('--adapters <file>', 'adapters written by harma train, or an official HarMA checkpoint holding them; without it the plain backbone is exported')
  .requiredOption('--out <dir>', 'output folder')
  .option('--no-quantize', 'skip the int8 variants')
  .option('--no-verify', 'skip the onnxruntime-node parity check')
  .action(async (options: { config: string; set: string[]; backbone?: string; adapters?: string; out: string; quantize: boolean; verify: boolean }) => {
    const config = await loadTrainConfig(options.config, options.set, { backbone: options.backbone });
    checkConfigFiles(config, { source: options.config });
    await initBackend();
    const result = await exportCommand(config, { adapters: options.adapters, out: options.out, quantize: options.quantize, verify: options.verify });
    const { vision, text } = result.export;
    process.stdout.write(
      `exported to ${options.out}: ${vision.file} ${(vision.bytes / 1e6).toFixed(1)} MB, ${text.file} ${(text.bytes / 1e6).toFixed(1)} MB` +
        `${result.maxDifference !== undefined ? `; max |ORT − tfjs| ${result.maxDifference.toExponential(2)}` : ''}\n`,
    );
  });

program.addCommand(
  serveCommand('serve', async (options) => {
    await serveUntilSignal(options);
  }).description('serve text-to-image and image-to-text search over a gallery folder (HTTP API + web page)'),
);

program.addCommand(indexCommand('index'));

program.addCommand(siteCommand('site'));

program
  .command('info')
  .description('parameter counts per group (no weights needed): ViT-B/32 + HarMA trains 5,934,397 of 157,211,710')
  .option('--backbone <name>', 'a shipped backbone config name (listed below) or an open_clip model config .json file', 'ViT-B-32')
  // The option's earlier name, kept working for scripts (hidden from the help).
  .addOption(new Option('--arch <name>', 'old name of --backbone').hideHelp().conflicts('backbone'))
  .addOption(adapterOption().default('harma'))
  .addOption(new Option('--trainable <preset>', 'what trains').choices(['adapters', 'full']).default('adapters'))
  .option('--json', 'print JSON')
  .addHelpText('after', () => `\nShipped backbone configs:\n${shippedBackboneNames().map(({ kind, names }) => wrapList(`${kind}: `, names)).join('\n')}`)
  .action(async (options: { backbone: string; arch?: string; adapter: AdapterMethodName; trainable: 'adapters' | 'full'; json?: boolean }) => {
    // Counting does no arithmetic: the cpu backend leaves the zero weights untouched (see countFor),
    // where the wasm backend would hold them all in its heap.
    await useBackend('cpu');
    process.stdout.write(`${await infoCommand({ ...options, backbone: options.arch ?? options.backbone })}\n`);
  });

program
  .command('split-annotations')
  .description("split a one-file caption data set (RSITMD's dataset_RSITMD.json, RSICD's dataset_rsicd.json) into the train/val/test annotation files a run config names")
  .argument('<file>', 'the dataset_*.json file: { images: [{ filename, split, sentences: [{ raw }] }] }')
  .requiredOption('--out <dir>', 'folder for <name>_train.json, <name>_val.json, <name>_test.json')
  .option('--val <n>', 'training images that validate, drawn at random, when the file has no val split')
  .option('--seed <seed>', 'seed of that draw', '0')
  .action(async (file: string, options: { out: string; val?: string; seed: string }) => {
    process.stdout.write(`${await splitAnnotationsCommand(file, { out: options.out, seed: options.seed, ...(options.val === undefined ? {} : { valImages: Number(options.val) }) })}\n`);
  });

program
  .command('tokenize')
  .description('captions from stdin, one per line → token ids as JSON lines (for debugging)')
  .requiredOption('--vocab <file>', 'vocabulary: open_clip .txt.gz, vocab.json (+ merges.txt), tokenizer.json')
  .option('--context-length <n>', 'context length', '77')
  .option('--pad', 'keep the zero padding')
  .action(async (options: { vocab: string; contextLength: string; pad?: boolean }) => {
    await tokenizeCommand({ vocab: options.vocab, contextLength: Number(options.contextLength), pad: options.pad }, process.stdin, process.stdout);
  });

program
  .command('demo')
  .description('offline demo: synthetic data, pretrain a small CLIP, adapt it with HarMA and CLIP-Adapter, compare with zero-shot; then a small CLIP ResNet with HarMA (not in --quick)')
  .option('-o, --output <dir>', 'folder for everything the demo writes', 'runs/demo')
  .option('--quick', 'a miniature of the same path (seconds): for smoke tests')
  .option('--fresh-data', 'draw the data sets again even if an earlier run left them')
  .option('--no-progress', 'no progress bars')
  .action(async (options: { output: string; quick?: boolean; freshData?: boolean; progress: boolean }) => {
    await initBackend();
    const table = await demoCommand({ output: options.output, preset: options.quick ? DEMO_TEST_PRESET : DEMO_PRESET, reuseData: !options.freshData, progress: options.progress });
    process.stdout.write(`${table}\n`);
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`harma: ${error instanceof Error ? error.message : String(error)}\n`);
  if (process.env.HARMA_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exitCode = 1;
});
