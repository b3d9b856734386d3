import type { SeededRandom } from '@harma/core';
import { rotate, shearX, shearY, translateX, translateY } from './affine';
import { autoContrast, brightness, equalize, sharpness } from './pixel-ops';
import type { RgbImage } from './rgb-image';

/** The operations of the paper's RandAugment, in the official order. */
export const RAND_AUGMENT_OPS = ['Identity', 'AutoContrast', 'Equalize', 'Brightness', 'Sharpness', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate'] as const;
export type RandAugmentOp = (typeof RAND_AUGMENT_OPS)[number];

export interface RandAugmentOptions {
  /** Operations drawn per image, with replacement (default 2). */
  n?: number;
  /** Magnitude on the 0..10 scale (default 7). */
  m?: number;
  /** Chance that each drawn operation is applied (default 0.5). */
  probability?: number;
  /** Operations to draw from (default all ten of RAND_AUGMENT_OPS). */
  ops?: readonly RandAugmentOp[];
  /**
   * Translation at full magnitude, in pixels (default 10·size/224: the official 10 px at 224 px,
   * so 7 px at M = 7; scaled with the image so it means the same at other sizes).
   */
  translateConst?: number;
  /** Reproduce the official AutoContrast's uint8 wrap-around (default false; see `autoContrast`). */
  legacyAutoContrast?: boolean;
}

/** An operation that was applied, with its argument (factor, shear, pixels or degrees). */
export interface AppliedOp {
  op: RandAugmentOp;
  argument?: number;
}

const MAX_LEVEL = 10;

/**
 * The paper's RandAugment (`RandomAugment(2, 7, isPIL=True, augs=[...])` of the official code,
 * from ALBEF): draw N operations with replacement; apply each with probability 0.5 at level M:
 * Brightness/Sharpness factor (M/10)·1.8 + 0.1 (1.36 at M = 7, never below 1), shear ±(M/10)·0.3,
 * translation ±(M/10)·translateConst pixels, rotation ±(M/10)·30 degrees, each sign a coin flip;
 * geometric operations fill with grey 128.
 */
export function randAugment(image: RgbImage, rng: SeededRandom, options: RandAugmentOptions = {}): { image: RgbImage; applied: AppliedOp[] } {
  const n = options.n ?? 2;
  const level = options.m ?? 7;
  const probability = options.probability ?? 0.5;
  const ops = options.ops ?? RAND_AUGMENT_OPS;
  if (ops.length === 0) throw new RangeError('randAugment: no operations to choose from');
  const translateConst = options.translateConst ?? (10 * image.width) / 224;
  const chosen = Array.from({ length: n }, () => ops[rng.int(ops.length)] as RandAugmentOp);
  const applied: AppliedOp[] = [];
  let current = image;
  for (const op of chosen) {
    if (rng.next() > probability) continue;
    const signed = (magnitude: number): number => (rng.next() > 0.5 ? -magnitude : magnitude);
    switch (op) {
      case 'Identity':
        applied.push({ op });
        break;
      case 'AutoContrast':
        current = autoContrast(current, { legacyUint8Wrap: options.legacyAutoContrast ?? false });
        applied.push({ op });
        break;
      case 'Equalize':
        current = equalize(current);
        applied.push({ op });
        break;
      case 'Brightness':
      case 'Sharpness': {
        const factor = (level / MAX_LEVEL) * 1.8 + 0.1;
        current = op === 'Brightness' ? brightness(current, factor) : sharpness(current, factor);
        applied.push({ op, argument: factor });
        break;
      }
      case 'ShearX':
      case 'ShearY': {
        const factor = signed((level / MAX_LEVEL) * 0.3);
        current = op === 'ShearX' ? shearX(current, factor) : shearY(current, factor);
        applied.push({ op, argument: factor });
        break;
      }
      case 'TranslateX':
      case 'TranslateY': {
        const offset = signed((level / MAX_LEVEL) * translateConst);
        current = op === 'TranslateX' ? translateX(current, offset) : translateY(current, offset);
        applied.push({ op, argument: offset });
        break;
      }
      case 'Rotate': {
        // The official rotation draws its sign with `< 0.5` where the others use `> 0.5`; either is a fair coin.
        const degrees = signed((level / MAX_LEVEL) * 30);
        current = rotate(current, degrees);
        applied.push({ op, argument: degrees });
        break;
      }
    }
  }
  return { image: current, applied };
}
