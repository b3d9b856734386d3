import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from '@harma/core';
import type { HarmaLossSettings } from './harma-objective';
import { objectiveHead, type LossTerms } from './objective-head';
import { shardGradients, type EmbeddingExchange, type Shard } from './shard-gradients';
import { trainingImageParameters, wholeBatchImageEmbeddings, type TrainingEncoder } from './whole-batch-images';

/** One training batch as flat, batch-first arrays (what `@harma/data`'s BatchLoader yields). */
export interface TrainingBatch {
  /** [size, 3, imageSize, imageSize] float32, normalised. */
  pixels: Float32Array;
  /** [size, contextLength] int32, zero padded. */
  tokens: Int32Array;
  /** [size] int32: the image id of each pair (captions of one image share it). */
  imageIds: Int32Array;
  size: number;
  imageSize: number;
}

export interface BatchGradientsOptions {
  /** Default: `HARMA_LOSS_DEFAULTS`, the paper's loss. */
  loss?: HarmaLossSettings;
  /** Pairs encoded at once. Default: the whole batch (one forward pass). */
  microBatchSize?: number;
}

export interface BatchGradients {
  terms: LossTerms;
  /**
   * d total / d parameter for every trainable parameter given, in their order (zeros where it
   * has no influence); the caller disposes them.
   */
  gradients: Map<string, tf.Tensor>;
}

/**
 * Loss terms and gradients of one batch of the HarMA objective on one thread: the batch is one
 * shard (`shardGradients`) whose exchange computes the objective head (`objectiveHead`) right
 * here — the data-parallel path with every row in this thread, so both give the same numbers.
 *
 * With a micro-batch smaller than the batch the result is still that of the whole batch (the
 * contrastive and triplet losses compare every pair in it, so summing per-micro-batch losses
 * would change the objective): gradient caching encodes every micro-batch without recording,
 * takes the objective's gradient w.r.t. the cached embeddings and `temp`, then re-encodes each
 * micro-batch and back-propagates its rows of that gradient. One extra forward pass; the memory
 * of one micro-batch.
 *
 * A batch-dependent image tower (BatchNorm in training mode, see `wholeBatchImageEmbeddings`) is
 * encoded once for the whole batch before the rest, outside the gradient computation — what the
 * data-parallel threads do too, so both give the same numbers and one running-statistics update
 * per step. Should parameters inside it train, the whole batch is encoded inside the gradient
 * computation instead, which only one pass over the whole batch can do exactly.
 *
 * @param temperature the objective's `temp` (it may or may not be among `trainable`)
 * @param trainable the parameters to differentiate, by name; frozen ones get no gradient
 */
export function batchGradients(
  backbone: TrainingEncoder,
  temperature: Parameter,
  trainable: ReadonlyArray<readonly [string, Parameter]>,
  batch: TrainingBatch,
  options: BatchGradientsOptions = {},
): BatchGradients {
  const pixels = tf.tensor4d(batch.pixels, [batch.size, 3, batch.imageSize, batch.imageSize]);
  const tokens = tf.tensor2d(batch.tokens, [batch.size, batch.tokens.length / batch.size], 'int32');
  const towers = trainable.filter(([, parameter]) => parameter !== temperature && parameter.trainable);
  const onePass = (options.microBatchSize ?? batch.size) >= batch.size;
  let shard: Shard;
  try {
    const imageEmbeddings = onePass && trainingImageParameters(backbone, towers).length > 0 ? undefined : wholeBatchImageEmbeddings(backbone, pixels, towers);
    shard = imageEmbeddings ? { imageEmbeddings, tokens, size: batch.size } : { pixels, tokens, size: batch.size };
  } catch (error) {
    tf.dispose([pixels, tokens]);
    throw error;
  }
  let terms: LossTerms | undefined;
  let temperatureGradient: tf.Tensor | undefined;
  const exchange: EmbeddingExchange = (image, text) => {
    // Values, not the tensors: the encoders' recording must not reach into the objective head.
    const head = objectiveHead(detached(image), detached(text), { temperature, imageIds: batch.imageIds, loss: options.loss });
    terms = head.terms;
    if (head.temperatureGradient) temperatureGradient = tf.keep(head.temperatureGradient);
    return { dImage: head.imageGradient, dText: head.textGradient };
  };
  let shardResult: Map<string, tf.Tensor>;
  try {
    shardResult = shardGradients(backbone, towers, shard, exchange, { microBatchSize: options.microBatchSize });
  } catch (error) {
    tf.dispose(temperatureGradient);
    throw error;
  } finally {
    tf.dispose([pixels, tokens, ...(shard.imageEmbeddings ? [shard.imageEmbeddings] : [])]);
  }
  const gradients = new Map<string, tf.Tensor>();
  for (const [name, parameter] of trainable) {
    const gradient = parameter === temperature ? temperatureGradient : shardResult.get(name);
    if (gradient) gradients.set(name, gradient);
  }
  // `temp` trains but was not asked for: its gradient has no place in the result.
  if (temperatureGradient && !trainable.some(([, parameter]) => parameter === temperature)) temperatureGradient.dispose();
  return { terms: terms as LossTerms, gradients };
}

/** A new tensor holding `x`'s values, unconnected to whatever computed `x`. */
function detached(x: tf.Tensor): tf.Tensor {
  return tf.tensor(x.dataSync(), x.shape, x.dtype);
}
