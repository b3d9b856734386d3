import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { linearDefaultBound, uniformTensor } from '../random/init';
import type { SeededRandom } from '../random/seeded-random';

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
    return linear(x, this.weight.value, this.bias?.value);
  }
}

/**
 * x·Wᵀ + b for `x` [..., in], `weight` [out, in], `bias` [out]: one fused matMul over the
 * flattened leading dimensions.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inFeatures = weight.shape[1] as number;
    const outFeatures = weight.shape[0] as number;
    if (x.shape[x.rank - 1] !== inFeatures) {
      throw new Error(`linear: input has ${x.shape[x.rank - 1]} features, weight [${weight.shape}] expects ${inFeatures}`);
    }
    const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inFeatures]);
    // Not tf.fused.matMul: the wasm backend adds the bias by row when transposeB is set (tfjs 4.22).
    const product = tf.matMul(flat, weight, false, true);
    const y = bias ? tf.add(product, bias) : product;
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outFeatures]);
  });
}
