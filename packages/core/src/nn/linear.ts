import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { linearDefaultBound, uniformTensor } from '../random/init';
import type { SeededRandom } from '../random/seeded-random';
import { productsOnXnnpack } from '../runtime/product-engine';
import { customGradient } from './custom-gradient';
import { transientOperand } from './transient-operand';

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
 * Speed: where products take transpose flags at no cost (ONNX Runtime's products, native
 * backends) the weight is multiplied as stored, x·Wᵀ with `transposeB`, and dW = dyᵀ·x with
 * `transposeA`. On XNNPACK every product is issued flag-free, the only layout it takes fast: a
 * frozen Parameter multiplies by its [in, out] copy (`transposedMatrix`), a trainable weight by an
 * explicit transpose, and dW = dyᵀ·x transposes dy; right-hand operands go through
 * `transientOperand`. A frozen weight is differentiated only w.r.t. x (dx = dy·W, W as stored).
 * (`tf.fused.matMul` is avoided: with transposeB and a bias it adds the bias by row on wasm.)
 *
 * Memory: the layer is one custom-gradient op that keeps for the backward pass only what it needs
 * — nothing at all for a frozen weight, the flattened input for a trainable one. Composed of tfjs
 * ops it kept the product too (`add` saves both inputs to read their shapes) and every reshape's
 * input.
 */
export function linear(x: tf.Tensor, weight: Parameter | tf.Tensor, bias?: Parameter | tf.Tensor): tf.Tensor {
  const value = weight instanceof Parameter ? weight.value : weight;
  const outFeatures = value.shape[0] as number;
  const inFeatures = value.size / outFeatures;
  if (x.shape[x.rank - 1] !== inFeatures) {
    throw new Error(`linear: input has ${x.shape[x.rank - 1]} features, weight [${value.shape}] expects ${inFeatures}`);
  }
  const biasValue = bias instanceof Parameter ? bias.value : bias;
  // Parameters that do not train are constants of the op: no gradient is computed for them.
  const frozenWeight = weight instanceof Parameter && !weight.trainable;
  const learnsBias = biasValue !== undefined && !(bias instanceof Parameter && !bias.trainable);
  const outShape = [...x.shape.slice(0, -1), outFeatures];
  const flagFree = productsOnXnnpack();
  const matrix = (): tf.Tensor => (value.rank === 2 ? value : tf.reshape(value, [outFeatures, inFeatures]));

  const op = customGradient<tf.Tensor[]>((...args) => {
    const save = args.pop() as unknown as tf.GradSaveFunc;
    const input = args[0] as tf.Tensor;
    const flat = tf.reshape(input, [-1, inFeatures]);
    // On XNNPACK a kept transpose of a frozen weight lives on, so it gets a transient copy; a fresh one is freed with the product.
    const product = !flagFree
      ? tf.matMul(flat, matrix(), false, true)
      : frozenWeight
        ? tf.matMul(flat, (weight as Parameter).keepTransposed ? transientOperand((weight as Parameter).transposedMatrix()) : (weight as Parameter).transposedMatrix())
        : tf.matMul(flat, tf.transpose(matrix()));
    const y = biasValue ? tf.add(product, biasValue) : product;
    // A frozen weight is a live variable the backward reads in place; anything else is saved.
    if (!frozenWeight) save(weight instanceof Parameter ? [flat] : [flat, value]);
    return {
      value: tf.reshape(y, outShape),
      gradFunc: (dy, saved) => {
        const dyFlat = tf.reshape(dy, [-1, outFeatures]);
        const weightMatrix = weight instanceof Parameter ? matrix() : tf.reshape(saved[1] as tf.Tensor, [outFeatures, inFeatures]);
        const grads = [tf.reshape(tf.matMul(dyFlat, transientOperand(weightMatrix)), input.shape)];
        if (!frozenWeight) {
          const dWeight = flagFree ? tf.matMul(tf.transpose(dyFlat), transientOperand(saved[0] as tf.Tensor)) : tf.matMul(dyFlat, saved[0] as tf.Tensor, true, false);
          grads.push(tf.reshape(dWeight, value.shape));
        }
        if (learnsBias) grads.push(tf.sum(dyFlat, 0));
        return grads;
      },
    };
  });
  const inputs = [x, ...(frozenWeight ? [] : [value]), ...(learnsBias ? [biasValue] : [])];
  return tf.tidy(() => op(...inputs));
}
