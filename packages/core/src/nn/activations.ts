import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, hasFusedKernel, runFusedKernel } from '../runtime/wasm-overrides/onnxruntime-fused-kernels';
import { customGradient } from './custom-gradient';

/** Activations a backbone config may name (open_clip's `act_layer`). */
export type ActivationName = 'gelu' | 'quick_gelu';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

function backendHasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/**
 * erf composed from elementary ops (Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7) with the exact
 * derivative 2/√π·exp(−x²), for backends that have no Erf kernel.
 */
export const composedErf = customGradient<[tf.Tensor]>((x, save) => {
  save([x]);
  const value = tf.tidy(() => {
    const sign = tf.sign(x);
    const v = tf.abs(x);
    const t = tf.div(1, tf.add(1, tf.mul(0.3275911, v)));
    let poly = tf.scalar(1.061405429);
    for (const c of [-1.453152027, 1.421413741, -0.284496736, 0.254829592]) poly = tf.add(tf.mul(poly, t), c);
    poly = tf.mul(poly, t);
    return tf.mul(sign, tf.sub(1, tf.mul(poly, tf.exp(tf.neg(tf.square(v))))));
  });
  return {
    value,
    gradFunc: (dy, saved) => {
      const [input] = saved as [tf.Tensor];
      return tf.mul(dy, tf.mul(TWO_OVER_SQRT_PI, tf.exp(tf.neg(tf.square(input)))));
    },
  };
});

/** The error function, on the backend's kernel when it has one, composed otherwise. */
export function erf(x: tf.Tensor): tf.Tensor {
  return backendHasKernel('Erf') ? tf.erf(x) : composedErf(x);
}

const INVERSE_SQRT_TWO_PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (PyTorch `nn.GELU()`); adapters always use this one.
 * A custom-gradient op keeping only x for the backward pass, d/dx = Φ(x) + x·φ(x) (composed of
 * tfjs ops it kept three tensors of x's size: the MLP's widest activation).
 */
export const gelu = customGradient<[tf.Tensor]>((x, save) => {
  save([x]);
  // One fused kernel each way where the backend has it (the wasm backend on ONNX Runtime).
  if (hasFusedKernel(FUSED_KERNELS.gelu)) {
    return { value: runFusedKernel(FUSED_KERNELS.gelu, { x }), gradFunc: (dy, [input]) => runFusedKernel(FUSED_KERNELS.geluGrad, { x: input as tf.Tensor, dy }) };
  }
  return {
    value: tf.mul(tf.mul(0.5, x), tf.add(1, erf(tf.mul(x, Math.SQRT1_2)))),
    gradFunc: (dy, saved) => {
      const [input] = saved as [tf.Tensor];
      const cdf = tf.mul(0.5, tf.add(1, erf(tf.mul(input, Math.SQRT1_2))));
      const pdf = tf.mul(INVERSE_SQRT_TWO_PI, tf.exp(tf.mul(-0.5, tf.square(input))));
      return tf.mul(dy, tf.add(cdf, tf.mul(input, pdf)));
    },
  };
});

/**
 * QuickGELU, x·sigmoid(1.702·x): the activation OpenAI CLIP weights were trained with. A
 * custom-gradient op keeping only x, d/dx = s + 1.702·x·s·(1 − s) with s recomputed.
 */
export const quickGelu = customGradient<[tf.Tensor]>((x, save) => {
  save([x]);
  if (hasFusedKernel(FUSED_KERNELS.quickGelu)) {
    return { value: runFusedKernel(FUSED_KERNELS.quickGelu, { x }), gradFunc: (dy, [input]) => runFusedKernel(FUSED_KERNELS.quickGeluGrad, { x: input as tf.Tensor, dy }) };
  }
  return {
    value: tf.mul(x, tf.sigmoid(tf.mul(1.702, x))),
    gradFunc: (dy, saved) => {
      const [input] = saved as [tf.Tensor];
      const s = tf.sigmoid(tf.mul(1.702, input));
      return tf.mul(dy, tf.add(s, tf.mul(tf.mul(1.702, input), tf.mul(s, tf.sub(1, s)))));
    },
  };
});

export function activation(name: ActivationName): (x: tf.Tensor) => tf.Tensor {
  switch (name) {
    case 'gelu': return gelu;
    case 'quick_gelu': return quickGelu;
  }
}
