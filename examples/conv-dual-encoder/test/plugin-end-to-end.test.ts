/**
 * The plug-in's promise, end to end: a backbone that is not CLIP, registered by name, trained with
 * HarMA by the trainer, exported to ONNX by the trainer's export (@harma/inference) and served by @harma/server — none of
 * them changed for it. Also the CLI route: `node --import <plugin>/register harma eval ...`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, readSafetensorsHeader } from '@harma/core';
import { trainBpeVocabulary, writeOpenClipVocabulary } from '@harma/backbones';
import { generateSyntheticDataset, readTrainAnnotations, syntheticDatasetFiles } from '@harma/data';
import { createServer } from '@harma/server';
import { RUN_FILES, exportCommand, loadTrainConfig, runTraining, type TrainRunResult } from '@harma/trainer';
import { CONV_DUAL_ENCODER_KIND, registerConvDualEncoderOnce } from '../src/index';

let dir: string;
let configFile: string;
let run: TrainRunResult;

beforeAll(async () => {
  await initBackend();
  registerConvDualEncoderOnce();
  dir = await mkdtemp(path.join(os.tmpdir(), 'conv-dual-encoder-e2e-'));
  const data = path.join(dir, 'data');
  await generateSyntheticDataset(data, { seed: 3, images: 64, size: 32, split: { val: 12, test: 12 }, workers: 0 });
  const files = syntheticDatasetFiles(data);
  const captions = (await readTrainAnnotations(files.train)).captions.map((c) => c.caption);
  await writeOpenClipVocabulary(path.join(dir, 'vocab.txt.gz'), trainBpeVocabulary(captions, { merges: 120 }));
  // A run config as a user writes it: only `backbone.kind`, `backbone.plugin` (imported by every
  // training thread) and `backbone.config` name the plug-in.
  configFile = path.join(dir, 'run.yaml');
  await writeFile(
    configFile,
    YAML.stringify({
      name: 'conv-dual-encoder-harma',
      seed: 5,
      backbone: { kind: CONV_DUAL_ENCODER_KIND, plugin: '@harma-examples/conv-dual-encoder/register', config: 'tiny', vocabulary: 'vocab.txt.gz' },
      adapter: { type: 'harma', harma: { bottleneck: 8, heads: 2, shareHeads: 1 } },
      data: { train: [files.train], val: files.val, test: files.test, images: files.imageRoot, augment: 'none', workers: 0, cacheImages: true },
      training: { epochs: 3, batchSize: 16, lr: 5e-3, eps: 1e-6 },
      output: 'run',
    }),
  );
  run = await runTraining(await loadTrainConfig(configFile), { progress: false });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the conv-dual-encoder plug-in with the unchanged HarMA.js packages', () => {
  it('trains HarMA adapters with the trainer: only adapters, gates and temp train, the loss falls', async () => {
    expect(run.completed).toBe(true);
    expect(run.test?.metrics.r_mean).toBeGreaterThanOrEqual(0);
    // The frozen backbone (tiny preset) holds most parameters; the adapters are a small share.
    expect(run.parameters.trainable / run.parameters.total).toBeLessThan(0.2);
    const steps = (await readFile(path.join(run.output, RUN_FILES.metrics), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; epoch: number; loss: number })
      .filter((record) => record.type === 'step');
    const meanLoss = (epoch: number): number => {
      const losses = steps.filter((s) => s.epoch === epoch).map((s) => s.loss);
      return losses.reduce((a, b) => a + b, 0) / losses.length;
    };
    expect(steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    expect(meanLoss(2)).toBeLessThan(meanLoss(0));
    const { metadata, entries } = await readSafetensorsHeader(path.join(run.output, RUN_FILES.best));
    expect(metadata.backbone).toBe(CONV_DUAL_ENCODER_KIND);
    expect(entries.some((entry) => entry.name.startsWith('text.blocks.0.mmadapter.'))).toBe(true);
  });

  it('exports to ONNX with the adapters baked in (harma export) and is served by @harma/server', async () => {
    const config = await loadTrainConfig(configFile);
    const exportDir = path.join(dir, 'export');
    const { maxDifference } = await exportCommand(config, { adapters: path.join(run.output, RUN_FILES.best), out: exportDir, quantize: false });
    expect(maxDifference).toBeLessThan(1e-4);
    const exported = JSON.parse(await readFile(path.join(exportDir, 'config.json'), 'utf8')) as { backbone: { kind: string } };
    expect(exported.backbone.kind).toBe(CONV_DUAL_ENCODER_KIND);

    const server = await createServer({ model: exportDir, gallery: path.join(config.data.images, 'test'), indexDir: path.join(dir, 'index'), port: 0, rateLimit: false });
    try {
      await server.gallery.reindex();
      expect(server.gallery.size).toBe(12);
      const response = await server.app.inject({ method: 'POST', url: '/api/search/text', payload: { query: 'a river next to a forest', k: 5 } });
      expect(response.statusCode).toBe(200);
      const body = response.json() as { results: Array<{ path: string; score: number }> };
      expect(body.results).toHaveLength(5);
      const scores = body.results.map((r) => r.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    } finally {
      await server.close();
    }
  });

  it('plugs into the harma CLI with node --import', async () => {
    const require = createRequire(import.meta.url);
    const trainerRoot = path.dirname(require.resolve('@harma/trainer/package.json'));
    const cli = path.join(trainerRoot, 'dist', 'cli.js');
    const args = ['--import', '@harma-examples/conv-dual-encoder/register', cli, 'eval', '--config', configFile, '--adapters', path.join(run.output, RUN_FILES.best), '--split', 'test', '--no-zero-shot', '--json'];
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, args, { env: { ...process.env, HARMA_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('exit', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
    });
    expect(code, stderr).toBe(0);
    const rows = JSON.parse(stdout) as Array<{ split: string; r_mean: number }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.r_mean).toBeCloseTo(run.test?.metrics.r_mean ?? Number.NaN, 6);
  });
});
