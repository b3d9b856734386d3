#!/usr/bin/env node
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { initBackend } from '@harma/core';
import { checkAugmentFixture } from './checks/augment-check';
import { isAugmentFixture } from './checks/augment-fixture';
import { checkModelFixture } from './checks/model-check';
import { checkMetricsCases } from './checks/metrics-check';
import { checkTokenizerFixture } from './checks/tokenizer-check';
import { formatLines, summarize, type CheckLine } from './report';

async function run(target: string, options: { weights?: string; vocab?: string; json?: boolean }): Promise<number> {
  const resolved = path.resolve(target);
  if (!existsSync(resolved)) throw new Error(`${target}: no such file or directory`);
  await initBackend({ backend: process.env.HARMA_BACKEND ? undefined : 'cpu' });
  let lines: CheckLine[];
  if (statSync(resolved).isDirectory() && isAugmentFixture(resolved)) {
    lines = await checkAugmentFixture(resolved);
  } else if (statSync(resolved).isDirectory()) {
    if (!existsSync(path.join(resolved, 'outputs.safetensors'))) throw new Error(`${target}: not a model fixture (no outputs.safetensors)`);
    lines = await checkModelFixture(resolved, options.weights?.split(',').filter(Boolean));
  } else if (resolved.endsWith('.jsonl')) {
    lines = await checkTokenizerFixture(resolved, { vocab: options.vocab });
  } else if (resolved.endsWith('.json')) {
    lines = await checkMetricsCases(resolved);
  } else {
    throw new Error(`${target}: expected a model or augment fixture folder, a metrics cases.json or a tokenizer .jsonl`);
  }
  const summary = summarize(lines);
  if (options.json) process.stdout.write(`${JSON.stringify({ target: resolved, summary, lines }, null, 2)}\n`);
  else {
    process.stdout.write(`${formatLines(lines)}\n`);
    process.stdout.write(`${target}: ${summary.ok} ok, ${summary.off} off tolerance, ${summary.notComputed} not computed yet\n`);
  }
  // Anything off tolerance or left uncomputed fails the run, as the vitest wrappers treat it.
  return summary.off > 0 || summary.notComputed > 0 ? 1 : 0;
}

const program = new Command('harma-golden')
  .description('Compare HarMA.js with a golden fixture of the reference implementation')
  .argument('<path>', 'model or augment fixture folder, metrics cases.json, or tokenizer .jsonl')
  .option('--weights <files>', 'comma-separated weight files to load through the public loaders instead of weights.safetensors')
  .option('--vocab <file>', 'BPE vocabulary for tokenizer fixtures (default: $HARMA_REFERENCE_DATA/vocab/bpe_simple_vocab_16e6.txt.gz)')
  .option('--json', 'print the report as JSON')
  .action(async (target: string, options: { weights?: string; vocab?: string; json?: boolean }) => {
    process.exitCode = await run(target, options);
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`harma-golden: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
