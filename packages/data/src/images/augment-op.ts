import { AUGMENT_FILL, rotate, shearX, shearY, translateX, translateY } from './affine';
import { autoContrast, brightness, equalize, sharpness, type AutoContrastOptions, type SharpnessOptions } from './pixel-ops';
import type { RgbImage } from './rgb-image';

/** The operations of the paper's RandAugment, in the official order. */
export const RAND_AUGMENT_OPS = ['Identity', 'AutoContrast', 'Equalize', 'Brightness', 'Sharpness', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate'] as const;
export type RandAugmentOp = (typeof RAND_AUGMENT_OPS)[number];

/** The official magnitude scale: levels run from 0 to 10. */
export const MAX_AUGMENT_LEVEL = 10;

/** The official `translate_const`: a translation at level 10, in pixels. */
export const TRANSLATE_CONST = 10;

export interface AugmentArgumentOptions {
  /** Translation at level 10, in pixels (default 10, the official `translate_const`: 7 px at level 7, whatever the image size). */
  translateConst?: number;
}

/**
 * The official `level_to_args` of one operation: Brightness/Sharpness factor `(level/10)·1.8 + 0.1`
 * (1.36 at level 7), shear `(level/10)·0.3`, translation `(level/10)·translateConst` pixels,
 * rotation `(level/10)·30` degrees; undefined for Identity, AutoContrast and Equalize. Signed
 * operations take one uniform draw from `uniform`, as the official code takes one
 * `np.random.random()`: shear and translation are negated when it is above 0.5, rotation when it
 * is below 0.5; the others draw nothing.
 */
export function augmentOpArgument(op: RandAugmentOp, level: number, uniform: () => number, options: AugmentArgumentOptions = {}): number | undefined {
  const fraction = level / MAX_AUGMENT_LEVEL;
  switch (op) {
    case 'Identity':
    case 'AutoContrast':
    case 'Equalize':
      return undefined;
    case 'Brightness':
    case 'Sharpness':
      return fraction * 1.8 + 0.1;
    case 'ShearX':
    case 'ShearY': {
      const shear = fraction * 0.3;
      return uniform() > 0.5 ? -shear : shear;
    }
    case 'TranslateX':
    case 'TranslateY': {
      const offset = fraction * (options.translateConst ?? TRANSLATE_CONST);
      return uniform() > 0.5 ? -offset : offset;
    }
    case 'Rotate': {
      const degrees = fraction * 30;
      return uniform() < 0.5 ? -degrees : degrees;
    }
  }
}

export interface AugmentOpOptions {
  /** Colour of the pixels a geometric operation uncovers (default grey 128, the official `replace_value`). */
  fill?: readonly [number, number, number];
  /** AutoContrast's table (default `official`, with the official code's uint8 wrap-around; `pil` for PIL's). */
  autoContrast?: AutoContrastOptions['variant'];
  /** Sharpness values outside 0..255 (default `wrap`, as the official uint8 cast; `clip` to clamp). */
  sharpnessOverflow?: SharpnessOptions['overflow'];
}

function requireArgument(op: RandAugmentOp, argument: number | undefined): number {
  if (typeof argument !== 'number' || !Number.isFinite(argument)) throw new RangeError(`${op} needs a finite argument (see augmentOpArgument), got ${String(argument)}`);
  return argument;
}

/**
 * Apply one operation with its argument as the official `func_dict[op](img, *args)` does:
 * Brightness/Sharpness take the enhance factor, ShearX/ShearY the shear, TranslateX/TranslateY the
 * offset in pixels, Rotate the degrees; Identity, AutoContrast and Equalize take none.
 */
export function applyAugmentOp(image: RgbImage, op: RandAugmentOp, argument?: number, options: AugmentOpOptions = {}): RgbImage {
  const fill = options.fill ?? AUGMENT_FILL;
  switch (op) {
    case 'Identity':
      return image;
    case 'AutoContrast':
      return autoContrast(image, { variant: options.autoContrast });
    case 'Equalize':
      return equalize(image);
    case 'Brightness':
      return brightness(image, requireArgument(op, argument));
    case 'Sharpness':
      return sharpness(image, requireArgument(op, argument), { overflow: options.sharpnessOverflow });
    case 'ShearX':
      return shearX(image, requireArgument(op, argument), fill);
    case 'ShearY':
      return shearY(image, requireArgument(op, argument), fill);
    case 'TranslateX':
      return translateX(image, requireArgument(op, argument), fill);
    case 'TranslateY':
      return translateY(image, requireArgument(op, argument), fill);
    case 'Rotate':
      return rotate(image, requireArgument(op, argument), fill);
  }
}
