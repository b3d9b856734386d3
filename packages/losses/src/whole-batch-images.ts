import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, Parameter, TowerSite } from '@harma/core';

/**
 * What the training algorithms read of a backbone: its two encoders, and its towers when it has
 * them (to learn whether the image tower is batch-dependent, see `TowerSite.batchDependent`).
 */
export type TrainingEncoder = Pick<Backbone, 'encodeImage' | 'encodeText'> & { readonly towers?: { readonly vision: Pick<TowerSite, 'module' | 'batchDependent'> } };

/** The names among `parameters` that train inside the image tower's module. */
export function trainingImageParameters(backbone: TrainingEncoder, parameters: ReadonlyArray<readonly [string, Parameter]>): string[] {
  const vision = backbone.towers?.vision;
  if (!vision) return [];
  const inTower = new Set(vision.module.parameters());
  return parameters.filter(([, parameter]) => parameter.trainable && inTower.has(parameter)).map(([name]) => name);
}

/**
 * The image embeddings [B, embedDim] of a whole batch, encoded in one call outside any gradient
 * computation, when the backbone's image tower is batch-dependent (`towers.vision.batchDependent`:
 * CLIP ResNet's BatchNorm in training mode, the official loop's `model.train()`); undefined when
 * its rows are independent. That tower's embeddings depend on the whole batch and each call
 * updates its running statistics, so encoding it in parts — micro-batches, threads, the second
 * pass of gradient caching — would change both; one call per step over the whole batch is what
 * the official loop computes. Its frozen weights need no backward pass, so the call is not
 * recorded. Trainable parameters inside the image tower would get no gradient this way: that
 * throws, naming them.
 *
 * @param pixels the whole batch [B, 3, S, S]
 * @param parameters what the step differentiates, by name
 */
export function wholeBatchImageEmbeddings(backbone: TrainingEncoder, pixels: tf.Tensor, parameters: ReadonlyArray<readonly [string, Parameter]>): tf.Tensor | undefined {
  if (backbone.towers?.vision.batchDependent !== true) return undefined;
  const trained = trainingImageParameters(backbone, parameters);
  if (trained.length > 0) {
    const shown = trained.slice(0, 3).join(', ') + (trained.length > 3 ? `, … (${trained.length} in all)` : '');
    throw new Error(
      `the image tower normalises with the statistics of the whole batch (BatchNorm in training mode), so a step encodes the batch's images in one pass and cannot split them ` +
        `(micro-batches, threads) while parameters inside that tower train: ${shown}. Freeze them, keep its BatchNorm statistics frozen, or train on one thread without micro-batches`,
    );
  }
  return tf.tidy(() => backbone.encodeImage(pixels));
}
