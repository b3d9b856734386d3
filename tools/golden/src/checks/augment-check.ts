import type { HostTensor } from '@harma/core';
import { applyAugmentOp, augmentOpArgument, AUGMENT_FILL, cropImage, flipHorizontal, RAND_AUGMENT_OPS, resizeBicubic, type RandAugmentOp, type RgbImage } from '@harma/data';
import type { CheckLine } from '../report';
import { readAugmentFixture, type AugmentCropCase, type AugmentFixture, type AugmentOpCase } from './augment-fixture';

/** Operations whose official arguments end with the fill colour (`replace_value`). */
const GEOMETRIC_OPS: ReadonlySet<RandAugmentOp> = new Set(['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate']);

/** The images of a U8 [N, H, W, 3] tensor. */
function imagesOf(tensor: HostTensor): RgbImage[] {
  const [count = 0, height = 0, width = 0] = tensor.shape;
  const data = tensor.data as Uint8Array;
  const size = height * width * 3;
  return Array.from({ length: count }, (_, i) => ({ data: data.slice(i * size, (i + 1) * size), width, height }));
}

/** Compare computed images with the expected tensor: exact, or the largest difference and how many pixels differ. */
export function comparePixels(name: string, actual: readonly RgbImage[], expected: HostTensor | undefined): CheckLine {
  if (!expected) return { name, status: 'off', note: `augment.safetensors has no '${name}'` };
  const first = actual[0];
  const shape = [actual.length, first?.height ?? 0, first?.width ?? 0, 3];
  if (shape.join(',') !== expected.shape.join(',') || actual.some((image) => image.width !== first?.width || image.height !== first?.height)) {
    return { name, status: 'off', note: `shape [${shape.join(', ')}] but expected [${expected.shape.join(', ')}]` };
  }
  const want = expected.data as Uint8Array;
  let maxAbs = 0;
  let values = 0;
  let pixels = 0;
  let offset = 0;
  for (const image of actual) {
    for (let p = 0; p < image.data.length; p += 3, offset += 3) {
      let differs = false;
      for (let c = 0; c < 3; c++) {
        const difference = Math.abs((image.data[p + c] as number) - (want[offset + c] as number));
        if (difference === 0) continue;
        differs = true;
        values += 1;
        maxAbs = Math.max(maxAbs, difference);
      }
      if (differs) pixels += 1;
    }
  }
  const total = want.length / 3;
  if (pixels === 0) return { name, status: 'ok', note: `exact (${total} pixels)` };
  return { name, status: 'off', note: `largest difference ${maxAbs}/255; ${pixels} of ${total} pixels differ (${values} values)` };
}

/** The official arguments of a case recomputed with `augmentOpArgument` (both sign draws) and the default fill. */
function argumentLine(entry: AugmentOpCase, op: RandAugmentOp): CheckLine {
  const name = `${entry.key} args`;
  const expected = JSON.stringify(entry.args);
  const candidates = [0.25, 0.75].map((draw) => {
    const argument = augmentOpArgument(op, entry.level, () => draw);
    const args = argument === undefined ? [] : GEOMETRIC_OPS.has(op) ? [argument, [...AUGMENT_FILL]] : [argument];
    return JSON.stringify(args);
  });
  const matches = candidates.includes(expected);
  return { name, status: matches ? 'ok' : 'off', note: matches ? `level_to_args(${entry.level}) = ${expected}` : `${expected} but level_to_args(${entry.level}) gives ${[...new Set(candidates)].join(' or ')}` };
}

function opCaseLines(entry: AugmentOpCase, images: readonly RgbImage[], fixture: AugmentFixture): CheckLine[] {
  if (!(RAND_AUGMENT_OPS as readonly string[]).includes(entry.op)) {
    return [{ name: entry.key, status: 'not-computed', note: `operation ${entry.op} is not one of @harma/data's RAND_AUGMENT_OPS` }];
  }
  const op = entry.op as RandAugmentOp;
  const [argument, fill] = entry.args;
  const actual = images.map((image) => applyAugmentOp(image, op, argument, { fill }));
  return [argumentLine(entry, op), comparePixels(entry.key, actual, fixture.tensors.get(entry.key))];
}

function cropCaseLines(entry: AugmentCropCase, images: readonly RgbImage[], fixture: AugmentFixture): CheckLine[] {
  const crops = images.map((image) => resizeBicubic(cropImage(image, entry.left, entry.top, entry.width, entry.height), entry.size, entry.size));
  const flipped = `${entry.key}.hflip`;
  return [comparePixels(entry.key, crops, fixture.tensors.get(entry.key)), comparePixels(flipped, crops.map(flipHorizontal), fixture.tensors.get(flipped))];
}

/**
 * Apply `@harma/data`'s operations to the fixture's `images` with each case's arguments and compare
 * every output pixel exactly. RandAugment cases also check their `args` against `augmentOpArgument`;
 * a resized-crop case covers its `.hflip` too. An expected tensor that no case explains is reported
 * as not computed, so nothing in the fixture goes unchecked.
 */
export async function checkAugmentFixture(dir: string): Promise<CheckLine[]> {
  const fixture = await readAugmentFixture(dir);
  const input = fixture.tensors.get('images');
  if (!input) throw new Error(`${dir}: augment.safetensors has no 'images'`);
  const images = imagesOf(input);
  const lines: CheckLine[] = [];
  const covered = new Set(['images']);
  for (const entry of fixture.cases) {
    if (entry.op === 'RandomResizedCrop' && 'size' in entry) {
      lines.push(...cropCaseLines(entry, images, fixture));
      covered.add(entry.key).add(`${entry.key}.hflip`);
    } else if ('args' in entry) {
      lines.push(...opCaseLines(entry, images, fixture));
      covered.add(entry.key);
    }
  }
  for (const name of fixture.tensors.keys()) {
    if (!covered.has(name)) lines.push({ name, status: 'not-computed', note: 'expected tensor without a case in cases.json: not checked' });
  }
  return lines;
}
