import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackbone, initBackend, requireTokenizer, writeSafetensors } from '@harma/core';
import { ensureBuiltInBackbones, openClipToHuggingFaceClip } from '@harma/backbones';
import { evaluateCommand, type EvaluationRow } from '../src/commands/evaluate';
import { loadTrainConfig } from '../src/config/load-config';
import { MetricsLog, type EvaluationRecord } from '../src/train/metrics-log';
import { writeTinyRun } from './tiny-run';

// What a user runs: `harma train`, `eval` and `export` with `--backbone <folder>`, a Hugging Face
// CLIP folder (config.json, model.safetensors, tokenizer files) this test writes.
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const run = promisify(execFile);

let dir: string;
let configFile: string;
/** The folder's parent, the working directory of the CLI runs: `--backbone` is relative to it. */
let models: string;
const FOLDER = 'tiny-clip';

/** The same weights as open_clip files: `backbone: { config: model.json, weights, vocabulary }`. */
let openClipWeights: string;

beforeAll(async () => {
  await initBackend();
  ensureBuiltInBackbones();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-hf-backbone-'));
  configFile = await writeTinyRun(dir);
  models = path.join(dir, 'models');
  const folder = path.join(models, FOLDER);
  // A random CLIP from a seed stands in for downloaded weights; its folder is laid out as transformers saves one.
  const model = await createBackbone('clip', { config: path.join(dir, 'model.json'), vocabulary: path.join(dir, 'vocab.txt.gz'), seed: 'hugging-face' });
  try {
    const tokenizer = requireTokenizer(model, 'test');
    await tokenizer.save(folder);
    await fs.writeFile(path.join(folder, 'config.json'), JSON.stringify(model.huggingFaceConfig?.(tokenizer), null, 2));
    const hf = openClipToHuggingFaceClip(model.module.stateDict());
    await writeSafetensors(path.join(folder, 'model.safetensors'), hf);
    tf.dispose([...hf.values()]);
    openClipWeights = path.join(dir, 'open-clip.safetensors');
    await writeSafetensors(openClipWeights, model.module.stateDict());
  } finally {
    model.dispose();
  }
}, 120_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function harma(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [cli, ...args], { cwd: models, env: { ...process.env, HARMA_LOG_LEVEL: 'warn' }, maxBuffer: 1 << 24 });
  return stdout;
}

interface JsonRow {
  model: EvaluationRow['model'];
  split: 'val' | 'test';
  r_mean: number;
}

describe('harma train / eval / export --backbone <Hugging Face CLIP folder>', () => {
  it('trains HarMA on the folder, evaluates and exports its best adapters; the folder is the same model as its open_clip files', async () => {
    const output = path.join(dir, 'run-hf');
    const trained = await harma(['train', '--config', configFile, '--backbone', FOLDER, '--output', output, '--no-progress']);
    expect(trained).toMatch(/test \(best adapters\)/);
    const best = path.join(output, 'best.safetensors');
    expect(existsSync(best)).toBe(true);
    const recorded = (await new MetricsLog(path.join(output, 'metrics.jsonl')).read()).filter((r): r is EvaluationRecord => r.type === 'evaluation' && r.split === 'test');
    expect(recorded).toHaveLength(1);

    const rows = JSON.parse(await harma(['eval', '--config', configFile, '--backbone', FOLDER, '--adapters', best, '--json'])) as JsonRow[];
    expect(rows.map((row) => [row.model, row.split])).toEqual([
      ['zero-shot', 'test'],
      ['adapted', 'test'],
    ]);
    // The eval of the best adapters is the test evaluation the run made with them.
    expect(rows[1]?.r_mean).toBe(recorded[0]?.metrics.r_mean);

    // Zero-shot, the folder's model retrieves exactly as the same weights given as open_clip files.
    const fromFiles = await loadTrainConfig(configFile, [`backbone.weights=[${openClipWeights}]`]);
    const [reference] = await evaluateCommand(fromFiles, { split: 'test' });
    expect(reference?.evaluation.metrics.r_mean).toBe(rows[0]?.r_mean);

    // Export bakes the adapters into the folder's model (checked in onnxruntime-node by the command).
    const exported = path.join(dir, 'exported');
    expect(await harma(['export', '--config', configFile, '--backbone', FOLDER, '--adapters', best, '--out', exported, '--no-quantize'])).toMatch(/max \|ORT − tfjs\|/);
    const exportConfig = JSON.parse(await fs.readFile(path.join(exported, 'config.json'), 'utf8')) as { model_type: string; text_config: { vocab_size: number } };
    const folderConfig = JSON.parse(await fs.readFile(path.join(models, FOLDER, 'config.json'), 'utf8')) as { text_config: { vocab_size: number } };
    expect(exportConfig.model_type).toBe('clip');
    expect(exportConfig.text_config.vocab_size).toBe(folderConfig.text_config.vocab_size);
  }, 600_000);

  it('names a missing folder, resolved against the working directory', async () => {
    const error = (await harma(['eval', '--config', configFile, '--backbone', 'no-such-clip']).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain(`harma: ${path.join(models, 'no-such-clip')}: no such folder (expected a Hugging Face CLIP folder`);
  });
});
