/**
 * Benchmark of the streaming retrieval evaluation (npm run bench in packages/metrics).
 *
 * Measures, each phase in a fresh child process so that its peak RSS is its own:
 * - streaming: exact ranks of 10k images × 50k captions (D = 512, random unit vectors, 5 captions
 *   per image) from embeddings, block by block, and the backend's pure matMul rate on one block;
 * - baseline: the reference's method (full score matrix, then an argsort of every row and every
 *   column, as `itm_eval` does) on 2k × 10k, the largest size it handles comfortably, and the pure
 *   matMul rate of the backend on that matrix.
 * Prints seconds and peak RSS, and ratios against the baseline scaled to the streaming size.
 * Options (environment): HARMA_BENCH_IMAGES / HARMA_BENCH_CAPTIONS / HARMA_BENCH_BLOCK, HARMA_BACKEND.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@harma/core';
import { DEFAULT_BLOCK_SIZE, formatMetricsTable, metricsFromRanks, retrievalRanks } from '../src/index';

const DIM = 512;
const PER_IMAGE = 5;
const STREAM_IMAGES = Number(process.env.HARMA_BENCH_IMAGES ?? 10_000);
const STREAM_CAPTIONS = Number(process.env.HARMA_BENCH_CAPTIONS ?? 50_000);
const BASE_IMAGES = 2_000;
const BASE_CAPTIONS = 10_000;
const BLOCK = process.env.HARMA_BENCH_BLOCK ? Number(process.env.HARMA_BENCH_BLOCK) : undefined;

interface PhaseResult {
  phase: string;
  backend: string;
  images: number;
  captions: number;
  seconds: number;
  /** Peak resident set of the whole child process, bytes. */
  peakRss: number;
  /** RSS right before the timed work (embeddings already made), bytes. */
  startRss: number;
  matMulSeconds?: number;
  /** Pure matMul rate of one score block's shape (blockSize × D · D × blockSize), GFLOP/s. */
  blockGflops?: number;
  blocks?: number;
  metrics?: string;
}

function unitRows(count: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const x = tf.randomNormal([count, DIM], 0, 1, 'float32', seed);
    return tf.div(x, tf.norm(x, 'euclidean', 1, true)) as tf.Tensor2D;
  });
}

function truth(images: number): { img2txt: number[][]; txt2img: Int32Array } {
  const img2txt = Array.from({ length: images }, (_, i) => Array.from({ length: PER_IMAGE }, (_, k) => i * PER_IMAGE + k));
  const txt2img = Int32Array.from({ length: images * PER_IMAGE }, (_, j) => Math.floor(j / PER_IMAGE));
  return { img2txt, txt2img };
}

/** The backend's rate on the streaming method's own matMul shape, best of a few runs, GFLOP/s. */
function blockMatMulRate(block: number): number {
  const left = tf.randomNormal([block, DIM]);
  const right = tf.randomNormal([DIM, block]);
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 8; run++) {
    const started = performance.now();
    const product = tf.matMul(left, right);
    product.dataSync();
    product.dispose();
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  tf.dispose([left, right]);
  return (2 * block * block * DIM) / best / 1e9;
}

function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

async function streamingPhase(): Promise<PhaseResult> {
  const { backend } = await initBackend();
  const images = STREAM_IMAGES;
  const captions = STREAM_CAPTIONS;
  if (captions !== images * PER_IMAGE) throw new Error(`HARMA_BENCH_CAPTIONS must be ${PER_IMAGE} × HARMA_BENCH_IMAGES`);
  const imageEmbeddings = unitRows(images, 1);
  const textEmbeddings = unitRows(captions, 2);
  const blockGflops = blockMatMulRate(BLOCK ?? DEFAULT_BLOCK_SIZE);
  const startRss = process.memoryUsage().rss;
  let blocks = 0;
  const started = performance.now();
  const ranks = retrievalRanks(
    { imageEmbeddings, textEmbeddings },
    { ...truth(images), blockSize: BLOCK, onProgress: (done) => (blocks = done) },
  );
  const seconds = (performance.now() - started) / 1000;
  return { phase: 'streaming', backend, images, captions, seconds, peakRss: peakRss(), startRss, blocks, blockGflops, metrics: formatMetricsTable(metricsFromRanks(ranks)) };
}

/** itm_eval's method: the whole matrix, then a full argsort per image row and per caption column. */
async function baselinePhase(): Promise<PhaseResult> {
  const { backend } = await initBackend();
  const images = BASE_IMAGES;
  const captions = BASE_CAPTIONS;
  const imageEmbeddings = unitRows(images, 1);
  const textEmbeddings = unitRows(captions, 2);
  const { img2txt, txt2img } = truth(images);
  const startRss = process.memoryUsage().rss;
  const started = performance.now();
  const product = tf.matMul(imageEmbeddings, tf.transpose(textEmbeddings));
  const scores = product.dataSync() as Float32Array;
  product.dispose();
  const matMulSeconds = (performance.now() - started) / 1000;
  const byScore = (values: Float32Array) => (a: number, b: number) => (values[b] as number) - (values[a] as number);
  const i2t = new Int32Array(images);
  for (let i = 0; i < images; i++) {
    const row = scores.subarray(i * captions, (i + 1) * captions);
    const order = Array.from({ length: captions }, (_, j) => j).sort(byScore(row));
    const position = new Int32Array(captions);
    order.forEach((caption, rank) => (position[caption] = rank));
    i2t[i] = Math.min(...(img2txt[i] as number[]).map((caption) => position[caption] as number));
  }
  const t2i = new Int32Array(captions);
  const column = new Float32Array(images);
  for (let j = 0; j < captions; j++) {
    for (let i = 0; i < images; i++) column[i] = scores[i * captions + j] as number;
    const order = Array.from({ length: images }, (_, i) => i).sort(byScore(column));
    t2i[j] = order.indexOf(txt2img[j] as number);
  }
  const seconds = (performance.now() - started) / 1000;
  return { phase: 'baseline', backend, images, captions, seconds, peakRss: peakRss(), startRss, matMulSeconds, metrics: formatMetricsTable(metricsFromRanks({ i2t, t2i })) };
}

function runChild(phase: string): PhaseResult {
  const child = spawnSync(process.execPath, [process.argv[1] as string, fileURLToPath(import.meta.url)], {
    env: { ...process.env, HARMA_BENCH_PHASE: phase, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const line = child.stdout.split('\n').find((text) => text.startsWith('{"phase"'));
  if (child.status !== 0 || !line) throw new Error(`bench phase ${phase} failed (exit ${child.status}):\n${child.stderr}\n${child.stdout}`);
  return JSON.parse(line) as PhaseResult;
}

const MiB = 1024 * 1024;
const fmt = (value: number, digits = 2): string => value.toFixed(digits);

function report(streaming: PhaseResult, baseline: PhaseResult): void {
  const scale = (streaming.images * streaming.captions) / (baseline.images * baseline.captions);
  const flopsBaseline = 2 * baseline.images * baseline.captions * DIM;
  const gflops = flopsBaseline / (baseline.matMulSeconds as number) / 1e9;
  const matMulOnePass = (2 * streaming.images * streaming.captions * DIM) / ((streaming.blockGflops as number) * 1e9);
  const baselineScaledSeconds = baseline.seconds * scale;
  const fullMatrixBytes = streaming.images * streaming.captions * 4;
  const baselineScaledRss = baseline.startRss + (baseline.peakRss - baseline.startRss) * scale;
  const lines = [
    `backend ${streaming.backend}, D = ${DIM}, ${PER_IMAGE} captions per image, random unit vectors`,
    '',
    `streaming ranks  ${streaming.images} × ${streaming.captions}: ${fmt(streaming.seconds)} s, ${streaming.blocks} blocks, peak RSS ${fmt(streaming.peakRss / MiB, 0)} MiB (${fmt(streaming.startRss / MiB, 0)} MiB before the call: galleries + runtime)`,
    `baseline (itm_eval: full matrix + argsorts)  ${baseline.images} × ${baseline.captions}: ${fmt(baseline.seconds)} s, of which matMul ${fmt(baseline.matMulSeconds as number)} s (${fmt(gflops, 1)} GFLOP/s); peak RSS ${fmt(baseline.peakRss / MiB, 0)} MiB (${fmt(baseline.startRss / MiB, 0)} MiB before)`,
    '',
    `baseline scaled ×${fmt(scale, 0)} to ${streaming.images} × ${streaming.captions} (linear in the matrix size; the sorts grow faster, so this favours the baseline):`,
    `  time ${fmt(baselineScaledSeconds, 1)} s, full float32 matrix ${fmt(fullMatrixBytes / MiB / 1024, 2)} GiB, peak RSS ≈ ${fmt(baselineScaledRss / MiB / 1024, 2)} GiB`,
    '',
    'ratios (streaming / reference):',
    `  time vs scaled baseline                        ${fmt(streaming.seconds / baselineScaledSeconds, 3)}`,
    `  time vs the matMul FLOPs of one pass           ${fmt(streaming.seconds / matMulOnePass, 3)}   (${fmt(matMulOnePass, 1)} s at ${fmt(streaming.blockGflops as number, 1)} GFLOP/s, best block matMul measured in the streaming process; the method makes one full pass + the positive blocks)`,
    `  peak RSS vs scaled baseline                    ${fmt(streaming.peakRss / baselineScaledRss, 3)}`,
    `  peak RSS increase vs full matrix size          ${fmt((streaming.peakRss - streaming.startRss) / fullMatrixBytes, 3)}`,
    '',
    'streaming figures (random embeddings: near chance):',
    streaming.metrics ?? '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const phase = process.env.HARMA_BENCH_PHASE;
  if (phase === 'streaming') {
    process.stdout.write(`${JSON.stringify(await streamingPhase())}\n`);
    return;
  }
  if (phase === 'baseline') {
    process.stdout.write(`${JSON.stringify(await baselinePhase())}\n`);
    return;
  }
  const baseline = runChild('baseline');
  const streaming = runChild('streaming');
  report(streaming, baseline);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
