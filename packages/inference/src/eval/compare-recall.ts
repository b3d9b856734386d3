import * as tf from '@tensorflow/tfjs-core';
import { retrievalMetrics, type RetrievalMetrics } from '@harma/metrics';
import type { Encoder } from '../encoder/encoder';
import { embeddingAgreement, type EmbeddingAgreement } from './embedding-agreement';

/** An evaluation split ready for encoders: preprocessed images, token ids and the ground truth. */
export interface RetrievalSplit {
  /** [imageCount, 3, size, size], normalised. */
  images: Float32Array;
  imageCount: number;
  /** [captionCount, contextLength], zero padded. */
  captions: Int32Array | BigInt64Array;
  captionCount: number;
  /** Caption indices of each image. */
  img2txt: ReadonlyArray<ArrayLike<number>>;
  /** Image index of each caption. */
  txt2img: ArrayLike<number>;
}

export type MetricName = keyof RetrievalMetrics;

export interface RecallComparison {
  reference: RetrievalMetrics;
  candidate: RetrievalMetrics;
  /** candidate − reference, per metric, in recall points (unrounded). */
  change: Record<MetricName, number>;
  image: EmbeddingAgreement;
  text: EmbeddingAgreement;
}

/**
 * R@1/5/10 both ways and their mean for one encoder on a split (unrounded), computed as every
 * evaluation is: `@harma/metrics`' streamed ranks over the embeddings, default tie rule.
 */
export async function evaluateRetrieval(
  encoder: Encoder,
  split: RetrievalSplit,
): Promise<{ metrics: RetrievalMetrics; imageEmbeddings: Float32Array; textEmbeddings: Float32Array }> {
  const imageEmbeddings = await encoder.encodeImages(split.images, split.imageCount);
  const textEmbeddings = await encoder.encodeTexts(split.captions, split.captionCount);
  const images = tf.tensor2d(imageEmbeddings, [split.imageCount, encoder.embedDim]);
  const texts = tf.tensor2d(textEmbeddings, [split.captionCount, encoder.embedDim]);
  try {
    const metrics = retrievalMetrics({ imageEmbeddings: images, textEmbeddings: texts }, { img2txt: split.img2txt, txt2img: split.txt2img, round: false });
    return { metrics, imageEmbeddings, textEmbeddings };
  } finally {
    tf.dispose([images, texts]);
  }
}

/**
 * The recall change an alternative encoder causes (the int8 variant against fp32, ORT against
 * tfjs): both evaluate the same split; returns both metric sets, their difference, and how far
 * the embeddings moved.
 */
export async function compareRecall(reference: Encoder, candidate: Encoder, split: RetrievalSplit): Promise<RecallComparison> {
  if (reference.embedDim !== candidate.embedDim) {
    throw new Error(`compareRecall: the encoders' embeddings differ in width (${reference.embedDim} and ${candidate.embedDim})`);
  }
  const a = await evaluateRetrieval(reference, split);
  const b = await evaluateRetrieval(candidate, split);
  const change = Object.fromEntries(
    (Object.keys(a.metrics) as MetricName[]).map((name) => [name, b.metrics[name] - a.metrics[name]]),
  ) as Record<MetricName, number>;
  return {
    reference: a.metrics,
    candidate: b.metrics,
    change,
    image: embeddingAgreement(a.imageEmbeddings, b.imageEmbeddings, reference.embedDim),
    text: embeddingAgreement(a.textEmbeddings, b.textEmbeddings, reference.embedDim),
  };
}
