import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelEncoder } from '../src/encoder/load-model-encoder';
import type { ServerEncoder } from '../src/encoder/server-encoder';
import { dot } from './helpers/http';
import { testImageBytes } from './helpers/test-images';
import { exportTinyModel } from './helpers/tiny-model';

const logger = pino({ level: 'silent' });
const TEXTS = ['many planes are parked near a terminal', 'a river crosses a green forest', 'two bridges'];

describe('loadModelEncoder: ONNX Runtime and the tfjs fallback on one exported model', () => {
  let dir: string;
  let ort: ServerEncoder;
  let tfjs: ServerEncoder;

  beforeAll(async () => {
    dir = await exportTinyModel(await mkdtemp(path.join(os.tmpdir(), 'harma-engines-')), { tfjsFiles: true });
    ort = await loadModelEncoder(dir, { engine: 'ort', logger });
    tfjs = await loadModelEncoder(dir, { engine: 'tfjs', weights: [path.join(dir, 'backbone.safetensors')], adapters: path.join(dir, 'adapters.safetensors'), logger });
  });

  afterAll(async () => {
    await ort?.close();
    await tfjs?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same normalised embeddings on both engines (to 1e-4), with the adapters baked in', async () => {
    const images = await Promise.all([0, 1, 2].map(async (seed) => ort.prepareImage(await testImageBytes(seed), { name: `image ${seed}`, maxPixels: 1e6 })));
    const [ortImages, tfjsImages, ortTexts, tfjsTexts] = await Promise.all([ort.encodeImages(images), tfjs.encodeImages(images), ort.encodeTexts(TEXTS), tfjs.encodeTexts(TEXTS)]);
    for (const [a, b] of [...ortImages.map((v, i) => [v, tfjsImages[i]] as const), ...ortTexts.map((v, i) => [v, tfjsTexts[i]] as const)]) {
      expect(a).toHaveLength(32);
      expect(dot(a, a)).toBeCloseTo(1, 4);
      a.forEach((value, j) => expect(Math.abs(value - ((b as Float32Array)[j] as number))).toBeLessThan(1e-4));
    }
    expect(ort.info).toMatchObject({ engine: 'ort', embedDim: 32, imageSize: 32, contextLength: 16 });
    expect(tfjs.info).toMatchObject({ engine: 'tfjs' });
    // Different engines are different index owners: their vectors are re-embedded on a switch.
    expect(tfjs.fingerprint).not.toBe(ort.fingerprint);
  });

  it('the adapters matter: the plain backbone gives other embeddings', async () => {
    const plain = await loadModelEncoder(dir, { engine: 'tfjs', weights: [path.join(dir, 'backbone.safetensors')], logger });
    try {
      const [withAdapters, without] = await Promise.all([ort.encodeTexts(TEXTS), plain.encodeTexts(TEXTS)]);
      const cosine = dot(withAdapters[0] as Float32Array, without[0] as Float32Array);
      expect(cosine).toBeLessThan(0.999);
    } finally {
      await plain.close();
    }
  });

  it('merges concurrent requests into shared model calls without mixing their answers', async () => {
    const single = await Promise.all(TEXTS.map(async (text) => (await ort.encodeTexts([text]))[0] as Float32Array));
    const concurrent = await Promise.all([...TEXTS, ...TEXTS].map(async (text) => (await ort.encodeTexts([text]))[0] as Float32Array));
    concurrent.forEach((vector, i) => vector.forEach((value, j) => expect(value).toBeCloseTo((single[i % 3] as Float32Array)[j] as number, 5)));
  });

  it('given a training run folder (harma serve --model <run>), says so and gives the export command: one message, no schema errors', async () => {
    const run = path.join(dir, 'runs', 'mine');
    await mkdir(run, { recursive: true });
    // What harma train leaves in a run folder (apps/trainer run-training.ts RUN_FILES).
    const config = { name: 'mine', backbone: { kind: 'clip', config: 'ViT-B-32', weights: [] }, data: { train: [], val: 'v.json', test: 't.json', images: 'images' }, training: { epochs: 1 }, adapter: { type: 'harma' }, output: run };
    await writeFile(path.join(run, 'config.json'), JSON.stringify(config, null, 2));
    for (const file of ['best.safetensors', 'state.safetensors', 'metrics.jsonl']) await writeFile(path.join(run, file), '');
    const error = await loadModelEncoder(run, { logger }).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    expect(error?.message).toBe(
      `${run} is a training run folder (written by harma train), not a model folder. Export the run's best adapters into a model folder, then use that folder (${run}/model):\n` +
        `  harma export --config ${run}/config.json --adapters ${run}/best.safetensors --out ${run}/model`,
    );
  });

  it('explains what is missing', async () => {
    await expect(loadModelEncoder(dir, { engine: 'tfjs', logger })).rejects.toThrow(/the tfjs engine needs the backbone weights \(weights option, --weights FILE\)/);
    await expect(loadModelEncoder(path.join(dir, 'nowhere'), { logger })).rejects.toThrow(/nowhere: no such folder\. A model folder is what harma export writes: config\.json .*\. Make one from a training run with: harma export/);
    await expect(loadModelEncoder(dir, { vocabulary: path.join(dir, 'missing-vocab.txt.gz'), logger })).rejects.toThrow(/cannot read its clip-bpe tokenizer \(.*missing-vocab\.txt\.gz: no such file/);
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as { harma: { tokenizer: { kind: string; files: string[] } } };
    expect(config.harma.tokenizer).toMatchObject({ kind: 'clip-bpe', files: ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'] });
  });
});
