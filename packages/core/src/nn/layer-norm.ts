import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { FUSED_KERNELS, hasFusedKernel, runFusedKernel, runFusedKernelOutputs } from '../runtime/wasm-overrides/onnxruntime-fused-kernels';
import { customGradient } from './custom-gradient';

export interface LayerNormOptions {
  /** Added to the variance. Default: 1e-5 (PyTorch). */
  eps?: number;
}

/** Layer normalisation over the last dimension with `weight` (ones) and `bias` (zeros), both [width]. */
export class LayerNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly eps: number;

  constructor(readonly width: number, options: LayerNormOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.weight = this.register('weight', new Parameter(tf.ones([width])));
    this.bias = this.register('bias', new Parameter(tf.zeros([width])));
  }

  /**
   * `x` [..., width] → same shape; biased variance, as PyTorch. One custom-gradient op that keeps
   * x̂ and 1/σ for the backward pass (composed of tfjs ops it kept four tensors of x's size) and
   * differentiates the affine parameters only when they train. Where the backend has the fused
   * kernels (the wasm backend on ONNX Runtime) each direction is one call: ONNX Runtime's
   * `LayerNormalization` forward (mean and variance in one pass over each row).
   */
  forward(x: tf.Tensor): tf.Tensor {
    const { weight, bias, eps } = this;
    const learns = [weight, bias].filter((p) => p.trainable);
    const fused = hasFusedKernel(FUSED_KERNELS.layerNorm);
    const op = customGradient<tf.Tensor[]>((...args) => {
      const save = args.pop() as unknown as tf.GradSaveFunc;
      const input = args[0] as tf.Tensor;
      let value: tf.Tensor;
      if (fused) {
        // One fused kernel each way where the backend has it (the wasm backend on ONNX Runtime).
        const [y, normalized, inverseStd] = runFusedKernelOutputs(FUSED_KERNELS.layerNorm, { x: input, weight: weight.value, bias: bias.value }, { eps });
        save([normalized as tf.Tensor, inverseStd as tf.Tensor]);
        value = y as tf.Tensor;
      } else {
        const centered = tf.sub(input, tf.mean(input, -1, true));
        const inverseStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
        const normalized = tf.mul(centered, inverseStd);
        save([normalized, inverseStd]);
        value = tf.add(tf.mul(normalized, weight.value), bias.value);
      }
      return {
        value,
        gradFunc: (dy, saved) => {
          const [xHat, scale] = saved as [tf.Tensor, tf.Tensor];
          // dx = (g − mean(g) − x̂·mean(g·x̂)) / σ with g = dy·γ.
          const dx = fused
            ? runFusedKernel(FUSED_KERNELS.layerNormGrad, { normalized: xHat, inverseStd: scale, dy, weight: weight.value })
            : tf.tidy(() => {
                const g = tf.mul(dy, weight.value);
                return tf.mul(tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xHat, tf.mean(tf.mul(g, xHat), -1, true))), scale);
              });
          const rows = dy.shape.slice(0, -1).map((_, axis) => axis);
          const grads = [dx];
          if (weight.trainable) grads.push(tf.sum(tf.mul(dy, xHat), rows));
          if (bias.trainable) grads.push(tf.sum(dy, rows));
          return grads;
        },
      };
    });
    return tf.tidy(() => op(x, ...learns.map((p) => p.value)));
  }
}
