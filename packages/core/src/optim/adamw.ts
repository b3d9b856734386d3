import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from '../module/parameter';

/** Substrings that exclude a parameter from weight decay (the official HarMA/ALBEF list). */
export const DEFAULT_NO_DECAY_KEYS = [
  'bias', 'LayerNorm.bias', 'LayerNorm.weight', 'norm.bias', 'norm.weight', 'norm1.bias', 'norm1.weight', 'norm2.bias', 'norm2.weight',
] as const;

export interface AdamWOptions {
  /** Base learning rate; each step may scale it (`step(grads, { lr })`). */
  lr: number;
  /** Default: [0.9, 0.999]; the paper uses [0.9, 0.98]. */
  betas?: [number, number];
  /** Added to √v (not to v). Default: 1e-6 (Hugging Face's legacy AdamW); the paper uses 1e-8. */
  eps?: number;
  /** Decoupled weight decay, applied after the Adam update. Default: 0; the paper uses 0.04. */
  weightDecay?: number;
  /** Fold the bias correction into the step size. Default: true. */
  correctBias?: boolean;
  /** Names containing any of these are not decayed. Default: `DEFAULT_NO_DECAY_KEYS`. */
  noDecayKeys?: readonly string[];
}

/** Optimiser state that a checkpoint needs to resume exactly. */
export interface AdamWState {
  step: number;
  /** First and second moments by parameter name. */
  moments: Map<string, { m: tf.Tensor; v: tf.Tensor }>;
}

/**
 * AdamW with the semantics of Hugging Face's legacy `transformers.AdamW`, which the official
 * HarMA code trains with:
 * `m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr·√(1−β2ᵗ)/(1−β1ᵗ) · m/(√v + eps)`,
 * then `p ← p − lr·wd·p` on the updated p for decayed names. Moments are float32 variables.
 */
export class AdamW {
  readonly lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly correctBias: boolean;
  readonly noDecayKeys: readonly string[];
  #step = 0;
  readonly #parameters: ReadonlyArray<readonly [string, Parameter]>;
  readonly #moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  constructor(parameters: ReadonlyArray<readonly [string, Parameter]>, options: AdamWOptions) {
    this.lr = options.lr;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-6;
    this.weightDecay = options.weightDecay ?? 0;
    this.correctBias = options.correctBias ?? true;
    this.noDecayKeys = options.noDecayKeys ?? DEFAULT_NO_DECAY_KEYS;
    this.#parameters = parameters;
    for (const [name, parameter] of parameters) {
      this.#moments.set(name, {
        m: tf.variable(tf.zerosLike(parameter.value), false),
        v: tf.variable(tf.zerosLike(parameter.value), false),
      });
    }
  }

  /** Updates done so far (t). */
  get stepCount(): number {
    return this.#step;
  }

  /** Whether a parameter name receives weight decay. */
  decays(name: string): boolean {
    return !this.noDecayKeys.some((key) => name.includes(key));
  }

  /**
   * One update of every parameter that has a gradient. `lr` overrides the base rate for this
   * step (the schedule's `lr · λ(k)`); a missing gradient leaves that parameter and its moments
   * untouched, as PyTorch does for `grad is None`.
   */
  step(gradients: ReadonlyMap<string, tf.Tensor>, options: { lr?: number } = {}): void {
    const lr = options.lr ?? this.lr;
    this.#step += 1;
    const [beta1, beta2] = this.betas;
    const stepSize = this.correctBias ? (lr * Math.sqrt(1 - beta2 ** this.#step)) / (1 - beta1 ** this.#step) : lr;
    for (const [name, parameter] of this.#parameters) {
      const gradient = gradients.get(name);
      if (gradient === undefined) continue;
      const moments = this.#moments.get(name) as { m: tf.Variable; v: tf.Variable };
      tf.tidy(() => {
        const m = tf.add(tf.mul(moments.m, beta1), tf.mul(gradient, 1 - beta1));
        const v = tf.add(tf.mul(moments.v, beta2), tf.mul(tf.square(gradient), 1 - beta2));
        moments.m.assign(m);
        moments.v.assign(v);
        let updated = tf.sub(parameter.value, tf.mul(tf.div(m, tf.add(tf.sqrt(v), this.eps)), stepSize));
        if (this.weightDecay > 0 && this.decays(name)) updated = tf.sub(updated, tf.mul(updated, lr * this.weightDecay));
        parameter.assign(updated);
      });
    }
  }

  /** Copies of the step count and moments (the caller owns the tensors). */
  state(): AdamWState {
    const moments = new Map<string, { m: tf.Tensor; v: tf.Tensor }>();
    for (const [name, { m, v }] of this.#moments) moments.set(name, { m: tf.clone(m), v: tf.clone(v) });
    return { step: this.#step, moments };
  }

  /** Restore a saved state; every parameter must have its moments, with matching shapes. */
  loadState(state: AdamWState): void {
    for (const [name, own] of this.#moments) {
      const saved = state.moments.get(name);
      if (!saved) throw new Error(`optimiser state has no moments for '${name}'`);
      if (!tf.util.arraysEqual(saved.m.shape, own.m.shape) || !tf.util.arraysEqual(saved.v.shape, own.v.shape)) {
        throw new Error(`optimiser moments of '${name}' have shape [${saved.m.shape}], expected [${own.m.shape}]`);
      }
    }
    const unknown = [...state.moments.keys()].filter((name) => !this.#moments.has(name));
    if (unknown.length > 0) throw new Error(`optimiser state holds moments for unknown parameters: ${unknown.slice(0, 5).join(', ')}`);
    for (const [name, own] of this.#moments) {
      const saved = state.moments.get(name) as { m: tf.Tensor; v: tf.Tensor };
      own.m.assign(saved.m);
      own.v.assign(saved.v);
    }
    this.#step = state.step;
  }

  dispose(): void {
    for (const { m, v } of this.#moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.#moments.clear();
  }
}
