import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { getLogger, writeFileAtomic } from '@harma/core';
import { toOpenClipConfig, toOpenClipResNetConfig, trainBpeVocabulary, writeOpenClipVocabulary, type ClipConfig, type ClipResNetConfig } from '@harma/backbones';
import { generateSyntheticDataset, readSyntheticManifest, readTrainAnnotations, syntheticDatasetFiles } from '@harma/data';
import { formatMetricsTable, type RetrievalMetrics } from '@harma/metrics';
import { parseTrainConfig } from '../config/load-config';
import type { TrainConfig, TrainConfigInput } from '../config/train-config';
import { evaluateCommand } from '../commands/evaluate';
import { exportCommand } from '../commands/export';
import { runTraining, RUN_FILES } from '../train/run-training';
import { DEMO_PRESET, type DemoPreset, type DemoResNetPreset } from './demo-preset';

export interface DemoOptions {
  /** Folder of everything the demo writes. Default: `runs/demo`. */
  output?: string;
  preset?: DemoPreset;
  /** Progress bars / log lines during training. Default: true. */
  progress?: boolean;
  /** Keep generated data sets from an earlier run with the same preset. Default: true. */
  reuseData?: boolean;
}

export interface DemoMethodResult extends RetrievalMetrics {
  trainable: number;
  total: number;
  seconds: number;
}

/** What `runs/demo/summary.json` holds. */
export interface DemoSummary {
  seconds: number;
  methods: { 'zero-shot': DemoMethodResult; harma: DemoMethodResult; 'clip-adapter': DemoMethodResult };
  /** How the source-pretrained model does on its own style, for reference. */
  pretrainedOnSource: RetrievalMetrics | undefined;
  /** The second row, a small CLIP ResNet pretrained and adapted the same way (when the preset has one). */
  resnet?: DemoResNetSummary;
  preset: DemoPreset;
  files: { pretrained: string; harmaAdapters: string; vocabulary: string; modelConfig: string; model: string };
  /** Serves the HarMA model over the target test images: search them from a browser. */
  serveCommand: string;
  /** Publishes the target test images as a static site that searches them in the browser, with no server. */
  siteCommand: string;
}

/** The ResNet rows of `summary.json`. */
export interface DemoResNetSummary {
  methods: { 'zero-shot': DemoMethodResult; harma: DemoMethodResult };
  pretrainedOnSource: RetrievalMetrics | undefined;
  /** Pretraining's wall time, in seconds. */
  pretrainSeconds: number;
  files: { pretrained: string; harmaAdapters: string; modelConfig: string };
}

async function ensureDataset(dir: string, style: 'source' | 'target', preset: DemoPreset, reuse: boolean): Promise<void> {
  const counts = preset[style];
  if (reuse && existsSync(syntheticDatasetFiles(dir).manifest)) {
    const manifest = await readSyntheticManifest(dir);
    const same = manifest.seed === String(preset.seed) && manifest.size === preset.imageSize && manifest.counts.val === counts.val &&
      manifest.counts.test === counts.test && manifest.counts.train === counts.images - counts.val - counts.test;
    if (same) return;
  }
  await fs.rm(dir, { recursive: true, force: true });
  await generateSyntheticDataset(dir, { seed: preset.seed, style, images: counts.images, size: preset.imageSize, split: { val: counts.val, test: counts.test } });
}

/**
 * The embedded default, offline: draw a synthetic remote-sensing world in two styles, learn a
 * tokenizer vocabulary from its captions, pretrain a small CLIP on the source style (full
 * training), then freeze it and adapt it to the target style with HarMA and with CLIP-Adapter,
 * and compare both with zero-shot retrieval on the target test split; then (when the preset has
 * one) do the same with a small CLIP ResNet, zero-shot and HarMA only.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const started = performance.now();
  const preset = options.preset ?? DEMO_PRESET;
  const output = path.resolve(options.output ?? 'runs/demo');
  const logger = getLogger('demo');
  await fs.mkdir(output, { recursive: true });
  const sourceDir = path.join(output, 'data', 'source');
  const targetDir = path.join(output, 'data', 'target');

  logger.info('drawing the synthetic data sets (source and target style)');
  await ensureDataset(sourceDir, 'source', preset, options.reuseData ?? true);
  await ensureDataset(targetDir, 'target', preset, options.reuseData ?? true);
  const source = syntheticDatasetFiles(sourceDir);
  const target = syntheticDatasetFiles(targetDir);

  // The CLIP vocabulary is not ours to ship: the small model gets one learned from the captions.
  const captions = [...(await readTrainAnnotations(source.train)).captions, ...(await readTrainAnnotations(target.train)).captions].map((c) => c.caption);
  const vocabulary = trainBpeVocabulary(captions, { merges: preset.merges, source: 'demo captions' });
  const vocabularyFile = path.join(output, 'vocab.txt.gz');
  await writeOpenClipVocabulary(vocabularyFile, vocabulary);
  const modelConfig: ClipConfig = { ...preset.model, text: { ...preset.model.text, vocabSize: vocabulary.encoder.size } };
  const modelConfigFile = path.join(output, 'model-config.json');
  await writeFileAtomic(modelConfigFile, `${JSON.stringify(toOpenClipConfig(modelConfig), null, 2)}\n`);

  const base = (name: string, data: typeof source, weights: string[], backbone: { kind: 'clip' | 'clip-resnet'; config: string } = { kind: 'clip', config: modelConfigFile }): TrainConfigInput => ({
    name,
    seed: preset.seed,
    backbone: { ...backbone, weights, vocabulary: vocabularyFile },
    data: { train: [data.train], val: data.val, test: data.test, images: data.imageRoot, augment: 'none', workers: 1, cacheImages: true },
    training: { epochs: 1, lr: 1e-3 },
    evaluation: { batchSize: 128 },
    output: path.join(output, name),
  });
  const config = (input: TrainConfigInput): TrainConfig => parseTrainConfig(input, path.join(output, 'demo.yaml'));
  const fresh = async (dir: string): Promise<void> => fs.rm(dir, { recursive: true, force: true });

  logger.info('pretraining a small CLIP on the source style');
  const pretrainConfig = config({
    ...base('pretrain', source, []),
    adapter: { type: 'none' },
    training: {
      epochs: preset.pretrain.epochs, batchSize: preset.pretrain.batchSize, lr: preset.pretrain.lr, weightDecay: preset.pretrain.weightDecay,
      trainable: 'full', temperature: 0.07,
    },
  });
  await fresh(pretrainConfig.output);
  const pretrain = await runTraining(pretrainConfig, { progress: options.progress, skipTest: false });
  const pretrained = path.join(pretrainConfig.output, RUN_FILES.best);

  logger.info('zero-shot retrieval on the target style');
  const targetBase = base('zero-shot', target, [pretrained]);
  const zeroStarted = performance.now();
  const [zeroShot] = await evaluateCommand(config(targetBase), { split: 'test' });
  if (!zeroShot) throw new Error('zero-shot evaluation returned nothing');
  const zeroSeconds = (performance.now() - zeroStarted) / 1000;

  const adaptConfig = (name: 'harma' | 'clip-adapter'): TrainConfig => {
    const settings = name === 'harma' ? preset.harma : preset.clipAdapter;
    return config({
      ...base(name, target, [pretrained]),
      adapter: { type: name, harma: { bottleneck: preset.harma.bottleneck, heads: preset.harma.heads, shareHeads: preset.harma.heads, share: 'text' } },
      training: { epochs: settings.epochs, batchSize: settings.batchSize, lr: settings.lr, weightDecay: 0.04, trainable: 'adapters' },
    });
  };
  const adapt = async (name: 'harma' | 'clip-adapter'): Promise<{ metrics: RetrievalMetrics; trainable: number; total: number; seconds: number; adapters: string }> => {
    const runConfig = adaptConfig(name);
    await fresh(runConfig.output);
    logger.info(`adapting to the target style with ${name}`);
    const result = await runTraining(runConfig, { progress: options.progress });
    if (!result.test) throw new Error(`${name}: no test evaluation`);
    return { metrics: result.test.metrics, ...result.parameters, seconds: result.seconds, adapters: path.join(runConfig.output, RUN_FILES.best) };
  };
  const harma = await adapt('harma');
  const clipAdapter = await adapt('clip-adapter');

  // The HarMA model as ONNX, for `harma serve` (checked against the tfjs model in onnxruntime-node).
  const modelDir = path.join(output, 'model');
  await fs.rm(modelDir, { recursive: true, force: true });
  await exportCommand(adaptConfig('harma'), { adapters: harma.adapters, out: modelDir, quantize: false, verify: true });
  const relative = (p: string): string => path.relative(process.cwd(), p) || '.';
  const serve = `npm run harma -- serve --model ${relative(modelDir)} --gallery ${relative(path.join(target.imageRoot, 'test'))} --captions ${relative(target.test)}`;
  const site = `npm run harma -- site --model ${relative(modelDir)} --gallery ${relative(path.join(target.imageRoot, 'test'))} --out ${relative(path.join(output, 'site'))}`;

  // The ResNet rows come last, so the ViT rows' runs (and figures) are those of a demo without them.
  const resnetRows = async (settings: DemoResNetPreset): Promise<DemoResNetSummary> => {
    const resnetConfig: ClipResNetConfig = { ...settings.model, text: { ...settings.model.text, vocabSize: vocabulary.encoder.size } };
    const resnetConfigFile = path.join(output, 'model-config-resnet.json');
    await writeFileAtomic(resnetConfigFile, `${JSON.stringify(toOpenClipResNetConfig(resnetConfig), null, 2)}\n`);
    const backbone = { kind: 'clip-resnet', config: resnetConfigFile } as const;

    logger.info('pretraining a small CLIP ResNet on the source style');
    const resnetPretrainConfig = config({
      ...base('resnet-pretrain', source, [], backbone),
      adapter: { type: 'none' },
      training: {
        epochs: settings.pretrain.epochs, batchSize: settings.pretrain.batchSize, lr: settings.pretrain.lr, weightDecay: settings.pretrain.weightDecay,
        // BatchNorm in training mode normalises over the whole batch: a tower that trains cannot be split between threads.
        trainable: 'full', temperature: 0.07, threads: 1,
      },
    });
    await fresh(resnetPretrainConfig.output);
    const resnetPretrain = await runTraining(resnetPretrainConfig, { progress: options.progress, skipTest: false });
    const resnetPretrained = path.join(resnetPretrainConfig.output, RUN_FILES.best);

    logger.info('zero-shot retrieval of the CLIP ResNet on the target style');
    const resnetZeroStarted = performance.now();
    const [resnetZeroShot] = await evaluateCommand(config(base('resnet-zero-shot', target, [resnetPretrained], backbone)), { split: 'test' });
    if (!resnetZeroShot) throw new Error('resnet zero-shot evaluation returned nothing');
    const resnetZeroSeconds = (performance.now() - resnetZeroStarted) / 1000;

    logger.info('adapting the CLIP ResNet to the target style with harma');
    const harmaConfig = config({
      ...base('resnet-harma', target, [resnetPretrained], backbone),
      adapter: { type: 'harma', harma: { bottleneck: settings.harma.bottleneck, heads: settings.harma.heads, shareHeads: settings.harma.heads, share: 'text' } },
      training: { epochs: settings.harma.epochs, batchSize: settings.harma.batchSize, lr: settings.harma.lr, weightDecay: 0.04, trainable: 'adapters' },
    });
    await fresh(harmaConfig.output);
    const resnetHarma = await runTraining(harmaConfig, { progress: options.progress });
    if (!resnetHarma.test) throw new Error('resnet harma: no test evaluation');
    const { trainable, total } = resnetHarma.parameters;
    return {
      methods: {
        'zero-shot': { ...resnetZeroShot.evaluation.metrics, trainable: 0, total: total - trainable, seconds: resnetZeroSeconds },
        harma: { ...resnetHarma.test.metrics, trainable, total, seconds: resnetHarma.seconds },
      },
      pretrainedOnSource: resnetPretrain.test?.metrics,
      pretrainSeconds: resnetPretrain.seconds,
      files: { pretrained: resnetPretrained, harmaAdapters: path.join(harmaConfig.output, RUN_FILES.best), modelConfig: resnetConfigFile },
    };
  };
  const resnet = preset.resnet ? await resnetRows(preset.resnet) : undefined;

  const zeroShotCounts = { trainable: 0, total: harma.total - harma.trainable };
  const summary: DemoSummary = {
    seconds: (performance.now() - started) / 1000,
    methods: {
      'zero-shot': { ...zeroShot.evaluation.metrics, ...zeroShotCounts, seconds: zeroSeconds },
      harma: { ...harma.metrics, trainable: harma.trainable, total: harma.total, seconds: harma.seconds },
      'clip-adapter': { ...clipAdapter.metrics, trainable: clipAdapter.trainable, total: clipAdapter.total, seconds: clipAdapter.seconds },
    },
    pretrainedOnSource: pretrain.test?.metrics,
    ...(resnet ? { resnet } : {}),
    preset,
    files: { pretrained, harmaAdapters: harma.adapters, vocabulary: vocabularyFile, modelConfig: modelConfigFile, model: modelDir },
    serveCommand: serve,
    siteCommand: site,
  };
  await writeFileAtomic(path.join(output, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** The demo's one table: recall on the target test split, trainable parameters, time. */
export function formatDemoSummary(summary: DemoSummary): string {
  const vit = (['zero-shot', 'harma', 'clip-adapter'] as const).map((name) => ({ name, metrics: summary.methods[name] }));
  const { resnet } = summary;
  const resnetRows = resnet ? (['zero-shot', 'harma'] as const).map((name) => ({ name: `resnet ${name}`, metrics: resnet.methods[name] })) : [];
  const rows: Array<{ name: string; metrics: DemoMethodResult }> = [...vit, ...resnetRows];
  const table = formatMetricsTable(rows, { label: 'target test' });
  const lines = table.split('\n');
  const extra = ['trainable', ...rows.map(({ metrics: m }) => `${m.trainable.toLocaleString('en')} (${((100 * m.trainable) / m.total).toFixed(2)} %)`)];
  const width = Math.max(...extra.map((e) => e.length));
  const joined = lines.map((line, i) => `${line}  ${(extra[i] as string).padStart(width)}`).join('\n');
  const gain = summary.methods.harma.r_mean - summary.methods['zero-shot'].r_mean;
  const source = summary.pretrainedOnSource ? `\npretrained model on its own (source) style: r_mean ${summary.pretrainedOnSource.r_mean.toFixed(2)}` : '';
  const resnetLine = resnet
    ? `\nResNet: HarMA (text tower only) gains ${(resnet.methods.harma.r_mean - resnet.methods['zero-shot'].r_mean).toFixed(2)} points of r_mean over zero-shot` +
      (resnet.pretrainedOnSource ? `; pretrained on its own (source) style: r_mean ${resnet.pretrainedOnSource.r_mean.toFixed(2)}` : '') +
      `; pretraining took ${resnet.pretrainSeconds.toFixed(0)} s`
    : '';
  return (
    `${joined}\nHarMA gains ${gain.toFixed(2)} points of r_mean over zero-shot; wall time ${summary.seconds.toFixed(0)} s${source}${resnetLine}\n` +
    `summary: ${path.join(path.relative(process.cwd(), path.dirname(summary.files.model)) || '.', 'summary.json')}\n` +
    `search the target test images with the HarMA model:\n  ${summary.serveCommand}\n` +
    `or publish them as a static site that searches in the browser:\n  ${summary.siteCommand}`
  );
}
