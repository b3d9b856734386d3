import * as tf from '@tensorflow/tfjs-core';
import { Parameter, normalTensor, type SeededRandom } from '@harma/core';
import type { TrainingBatch } from '../src/batch-gradients';

const IMAGE_SIZE = 4;
const CONTEXT = 6;
const VOCABULARY = 12;
const HIDDEN = 10;
const EMBED = 8;

/**
 * A two-tower encoder small enough for exact gradient tests, encoding each row on its own as a
 * backbone does: image `normalise(tanh(flat(pixels)·W + b)·P)`, text
 * `normalise(tanh(Σ_tokens onehot(id)·E)·Q)`. `Q` is frozen, so a frozen weight sits on the path.
 */
export class TinyDualEncoder {
  readonly parameters: Array<[string, Parameter]>;
  readonly temperature = new Parameter(tf.scalar(0.07));

  constructor(rng: SeededRandom) {
    const pixels = 3 * IMAGE_SIZE * IMAGE_SIZE;
    this.parameters = [
      ['temp', this.temperature],
      ['image.weight', new Parameter(normalTensor([pixels, HIDDEN], rng, 0.3))],
      ['image.bias', new Parameter(normalTensor([HIDDEN], rng, 0.1))],
      ['image.projection', new Parameter(normalTensor([HIDDEN, EMBED], rng, 0.5))],
      ['text.embedding', new Parameter(normalTensor([VOCABULARY, HIDDEN], rng, 0.5))],
      ['text.projection', new Parameter(normalTensor([HIDDEN, EMBED], rng, 0.5), { trainable: false })],
    ];
  }

  /** The parameters that train (all but `text.projection`), `temp` first. */
  get trainable(): Array<[string, Parameter]> {
    return this.parameters.filter(([, parameter]) => parameter.trainable);
  }

  /** `pixels` [B, 3, 4, 4] → [B, 8], L2-normalised. */
  encodeImage(pixels: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const flat = tf.reshape(pixels, [pixels.shape[0] as number, -1]);
      const hidden = tf.tanh(tf.add(tf.matMul(flat, this.#value('image.weight')), this.#value('image.bias')));
      return unit(tf.matMul(hidden, this.#value('image.projection')));
    });
  }

  /** `ids` [B, 6] int32 → [B, 8], L2-normalised. */
  encodeText(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const counts = tf.sum(tf.oneHot(ids, VOCABULARY), 1);
      const hidden = tf.tanh(tf.matMul(counts, this.#value('text.embedding')));
      return unit(tf.matMul(hidden, this.#value('text.projection')));
    });
  }

  dispose(): void {
    for (const [, parameter] of this.parameters) parameter.dispose();
  }

  #value(name: string): tf.Tensor {
    return (this.parameters.find(([key]) => key === name) as [string, Parameter])[1].value;
  }
}

function unit(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.norm(x, 'euclidean', 1, true));
}

/** A batch for `TinyDualEncoder`: random pixels and ids; rows 0 and 1 show the same image. */
export function tinyBatch(size: number, rng: SeededRandom): TrainingBatch {
  const tokens = Int32Array.from({ length: size * CONTEXT }, () => rng.int(VOCABULARY));
  const imageIds = Int32Array.from({ length: size }, (_, i) => i);
  if (size > 1) imageIds[1] = 0;
  return { pixels: rng.fillNormal(size * 3 * IMAGE_SIZE * IMAGE_SIZE), tokens, imageIds, size, imageSize: IMAGE_SIZE };
}
