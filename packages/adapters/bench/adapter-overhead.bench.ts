/**
 * What each adapter costs at inference and in a training step (npm run bench in packages/adapters).
 *
 * CLIP ViT-B/32 (zero backbone weights: the timing does not depend on the values) encodes a batch
 * of images and of 77-token captions plain, with HarMA, with LoRA (unmerged and merged) and with
 * CLIP-Adapter. The configurations take turns in every round (attach, one warm-up, one timed run,
 * detach) so that load from other processes spreads over all of them; the median round counts.
 * A second process times one HarMA training step (forward, a similarity loss, gradients of the
 * trainable parameters), plain-backbone inference being the baseline of the same process.
 * Prints items/s, the ratio to the plain backbone, and the DESIGN.md anchor (official PyTorch,
 * 2 threads, with adapters: 11 img/s, 10.6 captions/s, 2.6 pairs/s in training at batch 32).
 * Options (environment): HARMA_BENCH_BATCH (default 4), HARMA_BENCH_ROUNDS (default 3),
 * HARMA_BENCH_TRAIN_BATCH (default 1), HARMA_BACKEND.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, valueAndGradients } from '@harma/core';
import { createClip, loadModelConfig, type ClipModel } from '@harma/backbones';
import { attachClipAdapter, attachHarma, attachLora, freezeForHarma, type AdapterAttachment } from '../src/index';

const BATCH = Number(process.env.HARMA_BENCH_BATCH ?? 4);
const ROUNDS = Number(process.env.HARMA_BENCH_ROUNDS ?? 3);
// The wasm heap stops near 2 GiB: ViT-B/32's weights, their cached transposes (~1.2 GB together)
// and what a backward pass keeps leave room for batch 1 only (batch 2 aborts in some runs, 3 always).
const TRAIN_BATCH = Number(process.env.HARMA_BENCH_TRAIN_BATCH ?? 1);

interface Inputs {
  pixels: tf.Tensor;
  ids: tf.Tensor;
}

interface Rates {
  images: number;
  captions: number;
}

interface PhaseResult {
  phase: string;
  backend: string;
  rows: Array<[string, Rates]>;
  trainPairsPerSecond?: number;
  trainError?: string;
}

function inputs(model: ClipModel, batch: number): Inputs {
  const size = model.preprocess.size;
  const ids = new Int32Array(batch * model.contextLength);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < 20; t++) ids[b * model.contextLength + t] = t === 0 ? 49406 : t === 19 ? 49407 : 1000 + b + t;
  }
  return { pixels: tf.randomNormal([batch, 3, size, size], 0, 1, 'float32', 1), ids: tf.tensor2d(ids, [batch, model.contextLength], 'int32') };
}

/** Seconds of one run of `work` (its outputs read back and disposed). */
function seconds(work: () => tf.Tensor | tf.Tensor[]): number {
  const start = process.hrtime.bigint();
  const out = work();
  for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
  tf.dispose(out);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const CONFIGS: Array<[string, (model: ClipModel) => AdapterAttachment | undefined]> = [
  ['plain', () => undefined],
  ['HarMA', (model) => attachHarma(model)],
  ['LoRA r=8 q,v (unmerged)', (model) => attachLora(model)],
  [
    'LoRA r=8 q,v (merged)',
    (model) => {
      const lora = attachLora(model);
      lora.merge();
      return lora;
    },
  ],
  ['CLIP-Adapter', (model) => attachClipAdapter(model)],
];

async function inferencePhase(): Promise<PhaseResult> {
  const { backend } = await initBackend();
  const model = createClip(loadModelConfig('ViT-B-32'));
  const batch = inputs(model, BATCH);
  const times = new Map<string, { images: number[]; captions: number[] }>(CONFIGS.map(([name]) => [name, { images: [], captions: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, attach] of CONFIGS) {
      const attachment = attach(model);
      const encodeImages = (): tf.Tensor => model.encodeImage(batch.pixels);
      const encodeCaptions = (): tf.Tensor => model.encodeText(batch.ids);
      seconds(encodeImages);
      times.get(name)?.images.push(seconds(encodeImages));
      seconds(encodeCaptions);
      times.get(name)?.captions.push(seconds(encodeCaptions));
      attachment?.detach();
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  tf.dispose([batch.pixels, batch.ids]);
  model.dispose();
  const rows = [...times].map(([name, t]): [string, Rates] => [name, { images: BATCH / median(t.images), captions: BATCH / median(t.captions) }]);
  return { phase: 'inference', backend, rows };
}

async function trainPhase(): Promise<PhaseResult> {
  const { backend } = await initBackend();
  const model = createClip(loadModelConfig('ViT-B-32'));
  const batch = inputs(model, TRAIN_BATCH);
  // Training first, on a fresh heap: the wasm heap never shrinks and fragments.
  const harma = attachHarma(model);
  freezeForHarma(model);
  const trainable = model.module.trainableParameters();
  const step = (): tf.Tensor[] => {
    const { value, gradients } = valueAndGradients(() => {
      const image = model.encodeImage(batch.pixels);
      const text = model.encodeText(batch.ids);
      // Mean similarity over temperature: valid at batch 1, and the backbone dominates the cost anyway.
      return tf.mean(tf.div(tf.matMul(image, text, false, true), harma.temperature.value)) as tf.Scalar;
    }, trainable);
    return [value, ...gradients.values()];
  };
  let trainPairsPerSecond: number | undefined;
  let trainError: string | undefined;
  try {
    seconds(step);
    trainPairsPerSecond = TRAIN_BATCH / median([0, 1, 2].map(() => seconds(step)));
  } catch (error) {
    trainError = error instanceof Error ? error.message : String(error);
  }
  harma.detach();
  const encode = (): tf.Tensor => model.encodeImage(batch.pixels);
  seconds(encode);
  const plain = { images: TRAIN_BATCH / median([0, 1, 2].map(() => seconds(encode))), captions: 0 };
  return { phase: 'train', backend, rows: [['plain', plain]], trainPairsPerSecond, trainError };
}

function runChild(phase: string): PhaseResult | undefined {
  const child = spawnSync(process.execPath, [process.argv[1] as string, fileURLToPath(import.meta.url)], {
    env: { ...process.env, HARMA_BENCH_PHASE: phase, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = child.stdout.split('\n').find((text) => text.startsWith('{"phase"'));
  if (child.status !== 0 || !line) {
    process.stderr.write(`bench phase ${phase} failed (exit ${child.status}; a wasm abort is the heap running out)\n`);
    return undefined;
  }
  return JSON.parse(line) as PhaseResult;
}

function report(inference: PhaseResult | undefined, train: PhaseResult | undefined): void {
  if (!inference) throw new Error('the inference phase failed');
  const plain = inference.rows[0]?.[1] as Rates;
  const lines = [
    `CLIP ViT-B/32 on ${inference.backend}, batch ${BATCH}, median of ${ROUNDS} rounds`,
    `${'attachment'.padEnd(26)}${'img/s'.padStart(8)}${'× plain'.padStart(9)}${'cap/s'.padStart(8)}${'× plain'.padStart(9)}`,
    ...inference.rows.map(
      ([name, r]) =>
        `${name.padEnd(26)}${r.images.toFixed(2).padStart(8)}${(r.images / plain.images).toFixed(3).padStart(9)}` +
        `${r.captions.toFixed(2).padStart(8)}${(r.captions / plain.captions).toFixed(3).padStart(9)}`,
    ),
    '',
    train?.trainPairsPerSecond === undefined
      ? `HarMA training step at batch ${TRAIN_BATCH}: failed (${train?.trainError ?? 'the process aborted'})`
      : `HarMA training step at batch ${TRAIN_BATCH}: ${train.trainPairsPerSecond.toFixed(2)} pairs/s ` +
        `(${(train.trainPairsPerSecond / (train.rows[0]?.[1].images as number)).toFixed(3)} × plain image inference in the same process)`,
    'anchor (official PyTorch with adapters, 2 threads): 11 img/s, 10.6 cap/s, 2.6 pairs/s in training at batch 32',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const phase = process.env.HARMA_BENCH_PHASE;
if (phase === 'inference' || phase === 'train') {
  const result = phase === 'inference' ? await inferencePhase() : await trainPhase();
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  report(runChild('inference'), runChild('train'));
}
