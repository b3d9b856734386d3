import * as tf from '@tensorflow/tfjs-core';
import { Module, type Parameter, type SeededRandom } from '@harma/core';
import { TinyDualEncoder } from './tiny-dual-encoder';

/**
 * `TinyDualEncoder` whose image tower normalises its hidden units with the statistics of the batch
 * it is given, as BatchNorm in training mode does, and counts its calls (its "running
 * statistics"): its towers say `batchDependent` while `training`. The image weights are frozen,
 * as a CLIP ResNet's are under HarMA, unless the test unfreezes them.
 */
export class BatchStatisticsEncoder extends TinyDualEncoder {
  training = true;
  /** Image-tower calls in training mode: one per step is the official count. */
  imageCalls = 0;
  readonly #imageModule = new Module();

  constructor(rng: SeededRandom) {
    super(rng);
    for (const [name, parameter] of this.parameters) {
      if (!name.startsWith('image.')) continue;
      this.#imageModule.register(name.slice('image.'.length), parameter);
      parameter.trainable = false;
    }
  }

  /** The image tower as the losses see it: its module, and whether it is batch-dependent now. */
  get towers(): { readonly vision: { readonly module: Module; readonly batchDependent: boolean } } {
    return { vision: { module: this.#imageModule, batchDependent: this.training } };
  }

  /** The image tower's parameters. */
  imageParameters(): Array<[string, Parameter]> {
    return this.parameters.filter(([name]) => name.startsWith('image.'));
  }

  /** `pixels` [B, 3, 4, 4] → [B, 8]: the hidden units standardised over the batch in training mode. */
  override encodeImage(pixels: tf.Tensor): tf.Tensor {
    if (!this.training) return super.encodeImage(pixels);
    this.imageCalls += 1;
    return tf.tidy(() => {
      const [weight, bias, projection] = this.imageParameters().map(([, parameter]) => parameter.value) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const hidden = tf.add(tf.matMul(tf.reshape(pixels, [pixels.shape[0] as number, -1]), weight), bias);
      const { mean, variance } = tf.moments(hidden, 0);
      const normalised = tf.tanh(tf.div(tf.sub(hidden, mean), tf.sqrt(tf.add(variance, 1e-5))));
      const out = tf.matMul(normalised, projection);
      return tf.div(out, tf.norm(out, 'euclidean', 1, true));
    });
  }
}
