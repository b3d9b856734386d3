import * as tf from '@tensorflow/tfjs-core';
import type { ImagePreprocessSpec, TextTokenizer } from '@harma/core';
import { BatchLoader, evalImageSamples, type EvalAnnotations, type MissingImagePolicy } from '@harma/data';
import { embeddingDiagnostics, retrievalMetrics, type EmbeddingDiagnostics, type RetrievalMetrics } from '@harma/metrics';
import type { Encoder } from '../encoder/encoder';

/** What evaluation needs of a model: batches of normalised embeddings (the tfjs and ONNX Runtime encoders both give them). */
export type EmbeddingEncoder = Pick<Encoder, 'embedDim' | 'encodeImages' | 'encodeTexts'>;

export interface EvaluateSplitOptions {
  /** Folder the annotation's image paths are relative to. */
  imageRoot: string;
  /** The model's tokenizer (`Backbone.tokenizer`, or the one an export saved). */
  tokenizer: TextTokenizer;
  /** The model's image preprocessing: size, mean and std of the paper's test transform. */
  preprocess: Pick<ImagePreprocessSpec, 'size' | 'mean' | 'std'>;
  /** Images or captions encoded at once. Default: 64. */
  batchSize?: number;
  /** Decoding worker threads. Default: 1. */
  workers?: number;
  /** Keep decoded images between evaluations (small sets evaluated every epoch). */
  cacheImages?: boolean;
  onMissingImage?: MissingImagePolicy;
  /** Reuse an image loader across calls (the cache lives in it); created when absent. */
  loader?: BatchLoader;
}

export interface SplitEvaluation {
  metrics: RetrievalMetrics;
  diagnostics: EmbeddingDiagnostics;
  images: number;
  captions: number;
  seconds: number;
}

/** Build the loader of an evaluation split's images (the paper's test transform). */
export function evaluationLoader(annotations: EvalAnnotations, options: Omit<EvaluateSplitOptions, 'tokenizer' | 'loader'>): BatchLoader {
  return new BatchLoader({
    samples: evalImageSamples(annotations),
    imageRoot: options.imageRoot,
    batchSize: options.batchSize ?? 64,
    transform: { mode: 'test', size: options.preprocess.size, mean: options.preprocess.mean, std: options.preprocess.std },
    workers: options.workers ?? 1,
    cache: options.cacheImages ?? false,
    onMissingImage: options.onMissingImage ?? 'fail',
  });
}

/**
 * The paper's evaluation of one split: every image and caption embedded, recall both ways from
 * the image × caption scores (streamed block by block, `@harma/metrics`), and the embedding
 * diagnostics. The trainer's validation, `harma eval` and the benches all evaluate through it.
 */
export async function evaluateSplit(encoder: EmbeddingEncoder, annotations: EvalAnnotations, options: EvaluateSplitOptions): Promise<SplitEvaluation> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 64;
  const loader = options.loader ?? evaluationLoader(annotations, options);
  const dim = encoder.embedDim;
  const imageEmbeddings = new Float32Array(annotations.images.length * dim);
  try {
    for await (const batch of loader.epoch(0)) {
      const embedded = await encoder.encodeImages(batch.pixels, batch.size);
      for (let i = 0; i < batch.size; i++) {
        const index = batch.indices[i] as number;
        imageEmbeddings.set(embedded.subarray(i * dim, (i + 1) * dim), index * dim);
      }
    }
  } finally {
    if (!options.loader) await loader.close();
  }
  if (loader.skipped.length > 0) throw new Error(`${annotations.file}: ${loader.skipped.length} images could not be read; evaluation needs every image`);
  const textEmbeddings = new Float32Array(annotations.captions.length * dim);
  for (let start = 0; start < annotations.captions.length; start += batchSize) {
    const captions = annotations.captions.slice(start, start + batchSize);
    const embedded = await encoder.encodeTexts(options.tokenizer.encode(captions), captions.length);
    textEmbeddings.set(embedded, start * dim);
  }
  const images = tf.tensor2d(imageEmbeddings, [annotations.images.length, dim]);
  const texts = tf.tensor2d(textEmbeddings, [annotations.captions.length, dim]);
  try {
    const metrics = retrievalMetrics({ imageEmbeddings: images, textEmbeddings: texts }, { img2txt: annotations.img2txt, txt2img: annotations.txt2img });
    const diagnostics = embeddingDiagnostics({ imageEmbeddings: images, textEmbeddings: texts }, { txt2img: annotations.txt2img });
    return { metrics, diagnostics, images: annotations.images.length, captions: annotations.captions.length, seconds: (performance.now() - started) / 1000 };
  } finally {
    tf.dispose([images, texts]);
  }
}
