import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@harma/core';
import { rotate, shearX, shearY, translateX, translateY } from './affine';
import { applyAugmentOp, augmentOpArgument, RAND_AUGMENT_OPS } from './augment-op';
import { autoContrast, brightness, equalize, sharpness } from './pixel-ops';
import type { RgbImage } from './rgb-image';

function noise(width: number, height: number, seed: number): RgbImage {
  const rng = new SeededRandom(seed);
  return { data: Uint8Array.from({ length: width * height * 3 }, (_, i) => (i % 3 === 0 ? 30 + rng.int(200) : rng.int(256))), width, height };
}
const same = (a: RgbImage, b: RgbImage): boolean => a.width === b.width && a.height === b.height && Buffer.from(a.data).equals(Buffer.from(b.data));

describe('augmentOpArgument (the official level_to_args)', () => {
  const above = (): number => 0.75;
  const below = (): number => 0.25;

  it('gives the official arguments at level 7: enhance 1.36, shear ±0.21, translate ±7 px, rotate ±21°', () => {
    expect(augmentOpArgument('Brightness', 7, above)).toBe(0.7 * 1.8 + 0.1);
    expect(augmentOpArgument('Sharpness', 7, above)).toBe(1.36);
    expect(augmentOpArgument('ShearX', 7, below)).toBe(0.21);
    expect(augmentOpArgument('ShearY', 7, below)).toBe(0.21);
    expect(augmentOpArgument('TranslateX', 7, below)).toBe(7);
    expect(augmentOpArgument('TranslateY', 7, below)).toBe(7);
    expect(augmentOpArgument('Rotate', 7, above)).toBe(21);
    for (const op of ['Identity', 'AutoContrast', 'Equalize'] as const) expect(augmentOpArgument(op, 7, above)).toBeUndefined();
  });

  it('negates shear and translation when the draw is above 0.5, rotation when it is below 0.5', () => {
    for (const op of ['ShearX', 'ShearY', 'TranslateX', 'TranslateY'] as const) {
      expect(augmentOpArgument(op, 7, above)).toBeLessThan(0);
      expect(augmentOpArgument(op, 7, () => 0.5)).toBeGreaterThan(0);
      expect(augmentOpArgument(op, 7, below)).toBeGreaterThan(0);
    }
    expect(augmentOpArgument('Rotate', 7, below)).toBe(-21);
    expect(augmentOpArgument('Rotate', 7, () => 0.5)).toBe(21);
  });

  it('draws once for a signed operation and never for the others', () => {
    for (const op of RAND_AUGMENT_OPS) {
      let draws = 0;
      augmentOpArgument(op, 7, () => {
        draws += 1;
        return 0.3;
      });
      expect(draws, op).toBe(['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate'].includes(op) ? 1 : 0);
    }
  });

  it('translates by a fixed number of pixels whatever the image size, or by translateConst at level 10', () => {
    expect(augmentOpArgument('TranslateX', 10, below)).toBe(10);
    expect(augmentOpArgument('TranslateX', 7, below, { translateConst: 20 })).toBe(14);
  });
});

describe('applyAugmentOp (the official func_dict)', () => {
  const image = noise(12, 9, 5);

  it('dispatches each operation to its function with the argument and grey 128', () => {
    expect(applyAugmentOp(image, 'Identity')).toBe(image);
    expect(same(applyAugmentOp(image, 'AutoContrast'), autoContrast(image))).toBe(true);
    expect(same(applyAugmentOp(image, 'Equalize'), equalize(image))).toBe(true);
    expect(same(applyAugmentOp(image, 'Brightness', 1.36), brightness(image, 1.36))).toBe(true);
    expect(same(applyAugmentOp(image, 'Sharpness', 1.36), sharpness(image, 1.36))).toBe(true);
    expect(same(applyAugmentOp(image, 'ShearX', -0.21), shearX(image, -0.21))).toBe(true);
    expect(same(applyAugmentOp(image, 'ShearY', 0.21), shearY(image, 0.21))).toBe(true);
    expect(same(applyAugmentOp(image, 'TranslateX', 7), translateX(image, 7))).toBe(true);
    expect(same(applyAugmentOp(image, 'TranslateY', -7), translateY(image, -7))).toBe(true);
    expect(same(applyAugmentOp(image, 'Rotate', 21), rotate(image, 21, [128, 128, 128]))).toBe(true);
  });

  it('takes the fill colour and the PIL / clipping variants as options', () => {
    expect(same(applyAugmentOp(image, 'Rotate', 21, { fill: [0, 0, 0] }), rotate(image, 21, [0, 0, 0]))).toBe(true);
    expect(same(applyAugmentOp(image, 'Rotate', 21, { fill: [0, 0, 0] }), rotate(image, 21))).toBe(false);
    expect(same(applyAugmentOp(image, 'AutoContrast', undefined, { autoContrast: 'pil' }), autoContrast(image, { variant: 'pil' }))).toBe(true);
    expect(same(applyAugmentOp(image, 'AutoContrast', undefined, { autoContrast: 'pil' }), autoContrast(image))).toBe(false);
    expect(same(applyAugmentOp(image, 'Sharpness', 1.36, { sharpnessOverflow: 'clip' }), sharpness(image, 1.36, { overflow: 'clip' }))).toBe(true);
  });

  it('refuses a missing argument', () => {
    expect(() => applyAugmentOp(image, 'Rotate')).toThrow(/Rotate needs a finite argument/);
    expect(() => applyAugmentOp(image, 'Brightness', Number.NaN)).toThrow(/Brightness needs a finite argument/);
  });
});
