import { describe, expect, it } from 'vitest';
import { autoContrast, brightness, equalize, sharpness } from './pixel-ops';
import type { RgbImage } from './rgb-image';

/** An image whose three channels all hold `values` (one row). */
function grey(values: number[], width = values.length): RgbImage {
  const data = new Uint8Array(values.length * 3);
  values.forEach((v, i) => data.set([v, v, v], i * 3));
  return { data, width, height: values.length / width };
}
const channel = (image: RgbImage, c = 0): number[] => Array.from(image.data.filter((_, i) => i % 3 === c));

describe('autoContrast', () => {
  it('maps each channel min to 0 and max to 255 (255/(max−min) scale, truncated)', () => {
    // scale 2.55, offset −127.5: 50→0, 100→127 (127.5 truncated), 150→255.
    expect(channel(autoContrast(grey([50, 100, 150])))).toEqual([0, 127, 255]);
  });
  it('leaves a flat channel alone', () => {
    expect(channel(autoContrast(grey([7, 7])))).toEqual([7, 7]);
  });
  it('reproduces the official uint8 wrap-around on request: a channel with min > 0 turns white', () => {
    expect(channel(autoContrast(grey([50, 100, 150]), { legacyUint8Wrap: true }))).toEqual([255, 255, 255]);
    // min 0 is not affected; 200·(255/200) = 254.99999999999997 in float64 truncates to 254, as in numpy.
    expect(channel(autoContrast(grey([0, 100, 200]), { legacyUint8Wrap: true }))).toEqual([0, 127, 254]);
  });
});

describe('equalize', () => {
  it('follows PIL: step = (pixels − last bin) // 255, lut = (step//2 + cumulative) // step', () => {
    // 300×10, 500×100, 200×200: step = 800 // 255 = 3; lut(10) = 1//3 = 0, lut(100) = 301//3 = 100, lut(200) = min(255, 801//3).
    const values = [...Array(300).fill(10), ...Array(500).fill(100), ...Array(200).fill(200)] as number[];
    const out = channel(equalize(grey(values, 100)));
    expect(out[0]).toBe(0);
    expect(out[300]).toBe(100);
    expect(out[999]).toBe(255);
  });
  it('leaves an image alone when the step is 0', () => {
    expect(channel(equalize(grey([0, 0, 10, 20])))).toEqual([0, 0, 10, 20]);
  });
});

describe('brightness', () => {
  it('multiplies in float32, clips at 255 and truncates', () => {
    expect(channel(brightness(grey([100, 200, 25, 3, 0]), 1.36))).toEqual([136, 255, 34, 4, 0]);
  });
});

describe('sharpness', () => {
  it('blends the centre with the 1-1-1/1-5-1/1-1-1 smoothing; borders keep their values', () => {
    // smooth = round((8·10 + 5·100)/13) = 45; 45 + 1.36·55 = 119.8 → 119.
    const image = grey([10, 10, 10, 10, 100, 10, 10, 10, 10], 3);
    expect(channel(sharpness(image, 1.36))).toEqual([10, 10, 10, 10, 119, 10, 10, 10, 10]);
  });
  it('clips an undershoot to 0', () => {
    // smooth = round(1600/13) = 123; 123 + 1.36·(0 − 123) < 0.
    const image = grey([200, 200, 200, 200, 0, 200, 200, 200, 200], 3);
    expect(channel(sharpness(image, 1.36))[4]).toBe(0);
  });
});
