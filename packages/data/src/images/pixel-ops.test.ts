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
  it('reproduces the official uint8 wrap-around by default: a channel with min > 0 turns white', () => {
    // −min as a numpy uint8 is 256 − min, so the offset (256 − 50)·2.55 pushes every value past 255.
    expect(channel(autoContrast(grey([50, 100, 150])))).toEqual([255, 255, 255]);
    // min 0 is not affected; 200·(255/200) = 254.99999999999997 in float64 truncates to 254, as in numpy.
    expect(channel(autoContrast(grey([0, 100, 200])))).toEqual([0, 127, 254]);
  });
  it("computes PIL's autocontrast on request: each channel's min maps to 0 and max to 255 (truncated)", () => {
    // scale 2.55, offset −127.5: 50→0, 100→127 (127.5 truncated), 150→255.
    expect(channel(autoContrast(grey([50, 100, 150]), { variant: 'pil' }))).toEqual([0, 127, 255]);
  });
  it('treats channels independently', () => {
    const image: RgbImage = { data: new Uint8Array([0, 50, 7, 200, 150, 7]), width: 2, height: 1 };
    // Red 0..200 stretches (200 → 254, as above), green 50..150 wraps to white, blue is flat.
    expect(Array.from(autoContrast(image).data)).toEqual([0, 255, 7, 254, 255, 7]);
  });
  it('leaves a flat channel alone', () => {
    expect(channel(autoContrast(grey([7, 7])))).toEqual([7, 7]);
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
  it('wraps values outside 0..255 around as the official uint8 cast does (truncation, then modulo 256)', () => {
    // smooth = round(1600/13) = 123; 123 + 1.36·(0 − 123) = −44.28 → −44 → 212.
    const dark = grey([200, 200, 200, 200, 0, 200, 200, 200, 200], 3);
    expect(channel(sharpness(dark, 1.36))[4]).toBe(212);
    // smooth = round(1275/13) = 98; 98 + 1.36·(255 − 98) = 311.52 → 311 → 55.
    const bright = grey([0, 0, 0, 0, 255, 0, 0, 0, 0], 3);
    expect(channel(sharpness(bright, 1.36))[4]).toBe(55);
  });
  it('clips instead on request', () => {
    expect(channel(sharpness(grey([200, 200, 200, 200, 0, 200, 200, 200, 200], 3), 1.36, { overflow: 'clip' }))[4]).toBe(0);
    expect(channel(sharpness(grey([0, 0, 0, 0, 255, 0, 0, 0, 0], 3), 1.36, { overflow: 'clip' }))[4]).toBe(255);
  });
  it('factor 1 is the image; factor 0 is the smoothed image, its border reflected (reflect-101) as cv2.filter2D does', () => {
    const image = grey([10, 10, 10, 10, 100, 10, 10, 10, 10], 3);
    expect(channel(sharpness(image, 1))).toEqual(channel(image));
    // Corner (0, 0) sees rows 1,0,1 and columns 1,0,1: (4·100 + 4·10 + 5·10)/13 = 37.7 → 38; edge: (2·100 + 6·10 + 50)/13 → 24.
    expect(channel(sharpness(image, 0))).toEqual([38, 24, 38, 24, 45, 24, 38, 24, 38]);
  });
});
