/**
 * The recall change int8 weights cause (npm run bench:recall in packages/inference): ORT fp32 and
 * ORT int8 encoders of one export evaluate the synthetic data set's test split (@harma/data, RSITMD
 * layout), and `compareRecall` reports both metric sets, their difference and how far the
 * embeddings moved. Merges `inference.int8.recall-change.*` into bench/results.json.
 * Environment: HARMA_BENCH_EXPORT — an export directory (a trained model's, for figures that mean
 * something); without it a ViT-B/32 with random weights and HarMA is exported, whose recall is
 * near chance, so the change mostly measures how often int8 reorders near-ties.
 * HARMA_BENCH_IMAGES — size of the generated data set (default 500: 50 test images, 250 captions).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { attachHarma } from '@harma/adapters';
import { ClipTokenizer, createClip, loadModelConfig, trainBpeVocabulary } from '@harma/backbones';
import { generateSyntheticDataset, preprocessImage, readEvalAnnotations, syntheticDatasetFiles } from '@harma/data';
import { compareRecall, exportOnnx, loadExportedModel, type RetrievalSplit } from '../src/index';
import { benchResult, mergeResults, repositoryResultsFile } from '@harma/bench-results';

const REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RESULTS_FILE = repositoryResultsFile();
/** The CLIP vocabulary is reference data outside the repository (see @harma/test-support's referencePath). */
const VOCABULARY = path.join(process.env.HARMA_REFERENCE_DATA ?? path.join(REPOSITORY, '..', 'shared'), 'vocab', 'bpe_simple_vocab_16e6.txt.gz');

async function randomExport(dir: string, captions: readonly string[]): Promise<void> {
  await useBackend('wasm');
  const tokenizer = existsSync(VOCABULARY) ? await ClipTokenizer.load(VOCABULARY) : new ClipTokenizer(trainBpeVocabulary(captions, { merges: 1000 }));
  const model = createClip(loadModelConfig('ViT-B-32'), { rng: new SeededRandom('bench-vit-b-32'), tokenizer });
  attachHarma(model, { rng: new SeededRandom('bench-harma') });
  const rng = new SeededRandom('bench-up-projections');
  for (const [name, parameter] of model.module.namedParameters()) {
    if (/\.(img_proj_up|l2)\.weight$/.test(name)) tf.tidy(() => parameter.assign(tf.mul(tf.randomNormal(parameter.shape, 0, 1, 'float32', rng.int(1 << 30)), 0.02)));
  }
  await exportOnnx(model, dir);
  model.dispose();
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'harma-recall-'));
  try {
    const images = Number(process.env.HARMA_BENCH_IMAGES ?? 500);
    const dataDir = path.join(work, 'data');
    await generateSyntheticDataset(dataDir, { images, seed: 'bench-recall' });
    const files = syntheticDatasetFiles(dataDir);
    const test = await readEvalAnnotations(files.test);
    const exportDir = process.env.HARMA_BENCH_EXPORT ?? path.join(work, 'export');
    if (!process.env.HARMA_BENCH_EXPORT) await randomExport(exportDir, test.captions);
    const fp32 = await loadExportedModel(exportDir, { precision: 'fp32' });
    const int8 = await loadExportedModel(exportDir, { precision: 'int8' });
    const size = fp32.preprocess.size;
    const pixels = new Float32Array(test.images.length * 3 * size * size);
    for (const [i, image] of test.images.entries()) {
      pixels.set(await preprocessImage(path.join(files.imageRoot, image), fp32.preprocess), i * 3 * size * size);
    }
    const split: RetrievalSplit = {
      images: pixels,
      imageCount: test.images.length,
      captions: fp32.tokenizer.encode(test.captions),
      captionCount: test.captions.length,
      img2txt: test.img2txt,
      txt2img: test.txt2img,
    };
    const comparison = await compareRecall(fp32.encoder, int8.encoder, split);
    await Promise.all([fp32.dispose(), int8.dispose()]);
    const format = (metrics: object): string => Object.entries(metrics as Record<string, number>).map(([k, v]) => `${k} ${v.toFixed(2)}`).join('  ');
    process.stdout.write(`${process.env.HARMA_BENCH_EXPORT ? exportDir : 'random-weight ViT-B/32 + HarMA'}; ${split.imageCount} test images, ${split.captionCount} captions\n`);
    process.stdout.write(`fp32   ${format(comparison.reference)}\nint8   ${format(comparison.candidate)}\nchange ${format(comparison.change)}\n`);
    process.stdout.write(`embedding cosine int8 vs fp32: images min ${comparison.image.minCosine.toFixed(5)} mean ${comparison.image.meanCosine.toFixed(5)}; captions min ${comparison.text.minCosine.toFixed(5)} mean ${comparison.text.meanCosine.toFixed(5)}\n`);
    await mergeResults(RESULTS_FILE, [
      benchResult('inference.int8.recall-change.r_mean', comparison.change.r_mean, 'recall points (int8 − fp32)', null),
      benchResult('inference.int8.recall-change.txt_r1', comparison.change.txt_r1, 'recall points (int8 − fp32)', null),
      benchResult('inference.int8.recall-change.img_r1', comparison.change.img_r1, 'recall points (int8 − fp32)', null),
      benchResult('inference.int8.min-cosine.images', comparison.image.minCosine, 'cosine to fp32', 0.99),
      benchResult('inference.int8.min-cosine.captions', comparison.text.minCosine, 'cosine to fp32', 0.99),
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
