import type { SeededRandom } from '@harma/core';
import type { RgbImage } from '../images/rgb-image';
import type { SensorModel } from './styles';

/** The 3×3 colour matrix of a hue rotation followed by a saturation change (CSS filter definitions). */
export function colourMatrix(hueRotate: number, saturation: number): number[] {
  const radians = (hueRotate * Math.PI) / 180;
  const c = Math.cos(radians);
  const s = Math.sin(radians);
  const hue = [
    0.213 + c * 0.787 - s * 0.213, 0.715 - c * 0.715 - s * 0.715, 0.072 - c * 0.072 + s * 0.928,
    0.213 - c * 0.213 + s * 0.143, 0.715 + c * 0.285 + s * 0.14, 0.072 - c * 0.072 - s * 0.283,
    0.213 - c * 0.213 - s * 0.787, 0.715 - c * 0.715 + s * 0.715, 0.072 + c * 0.928 + s * 0.072,
  ];
  const t = saturation;
  const sat = [
    0.213 + 0.787 * t, 0.715 - 0.715 * t, 0.072 - 0.072 * t,
    0.213 - 0.213 * t, 0.715 + 0.285 * t, 0.072 - 0.072 * t,
    0.213 - 0.213 * t, 0.715 - 0.715 * t, 0.072 + 0.928 * t,
  ];
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) for (let j = 0; j < 3; j++) out[r * 3 + j] = (out[r * 3 + j] as number) + (sat[r * 3 + k] as number) * (hue[k * 3 + j] as number);
  return out;
}

/** Separable [w, 1 − 2w, w] blur in place, repeated for larger radii; rows and columns both walked in memory order. */
function blur(pixels: Float32Array, size: number, radius: number): void {
  const passes = Math.ceil(radius);
  const w = Math.min(0.33, (radius / passes) * 0.33);
  const centre = 1 - 2 * w;
  const stride = size * 3;
  const row = new Float32Array(stride);
  let previous = new Float32Array(stride);
  let current = new Float32Array(stride);
  for (let pass = 0; pass < passes; pass++) {
    for (let y = 0; y < size; y++) {
      const base = y * stride;
      row.set(pixels.subarray(base, base + stride));
      for (let i = 0; i < stride; i++) {
        const left = i >= 3 ? (row[i - 3] as number) : (row[i] as number);
        const right = i + 3 < stride ? (row[i + 3] as number) : (row[i] as number);
        pixels[base + i] = centre * (row[i] as number) + w * (left + right);
      }
    }
    previous.set(pixels.subarray(0, stride));
    for (let y = 0; y < size; y++) {
      const base = y * stride;
      current.set(pixels.subarray(base, base + stride));
      const nextBase = y + 1 < size ? base + stride : base;
      for (let i = 0; i < stride; i++) pixels[base + i] = centre * (current[i] as number) + w * ((previous[i] as number) + (pixels[nextBase + i] as number));
      [previous, current] = [current, previous];
    }
  }
}

/** Turn the canvas (world colours) into 8-bit pixels as the sensor sees them; `gain` varies the exposure per image. */
export function exposeImage(pixels: Float32Array, size: number, sensor: SensorModel, rng: SeededRandom, gain = 1): RgbImage {
  const radius = (sensor.blur * size) / 256;
  if (radius >= 0.25) blur(pixels, size, radius);
  const m = colourMatrix(sensor.hueRotate, sensor.saturation);
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = m as [number, number, number, number, number, number, number, number, number];
  const contrast = sensor.contrast;
  const [gr, gg, gb] = sensor.tint.map((t) => t * sensor.brightness * gain) as [number, number, number];
  const haze = sensor.haze;
  const [hr, hg, hb] = sensor.hazeColour.map((h) => h * haze) as [number, number, number];
  const keep = 1 - haze;
  const gammaTable = sensor.gamma === 1 ? undefined : Float32Array.from({ length: 4096 }, (_, k) => (k / 4095) ** sensor.gamma);
  // Per-pixel noise from a fast generator seeded once (mulberry32).
  let state = rng.int(2 ** 32) >>> 0;
  // One 32-bit draw gives two 16-bit uniforms; their difference is triangular on (−1, 1), deviation 1/√6.
  const triangular = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    t = (t ^ (t >>> 14)) >>> 0;
    return ((t & 0xffff) - (t >>> 16)) / 65536;
  };
  const noise = sensor.noise * Math.sqrt(6) * 255;
  const data = new Uint8Array(size * size * 3);
  const tone = (value: number, channelGain: number): number => {
    const v = Math.min(1, Math.max(0, ((value - 0.5) * contrast + 0.5) * channelGain));
    return gammaTable === undefined ? v : (gammaTable[(v * 4095 + 0.5) | 0] as number);
  };
  for (let i = 0; i < pixels.length; i += 3) {
    const r = pixels[i] as number;
    const g = pixels[i + 1] as number;
    const b = pixels[i + 2] as number;
    const vr = (tone(m0 * r + m1 * g + m2 * b, gr) * keep + hr) * 255;
    const vg = (tone(m3 * r + m4 * g + m5 * b, gg) * keep + hg) * 255;
    const vb = (tone(m6 * r + m7 * g + m8 * b, gb) * keep + hb) * 255;
    // Uint8Array stores clamp nothing: clamp and round by hand.
    data[i] = Math.min(255, Math.max(0, vr + (noise > 0 ? triangular() * noise : 0) + 0.5));
    data[i + 1] = Math.min(255, Math.max(0, vg + (noise > 0 ? triangular() * noise : 0) + 0.5));
    data[i + 2] = Math.min(255, Math.max(0, vb + (noise > 0 ? triangular() * noise : 0) + 0.5));
  }
  return { data, width: size, height: size };
}
