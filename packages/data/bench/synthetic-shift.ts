// How hard is the synthetic target style for a model fitted on the source style, and how much of
// it can be learnt back? A linear probe (ridge regression from simple image features — an 8×8
// colour thumbnail, a colour histogram, edge energy — to bag-of-words caption vectors) stands in
// for a small CLIP: r_mean (as the paper) on 300 test images of each style, fitted on the source
// (zero-shot on the target) or on the target itself. Run with `npm run bench` (after `npx tsup`).
import { interpolateStyle, normalizeCaption, renderSyntheticScene, SCENE_CLASSES, SOURCE_STYLE, syntheticVocabulary, TARGET_STYLE, type SyntheticStyle } from '../src/index';

const SIZE = 64;
const TRAIN = Number(process.env.BENCH_TRAIN ?? 1400);
const TEST = 300;
const words = new Map(syntheticVocabulary().map((w, i) => [w, i] as const));
const BIGRAMS = 512;
const TEXT_DIM = words.size + BIGRAMS;

/** Unit bag of words plus hashed word pairs (order matters a little, as in sentences). */
function textVector(caption: string): Float64Array {
  const v = new Float64Array(TEXT_DIM);
  const tokens = normalizeCaption(caption).split(' ');
  for (const token of tokens) v[words.get(token) ?? 0] = 1;
  for (let i = 0; i + 1 < tokens.length; i++) {
    let h = 0;
    for (const ch of `${tokens[i]} ${tokens[i + 1]}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
    v[words.size + (h % BIGRAMS)] = 1;
  }
  return unit(v);
}

function imageFeatures(data: Uint8Array): Float64Array {
  const out: number[] = [];
  const cell = SIZE / 8;
  for (let gy = 0; gy < 8; gy++)
    for (let gx = 0; gx < 8; gx++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let y = 0; y < cell; y++) for (let x = 0; x < cell; x++) sum += data[((gy * cell + y) * SIZE + gx * cell + x) * 3 + c] as number;
        out.push(sum / (cell * cell * 255));
      }
  const histogram = new Array<number>(64).fill(0);
  for (let i = 0; i < data.length; i += 3) histogram[((data[i] as number) >> 6) * 16 + ((data[i + 1] as number) >> 6) * 4 + ((data[i + 2] as number) >> 6)]! += 1;
  for (const count of histogram) out.push(Math.sqrt(count / (SIZE * SIZE)));
  for (let gy = 0; gy < 4; gy++)
    for (let gx = 0; gx < 4; gx++) {
      let energy = 0;
      for (let y = gy * 16; y < gy * 16 + 15; y++)
        for (let x = gx * 16; x < gx * 16 + 15; x++) {
          const i = (y * SIZE + x) * 3 + 1;
          energy += Math.abs((data[i] as number) - (data[i + 3] as number)) + Math.abs((data[i] as number) - (data[i + SIZE * 3] as number));
        }
      out.push(energy / (225 * 255));
    }
  return Float64Array.from(out);
}

interface Split {
  features: Float64Array[];
  captions: string[][];
}

function draw(style: SyntheticStyle, count: number, tag: string): Split {
  const split: Split = { features: [], captions: [] };
  for (let i = 0; i < count; i++) {
    const scene = renderSyntheticScene({ seed: `${tag}/${i}`, sceneClass: SCENE_CLASSES[i % SCENE_CLASSES.length] as (typeof SCENE_CLASSES)[number], style, size: SIZE });
    split.features.push(imageFeatures(scene.image.data));
    split.captions.push(scene.captions);
  }
  return split;
}

/** Standardisation fitted on one split's features (a frozen model keeps the source's). */
function standardiser(features: Float64Array[]): (x: Float64Array) => Float64Array {
  const d = (features[0] as Float64Array).length;
  const mean = new Float64Array(d);
  const deviation = new Float64Array(d);
  for (const x of features) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (x[j] as number) / features.length;
  for (const x of features) for (let j = 0; j < d; j++) deviation[j] = (deviation[j] as number) + ((x[j] as number) - (mean[j] as number)) ** 2 / features.length;
  return (x) => {
    const out = new Float64Array(d + 1);
    for (let j = 0; j < d; j++) out[j] = ((x[j] as number) - (mean[j] as number)) / (Math.sqrt(deviation[j] as number) + 1e-6);
    out[d] = 1;
    return out;
  };
}

/** Ridge regression W = (XᵀX + λI)⁻¹ XᵀY from features to the mean caption vector of each image. */
function fit(split: Split, standardise: (x: Float64Array) => Float64Array, lambda = 10): Float64Array[] {
  const xs = split.features.map(standardise);
  const d = (xs[0] as Float64Array).length;
  const a = Array.from({ length: d }, () => new Float64Array(d + TEXT_DIM));
  xs.forEach((x, i) => {
    const y = new Float64Array(TEXT_DIM);
    for (const caption of split.captions[i] as string[]) textVector(caption).forEach((v, j) => (y[j] = (y[j] as number) + v / 5));
    for (let p = 0; p < d; p++) {
      const row = a[p] as Float64Array;
      const xp = x[p] as number;
      for (let q = 0; q < d; q++) row[q] = (row[q] as number) + xp * (x[q] as number);
      for (let j = 0; j < TEXT_DIM; j++) if (y[j] !== 0) row[d + j] = (row[d + j] as number) + xp * (y[j] as number);
    }
  });
  for (let p = 0; p < d; p++) (a[p] as Float64Array)[p] = ((a[p] as Float64Array)[p] as number) + lambda;
  // Gauss–Jordan on [A | B]; A is symmetric positive definite, so no pivoting is needed.
  for (let i = 0; i < d; i++) {
    const pivotRow = a[i] as Float64Array;
    const pivot = pivotRow[i] as number;
    for (let j = i; j < d + TEXT_DIM; j++) pivotRow[j] = (pivotRow[j] as number) / pivot;
    for (let k = 0; k < d; k++) {
      if (k === i) continue;
      const row = a[k] as Float64Array;
      const factor = row[i] as number;
      if (factor !== 0) for (let j = i; j < d + TEXT_DIM; j++) row[j] = (row[j] as number) - factor * (pivotRow[j] as number);
    }
  }
  return a.map((row) => row.slice(d));
}

/** The paper's r_mean: mean of R@1/5/10 image→text (best caption rank) and text→image. */
function rMean(weights: Float64Array[], split: Split, standardise: (x: Float64Array) => Float64Array): number {
  const predicted = split.features.map((f) => {
    const x = standardise(f);
    const p = new Float64Array(TEXT_DIM);
    weights.forEach((row, k) => {
      const xk = x[k] as number;
      for (let j = 0; j < TEXT_DIM; j++) p[j] = (p[j] as number) + xk * (row[j] as number);
    });
    return unit(p);
  });
  const texts: Float64Array[] = [];
  const owner: number[] = [];
  split.captions.forEach((captions, i) => captions.forEach((c) => (texts.push(textVector(c)), owner.push(i))));
  const scores = predicted.map((p) => texts.map((t) => dot(p, t)));
  const recall = (ranks: number[], k: number): number => (100 * ranks.filter((r) => r < k).length) / ranks.length;
  const imageRanks = scores.map((row, i) => {
    const own = Math.max(...row.filter((_, j) => owner[j] === i));
    return row.filter((s) => s > own).length;
  });
  const textRanks = texts.map((_, j) => {
    const own = (scores[owner[j] as number] as number[])[j] as number;
    return scores.filter((row) => (row[j] as number) > own).length;
  });
  return [1, 5, 10].reduce((sum, k) => sum + recall(imageRanks, k) + recall(textRanks, k), 0) / 6;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function unit(v: Float64Array): Float64Array {
  const n = Math.sqrt(dot(v, v)) || 1;
  return v.map((x) => x / n);
}

const started = performance.now();
const sourceTrain = draw(SOURCE_STYLE, TRAIN, 'source-train');
const onSource = standardiser(sourceTrain.features);
const sourceModel = fit(sourceTrain, onSource);
console.log(`linear probe, ${SIZE}px, fitted on ${TRAIN} source images; r_mean on ${TEST} test images (chance ≈ 1.8):`);
console.log(`  source → source test:        ${rMean(sourceModel, draw(SOURCE_STYLE, TEST, 'source-test'), onSource).toFixed(1)}`);
for (const t of [0.25, 0.5, 0.75]) {
  const style = interpolateStyle(t);
  console.log(`  source → interpolateStyle(${t}): ${rMean(sourceModel, draw(style, TEST, `${style.name}-test`), onSource).toFixed(1)}  (zero-shot)`);
}
const targetTest = draw(TARGET_STYLE, TEST, 'target-test');
console.log(`  source → target test:        ${rMean(sourceModel, targetTest, onSource).toFixed(1)}  (zero-shot)`);
const targetTrain = draw(TARGET_STYLE, TRAIN, 'target-train');
const onTarget = standardiser(targetTrain.features);
console.log(`  target → target test:        ${rMean(fit(targetTrain, onTarget), targetTest, onTarget).toFixed(1)}  (fitted on the target: what adaptation can reach)`);
console.log(`  ${((performance.now() - started) / 1000).toFixed(0)} s`);
