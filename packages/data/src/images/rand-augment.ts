import type { SeededRandom } from '@harma/core';
import { applyAugmentOp, augmentOpArgument, RAND_AUGMENT_OPS, type AugmentArgumentOptions, type AugmentOpOptions, type RandAugmentOp } from './augment-op';
import type { RgbImage } from './rgb-image';

export interface RandAugmentOptions extends AugmentArgumentOptions, AugmentOpOptions {
  /** Operations drawn per image, with replacement (default 2). */
  n?: number;
  /** Magnitude on the 0..10 scale (default 7). */
  m?: number;
  /** Chance that each drawn operation is applied (default 0.5). */
  probability?: number;
  /** Operations to draw from (default all ten of RAND_AUGMENT_OPS). */
  ops?: readonly RandAugmentOp[];
}

/** An operation that was applied, with its argument (factor, shear, pixels or degrees). */
export interface AppliedOp {
  op: RandAugmentOp;
  argument?: number;
}

/**
 * Draw what the official `RandomAugment.__call__` draws, in its order, without touching an image:
 * N operations with replacement (`np.random.choice(augs, N)`), then for each one a uniform draw
 * that skips it when above `probability`, then, for an applied signed operation, its sign draw
 * (`augmentOpArgument`). Returns the operations to apply, in order, with their arguments.
 */
export function planRandAugment(rng: SeededRandom, options: RandAugmentOptions = {}): AppliedOp[] {
  const n = options.n ?? 2;
  const level = options.m ?? 7;
  const probability = options.probability ?? 0.5;
  const ops = options.ops ?? RAND_AUGMENT_OPS;
  if (ops.length === 0) throw new RangeError('randAugment: no operations to choose from');
  const chosen = Array.from({ length: n }, () => ops[rng.int(ops.length)] as RandAugmentOp);
  const plan: AppliedOp[] = [];
  for (const op of chosen) {
    if (rng.next() > probability) continue;
    const argument = augmentOpArgument(op, level, () => rng.next(), options);
    plan.push(argument === undefined ? { op } : { op, argument });
  }
  return plan;
}

/**
 * The paper's RandAugment (`RandomAugment(2, 7, isPIL=True, augs=[...])` of the official code,
 * from ALBEF): `planRandAugment`, then each planned operation in turn (`applyAugmentOp`), with the
 * official operations and arguments — enhance factor 1.36, shear ±0.21, translation ±7 px,
 * rotation ±21°, grey 128 uncovered.
 */
export function randAugment(image: RgbImage, rng: SeededRandom, options: RandAugmentOptions = {}): { image: RgbImage; applied: AppliedOp[] } {
  const applied = planRandAugment(rng, options);
  let current = image;
  for (const { op, argument } of applied) current = applyAugmentOp(current, op, argument, options);
  return { image: current, applied };
}
