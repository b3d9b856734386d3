export interface LinearScheduleOptions {
  /** Optimiser steps of the whole run (T). */
  totalSteps: number;
  /** Warm-up steps (w); default `Math.trunc(totalSteps · warmupFraction)`. */
  warmupSteps?: number;
  /** Fraction of T spent warming up when `warmupSteps` is not given. Default: 0.1 (the paper). */
  warmupFraction?: number;
}

/**
 * Linear warm-up then linear decay to zero, as Hugging Face's `get_linear_schedule_with_warmup`:
 * step k (0-based) runs at `lr · λ(k)`, `λ(k) = k / w` for k < w, else `(T − k) / (T − w)`,
 * floored at 0. So the first update runs at lr 0 (and still advances the optimiser moments).
 */
export class LinearSchedule {
  readonly totalSteps: number;
  readonly warmupSteps: number;

  constructor(options: LinearScheduleOptions) {
    if (!Number.isInteger(options.totalSteps) || options.totalSteps <= 0) {
      throw new RangeError(`totalSteps must be a positive integer, got ${options.totalSteps}`);
    }
    this.totalSteps = options.totalSteps;
    this.warmupSteps = options.warmupSteps ?? Math.trunc(options.totalSteps * (options.warmupFraction ?? 0.1));
    if (!Number.isInteger(this.warmupSteps) || this.warmupSteps < 0 || this.warmupSteps > this.totalSteps) {
      throw new RangeError(`warmupSteps must be an integer in [0, ${this.totalSteps}], got ${this.warmupSteps}`);
    }
  }

  /** The multiplier λ(k) of step k (0-based). */
  factor(step: number): number {
    if (step < this.warmupSteps) return step / Math.max(1, this.warmupSteps);
    return Math.max(0, (this.totalSteps - step) / Math.max(1, this.totalSteps - this.warmupSteps));
  }
}
