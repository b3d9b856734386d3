// One measurement of the training-step benchmark, in its own process so that its peak RSS is its
// own: `vite-node bench/measure-step.ts -- <json options>`; prints `RESULT {json}` last.
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, initBackend, savedForBackward, type ArrayBufferSweeping, type ProductEngineName } from '@harma/core';
import { HARMA_LOSS_DEFAULTS, batchGradients, type BatchGradientsOptions, type TrainingBatch } from '@harma/losses';
import { DataParallelGradients } from '../src/parallel/data-parallel';
import { buildRandomClipHarma, type RandomClipHarmaRecipe, type RandomClipResNetHarmaRecipe, type ShardModel } from '../src/parallel/model-recipe';
import { trainingWorkerScript } from '../src/parallel/worker-script';
import { profileStep } from './profile-step';

export interface MeasureOptions {
  /** The benchmarked model. Default: 'vit-b-32' (`RECIPE`); 'rn50': `RN50_RECIPE`. */
  model?: 'vit-b-32' | 'rn50';
  threads: number;
  batch: number;
  /** Timed steps after one warm-up step. */
  steps: number;
  /** Also profile one step per kernel (one thread only). */
  profile?: boolean;
  /** Engine of the wasm backend's matrix products. Default: the first that loads. */
  products?: ProductEngineName;
  /** Rows per micro-batch of the gradient computation (`training.microBatchSize`). Default: the whole batch. */
  microBatchSize?: number;
  /** Also count what the forward pass keeps for the backward, per pair and tower. */
  savedForBackward?: boolean;
  /** Where V8 frees onnxruntime-node's output copies (every training thread too). Default: @harma/core's, `foreground`. */
  arrayBufferSweeping?: ArrayBufferSweeping;
}

export interface MeasureResult {
  threads: number;
  batch: number;
  /** Seconds of each timed step. */
  seconds: number[];
  warmupSeconds: number;
  buildSeconds: number;
  /** Peak resident set of this process (every thread), bytes. */
  peakRss: number;
  loss: number;
  profile?: Array<{ kernel: string; seconds: number; share: number; gflops?: number }>;
  /** Bytes kept for the backward pass per image and per caption (`savedForBackward`, 2 pairs). */
  savedPerPair?: SavedPerPair;
}

/** Per tower: bytes the backward pass reads, per pair. */
export interface SavedPerPair {
  image: number;
  caption: number;
}

/** The benchmarked model: ViT-B/32 as OpenAI trained it (QuickGELU), HarMA at the official sizes. */
export const RECIPE: RandomClipHarmaRecipe = {
  kind: 'random-clip-harma',
  clip: 'ViT-B-32-quickgelu',
  randomBackbone: true,
  harma: {},
  seed: 1,
  upProjectionStd: 0.02,
};

/**
 * RN50 as OpenAI and RemoteCLIP trained it (QuickGELU), HarMA at the official sizes on its text
 * tower (the image tower offers no sites): BatchNorm in training mode, as the official loop runs
 * it, so the image tower is encoded over the whole batch once per step, in streamed chunks.
 */
export const RN50_RECIPE: RandomClipResNetHarmaRecipe = {
  kind: 'random-clip-resnet-harma',
  clip: 'RN50-quickgelu',
  randomBackbone: true,
  harma: {},
  seed: 1,
  upProjectionStd: 0.02,
};

const STEP: BatchGradientsOptions = { loss: HARMA_LOSS_DEFAULTS };

/** Random pixels and 77-token captions of 20 BPE ids each (the rest zero padding, as CLIP pads). */
export function randomBatch(size: number, seed: number): TrainingBatch {
  const rng = new SeededRandom(seed);
  const tokens = new Int32Array(size * 77);
  for (let row = 0; row < size; row++) {
    tokens[row * 77] = 49406;
    for (let i = 1; i < 20; i++) tokens[row * 77 + i] = 300 + rng.int(40000);
    tokens[row * 77 + 20] = 49407;
  }
  return { pixels: rng.fillNormal(size * 3 * 224 * 224), tokens, imageIds: Int32Array.from({ length: size }, (_, i) => i), size, imageSize: 224 };
}

/** Bytes each tower's forward pass keeps for the backward one, per pair of `batch`. */
function savedPerPairOf(model: ShardModel, batch: TrainingBatch): SavedPerPair {
  const xs = model.trainable.map(([, parameter]) => parameter.value);
  const pixels = tf.tensor4d(batch.pixels, [batch.size, 3, batch.imageSize, batch.imageSize]);
  const tokens = tf.tensor2d(batch.tokens, [batch.size, batch.tokens.length / batch.size], 'int32');
  const perPair = (f: () => tf.Tensor): number => savedForBackward(f, xs).bytes / batch.size;
  const saved = { image: perPair(() => model.backbone.encodeImage(pixels)), caption: perPair(() => model.backbone.encodeText(tokens)) };
  tf.dispose([pixels, tokens]);
  return saved;
}

async function measure(options: MeasureOptions): Promise<MeasureResult> {
  // Through the environment, so that the training threads' own engines make the same choice.
  if (options.arrayBufferSweeping) process.env.HARMA_ARRAY_BUFFER_SWEEPING = options.arrayBufferSweeping;
  await initBackend(options.products ? { products: options.products } : {});
  let started = performance.now();
  const recipe = options.model === 'rn50' ? RN50_RECIPE : RECIPE;
  const model = buildRandomClipHarma(recipe);
  // The official loop's model.train(): a ResNet's BatchNorm normalises with the batch's statistics.
  model.backbone.setTraining?.(true);
  let pool: DataParallelGradients | undefined;
  if (options.threads > 1) {
    const workerScript = trainingWorkerScript();
    if (!workerScript) throw new Error('dist/parallel/training-worker.js is missing: build @harma/trainer first (npx tsup)');
    pool = await DataParallelGradients.start({ threads: options.threads, recipe, model, workerScript });
  }
  const buildSeconds = (performance.now() - started) / 1000;
  const batch = randomBatch(options.batch, 2);
  let loss = Number.NaN;
  const step = (): void => {
    const stepOptions = options.microBatchSize === undefined ? STEP : { ...STEP, microBatchSize: options.microBatchSize };
    const { terms, gradients } = pool ? pool.batchGradients(batch, stepOptions) : batchGradients(model.backbone, model.temperature, model.trainable, batch, stepOptions);
    loss = terms.total;
    tf.dispose([...gradients.values()]);
  };
  started = performance.now();
  step();
  const warmupSeconds = (performance.now() - started) / 1000;
  const seconds: number[] = [];
  for (let i = 0; i < options.steps; i++) {
    started = performance.now();
    step();
    seconds.push((performance.now() - started) / 1000);
  }
  const profile = options.profile && !pool ? await profileStep(step) : undefined;
  const savedPerPair = options.savedForBackward ? savedPerPairOf(model, randomBatch(2, 3)) : undefined;
  await pool?.close();
  model.dispose();
  return { threads: options.threads, batch: options.batch, seconds, warmupSeconds, buildSeconds, peakRss: process.resourceUsage().maxRSS * 1024, loss, ...(profile ? { profile } : {}), ...(savedPerPair ? { savedPerPair } : {}) };
}

const json = process.argv.slice(2).find((argument) => argument.startsWith('{'));
if (!json) throw new Error('measure-step: pass the options as JSON');
const result = await measure(JSON.parse(json) as MeasureOptions);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
