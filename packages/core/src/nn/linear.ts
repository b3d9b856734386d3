import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { linearDefaultBound, uniformTensor } from '../random/init';
import type { SeededRandom } from '../random/seeded-random';
import { customGradient } from './custom-gradient';

export interface LinearOptions {
  /** Learn an additive bias. Default: true. */
  bias?: boolean;
  /** Draw PyTorch's default initialisation from this stream. Default: zeros (to be loaded from weights). */
  rng?: SeededRandom;
}

/** y = x·Wᵀ + b with PyTorch's layout: `weight` [out, in], `bias` [out]. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    const bound = linearDefaultBound(inFeatures);
    const init = (shape: number[]): tf.Tensor =>
      options.rng ? uniformTensor(shape, options.rng, -bound, bound) : tf.zeros(shape);
    this.weight = this.register('weight', new Parameter(init([outFeatures, inFeatures])));
    this.bias = options.bias === false ? undefined : this.register('bias', new Parameter(init([outFeatures])));
  }

  /** `x` [..., in] → [..., out]. */
  forward(x: tf.Tensor): tf.Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/**
 * x·Wᵀ + b for `x` [..., in] and a weight read as an [out, in] matrix (a 4-D conv kernel
 * [out, c, kh, kw] flattens to in = c·kh·kw), `bias` [out].
 *
 * Every product is issued without transpose flags, the only layout the wasm backend multiplies at
 * full speed (tfjs 4.22: transposeB ~30×, transposeA ~60× slower). A frozen Parameter multiplies
 * by its cached [in, out] copy and differentiates only w.r.t. x (dx = dy·W, W as stored); a
 * trainable weight also gets dW = dyᵀ·x through an explicit transpose. (`tf.fused.matMul` is also
 * avoided: with transposeB and a bias it adds the bias by row on wasm.)
 */
export function linear(x: tf.Tensor, weight: Parameter | tf.Tensor, bias?: Parameter | tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const value = weight instanceof Parameter ? weight.value : weight;
    const outFeatures = value.shape[0] as number;
    const inFeatures = value.size / outFeatures;
    if (x.shape[x.rank - 1] !== inFeatures) {
      throw new Error(`linear: input has ${x.shape[x.rank - 1]} features, weight [${value.shape}] expects ${inFeatures}`);
    }
    const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inFeatures]);
    const matrix = value.rank === 2 ? value : tf.reshape(value, [outFeatures, inFeatures]);
    const product =
      weight instanceof Parameter && !weight.trainable
        ? frozenProduct(flat, matrix, weight.transposedMatrix())
        : trainableProduct(flat, matrix);
    const biasValue = bias instanceof Parameter ? bias.value : bias;
    const y = biasValue ? tf.add(product, biasValue) : product;
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outFeatures]);
  });
}

/** x [n, in] · Wᵀ with W [out, in] constant and Wᵀ [in, out] given; gradient only for x. */
function frozenProduct(x: tf.Tensor, weight: tf.Tensor, transposed: tf.Tensor): tf.Tensor {
  return customGradient<[tf.Tensor]>((input, save) => {
    // Saved (not captured): a reshaped conv kernel made inside the caller's tidy must outlive it.
    save([weight]);
    return {
      value: tf.matMul(input, transposed),
      gradFunc: (dy, saved) => tf.matMul(dy, saved[0] as tf.Tensor),
    };
  })(x);
}

/** x [n, in] · Wᵀ with W [out, in] learned: gradients for both. */
const trainableProduct = customGradient<[tf.Tensor, tf.Tensor]>((input, weight, save) => {
  save([input, weight]);
  return {
    value: tf.matMul(input, tf.transpose(weight)),
    gradFunc: (dy, saved) => {
      const [savedInput, savedWeight] = saved as [tf.Tensor, tf.Tensor];
      return [tf.matMul(dy, savedWeight), tf.matMul(tf.transpose(dy), savedInput)];
    },
  };
});
