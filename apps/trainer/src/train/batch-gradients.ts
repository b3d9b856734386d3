import * as tf from '@tensorflow/tfjs-core';
import { Parameter, valueAndGradients, type Backbone } from '@harma/core';
import { harmaObjective, type HarmaObjective } from '@harma/losses';

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

export interface ObjectiveSettings {
  weights: { contrastive: number; triplet: number; uniformity: number };
  margin: number;
  gamma: number;
}

/** Loss values of one batch (plain numbers, for logs). */
export interface LossTerms {
  total: number;
  contrastive: number;
  triplet: number;
  uniformity?: number;
}

export interface BatchGradientsOptions {
  objective: ObjectiveSettings;
  /** Pairs encoded at once (default: the whole batch). */
  microBatchSize?: number;
}

export interface BatchGradients {
  terms: LossTerms;
  /** d total / d parameter for every trainable parameter given (zeros where it has no influence). */
  gradients: Map<string, tf.Tensor>;
}

interface Slice {
  start: number;
  size: number;
}

function slices(size: number, chunk: number): Slice[] {
  const out: Slice[] = [];
  for (let start = 0; start < size; start += chunk) out.push({ start, size: Math.min(chunk, size - start) });
  return out;
}

function pixelsOf(batch: TrainingBatch, slice: Slice): tf.Tensor {
  const per = 3 * batch.imageSize * batch.imageSize;
  return tf.tensor4d(batch.pixels.subarray(slice.start * per, (slice.start + slice.size) * per), [slice.size, 3, batch.imageSize, batch.imageSize]);
}

function tokensOf(batch: TrainingBatch, slice: Slice): tf.Tensor {
  const length = batch.tokens.length / batch.size;
  return tf.tensor2d(batch.tokens.subarray(slice.start * length, (slice.start + slice.size) * length), [slice.size, length], 'int32');
}

/** The HarMA objective of a whole batch of embeddings (also used by the data-parallel path). */
export function objectiveOf(image: tf.Tensor, text: tf.Tensor, temperature: tf.Tensor, imageIds: Int32Array, settings: ObjectiveSettings): HarmaObjective {
  return harmaObjective(image, text, {
    temperature,
    imageIds,
    weights: settings.weights,
    margin: settings.margin,
    gamma: settings.gamma,
  });
}

/** The objective's terms as plain numbers. */
export function readTerms(objective: HarmaObjective): LossTerms {
  const terms: LossTerms = {
    total: objective.total.dataSync()[0] as number,
    contrastive: objective.contrastive.dataSync()[0] as number,
    triplet: objective.triplet.dataSync()[0] as number,
  };
  if (objective.uniformity) terms.uniformity = objective.uniformity.dataSync()[0] as number;
  return terms;
}

/**
 * Loss terms and gradients of one batch. With a micro-batch smaller than the batch the result is
 * still that of the whole batch — the contrastive and triplet losses compare every pair in it, so
 * summing per-micro-batch losses would change the objective. Gradient caching does it exactly:
 * (1) encode every micro-batch without recording, (2) take the loss and its gradient w.r.t. the
 * cached embeddings and `temp` on the whole batch, (3) re-encode each micro-batch recording and
 * push the cached embedding gradients back (the gradient of Σ e ⊙ stop(dL/de)), summing over
 * micro-batches. Costs one extra forward pass; memory is that of one micro-batch.
 */
export function batchGradients(
  backbone: Backbone,
  temperature: Parameter,
  trainable: ReadonlyArray<readonly [string, Parameter]>,
  batch: TrainingBatch,
  options: BatchGradientsOptions,
): BatchGradients {
  const chunk = Math.min(options.microBatchSize ?? batch.size, batch.size);
  if (chunk >= batch.size) return wholeBatch(backbone, temperature, trainable, batch, options.objective);
  const parts = slices(batch.size, chunk);

  // (1) Embeddings of every micro-batch, nothing recorded for gradients.
  const image = tf.tidy(() => tf.concat(parts.map((part) => backbone.encodeImage(pixelsOf(batch, part))), 0));
  const text = tf.tidy(() => tf.concat(parts.map((part) => backbone.encodeText(tokensOf(batch, part))), 0));

  // (2) The whole-batch loss and its gradients w.r.t. the cached embeddings and the temperature.
  const imageLeaf = new Parameter(image);
  const textLeaf = new Parameter(text);
  let terms: LossTerms | undefined;
  const leaves: Array<[string, Parameter]> = [['image', imageLeaf], ['text', textLeaf]];
  if (temperature.trainable) leaves.push(['temp', temperature]);
  const head = valueAndGradients(() => {
    const objective = objectiveOf(imageLeaf.value, textLeaf.value, temperature.value, batch.imageIds, options.objective);
    terms = readTerms(objective);
    return objective.total;
  }, leaves);
  head.value.dispose();
  const imageGradient = head.gradients.get('image') as tf.Tensor;
  const textGradient = head.gradients.get('text') as tf.Tensor;
  imageLeaf.dispose();
  textLeaf.dispose();

  // (3) Push the embedding gradients back through each micro-batch and sum.
  const towerParameters = trainable.filter(([, parameter]) => parameter !== temperature);
  const gradients = new Map<string, tf.Tensor>();
  if (towerParameters.length > 0) {
    for (const part of parts) {
      const { value, gradients: partial } = valueAndGradients(() => {
        const dImage = tf.slice(imageGradient, [part.start, 0], [part.size, -1]);
        const dText = tf.slice(textGradient, [part.start, 0], [part.size, -1]);
        const surrogate = tf.add(
          tf.sum(tf.mul(backbone.encodeImage(pixelsOf(batch, part)), dImage)),
          tf.sum(tf.mul(backbone.encodeText(tokensOf(batch, part)), dText)),
        );
        return surrogate as tf.Scalar;
      }, towerParameters);
      value.dispose();
      for (const [name, gradient] of partial) {
        const sum = gradients.get(name);
        if (sum) {
          gradients.set(name, tf.add(sum, gradient));
          sum.dispose();
          gradient.dispose();
        } else gradients.set(name, gradient);
      }
    }
  }
  const temperatureGradient = head.gradients.get('temp');
  if (temperatureGradient) {
    const name = trainable.find(([, parameter]) => parameter === temperature)?.[0];
    if (name !== undefined) gradients.set(name, temperatureGradient);
    else temperatureGradient.dispose();
  }
  tf.dispose([imageGradient, textGradient]);
  return { terms: terms as LossTerms, gradients };
}

function wholeBatch(
  backbone: Backbone,
  temperature: Parameter,
  trainable: ReadonlyArray<readonly [string, Parameter]>,
  batch: TrainingBatch,
  settings: ObjectiveSettings,
): BatchGradients {
  let terms: LossTerms | undefined;
  const whole = { start: 0, size: batch.size };
  const { value, gradients } = valueAndGradients(() => {
    const image = backbone.encodeImage(pixelsOf(batch, whole));
    const text = backbone.encodeText(tokensOf(batch, whole));
    const objective = objectiveOf(image, text, temperature.value, batch.imageIds, settings);
    terms = readTerms(objective);
    return objective.total;
  }, trainable);
  value.dispose();
  return { terms: terms as LossTerms, gradients };
}
