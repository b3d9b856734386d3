// A tiny CLIP ResNet through the CLI as users run it (the built `harma`): train → export → eval of
// the export against eval of the run's adapters → site. Every figure the checks rest on is printed.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { syntheticDatasetFiles } from '@harma/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './exported-tiny-model';
import { writeTinyResNetRun } from './tiny-run';

/** The recall figures `harma eval --json` prints for one model and split. */
const RECALLS = ['txt_r1', 'txt_r5', 'txt_r10', 'img_r1', 'img_r5', 'img_r10', 'r_mean'] as const;

type EvalRow = { model: string; engine: string; split: string } & Record<(typeof RECALLS)[number], number>;

/** The one row `harma eval --no-zero-shot --json` prints. */
function adaptedRow(stdout: string): EvalRow {
  const rows = JSON.parse(stdout) as EvalRow[];
  expect(rows).toHaveLength(1);
  return rows[0] as EvalRow;
}

describe('a tiny CLIP ResNet from harma train to harma site, through the built CLI', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'harma-resnet-e2e-'));
    // One epoch (12 steps of 16 of the 40 training images' 200 captions): the adapters and BatchNorm statistics move away from their start.
    await writeTinyResNetRun(dir, { training: { epochs: 1, batchSize: 16, lr: 5e-3, eps: 1e-6 } });
  });

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("exports what it trained: harma eval --model gives the run's recall, and harma site publishes the export", async () => {
    const quiet = { HARMA_LOG_LEVEL: 'warn' };
    await runCli(['train', '--config', 'run.yaml', '--no-progress'], dir, quiet);
    const summary = JSON.parse(await readFile(path.join(dir, 'run', 'summary.json'), 'utf8')) as { completed: boolean; globalStep: number };
    expect(summary).toMatchObject({ completed: true, globalStep: 12 });

    const exported = await runCli(['export', '--config', 'run.yaml', '--adapters', 'run/best.safetensors', '--out', 'model'], dir, quiet);
    // harma export's own parity check: ONNX Runtime fp32 against the tfjs model it traced.
    const parity = Number(/max \|ORT − tfjs\| (\S+)\n$/.exec(exported.stdout)?.[1]);
    expect(parity).toBeLessThan(1e-4);
    const config = JSON.parse(await readFile(path.join(dir, 'model', 'config.json'), 'utf8')) as { harma: { backbone: { kind: string }; transformers: { modelType: null } } };
    expect(config.harma.backbone.kind).toBe('clip-resnet');
    expect(config.harma.transformers.modelType).toBeNull();

    const run = adaptedRow((await runCli(['eval', '--config', 'run.yaml', '--adapters', 'run/best.safetensors', '--no-zero-shot', '--json'], dir, quiet)).stdout);
    const onnx = adaptedRow((await runCli(['eval', '--config', 'run.yaml', '--model', 'model', '--no-zero-shot', '--json'], dir, quiet)).stdout);
    expect([run.engine, onnx.engine]).toEqual(['tfjs', 'ort']);
    console.info(`resnet e2e: export parity max |ORT − tfjs| ${parity.toExponential(2)}; recall (tfjs, adapters) ${RECALLS.map((key) => run[key]).join('/')}, (ORT fp32, export) ${RECALLS.map((key) => onnx[key]).join('/')}`);
    // fp32 on both engines: embeddings within the parity above, too little to reorder any ranking of the test split.
    for (const key of RECALLS) expect(onnx[key], key).toBe(run[key]);

    const gallery = path.relative(dir, syntheticDatasetFiles(path.join(dir, 'data')).imageRoot);
    const site = await runCli(['site', '--model', 'model', '--gallery', gallery, '--out', 'site', '--no-progress'], dir, quiet);
    expect(site.stdout).toMatch(/^wrote .*site: 64 images, int8 text model, /);
    const manifest = JSON.parse(await readFile(path.join(dir, 'site', 'site.json'), 'utf8')) as { model: Record<string, unknown>; gallery: { images: number } };
    expect(manifest.model).toMatchObject({ backbone: 'clip-resnet', precision: 'int8', contextLength: 20, embedDim: 16 });
    expect(manifest.gallery.images).toBe(64);
    const textConfig = JSON.parse(await readFile(path.join(dir, 'site', 'model', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(textConfig).toMatchObject({ architectures: ['CLIPTextModelWithProjection'], model_type: 'clip_text_model', hidden_size: 16, max_position_embeddings: 20, projection_dim: 16, hidden_act: 'gelu' });
  });
});
