import type { RgbImage } from './rgb-image';

// Point and filter operations of the paper's RandAugment (the ALBEF `randaugment.py` the official
// code uses, itself written to match PIL), on RGB u8 images. Channels are treated independently.

function applyTables(image: RgbImage, tables: readonly Uint8Array[]): RgbImage {
  const source = image.data;
  const data = new Uint8Array(source.length);
  const [r, g, b] = tables as [Uint8Array, Uint8Array, Uint8Array];
  for (let i = 0; i < source.length; i += 3) {
    data[i] = r[source[i] as number] as number;
    data[i + 1] = g[source[i + 1] as number] as number;
    data[i + 2] = b[source[i + 2] as number] as number;
  }
  return { data, width: image.width, height: image.height };
}

function channelHistograms(image: RgbImage): [Uint32Array, Uint32Array, Uint32Array] {
  const r = new Uint32Array(256);
  const g = new Uint32Array(256);
  const b = new Uint32Array(256);
  const data = image.data;
  for (let i = 0; i < data.length; i += 3) {
    const vr = data[i] as number;
    const vg = data[i + 1] as number;
    const vb = data[i + 2] as number;
    r[vr] = (r[vr] as number) + 1;
    g[vg] = (g[vg] as number) + 1;
    b[vb] = (b[vb] as number) + 1;
  }
  return [r, g, b];
}

export interface AutoContrastOptions {
  /**
   * Reproduce the official code's uint8 wrap-around: it negates the channel minimum as a numpy
   * uint8, so any channel whose minimum is above 0 becomes 255 everywhere. Default false
   * (PIL's autocontrast, which the function was written to match).
   */
  legacyUint8Wrap?: boolean;
}

/** Stretch each channel so its minimum maps to 0 and its maximum to 255 (PIL `autocontrast`, cutoff 0). */
export function autoContrast(image: RgbImage, options: AutoContrastOptions = {}): RgbImage {
  const tables = channelHistograms(image).map((hist) => {
    let low = 0;
    while (low < 255 && hist[low] === 0) low++;
    let high = 255;
    while (high > 0 && hist[high] === 0) high--;
    const table = new Uint8Array(256);
    if (high <= low) {
      for (let i = 0; i < 256; i++) table[i] = i;
      return table;
    }
    const scale = 255 / (high - low);
    const offset = (options.legacyUint8Wrap === true ? (256 - low) % 256 : -low) * scale;
    for (let i = 0; i < 256; i++) table[i] = Math.trunc(Math.min(255, Math.max(0, i * scale + offset)));
    return table;
  });
  return applyTables(image, tables);
}

/** Histogram equalisation per channel, PIL's `equalize` (the last occupied bin is left out of the step). */
export function equalize(image: RgbImage): RgbImage {
  const tables = channelHistograms(image).map((hist) => {
    let total = 0;
    let last = 0;
    for (let i = 0; i < 256; i++) {
      const count = hist[i] as number;
      if (count !== 0) {
        total += count;
        last = count;
      }
    }
    const step = Math.floor((total - last) / 255);
    const table = new Uint8Array(256);
    if (step === 0) {
      for (let i = 0; i < 256; i++) table[i] = i;
      return table;
    }
    let cumulative = Math.floor(step / 2);
    for (let i = 0; i < 256; i++) {
      table[i] = Math.min(255, Math.floor(cumulative / step));
      cumulative += hist[i] as number;
    }
    return table;
  });
  return applyTables(image, tables);
}

/** Multiply every value by `factor` (float32 as numpy computes it), clip to 255 and truncate. */
export function brightness(image: RgbImage, factor: number): RgbImage {
  const f = Math.fround(factor);
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) table[i] = Math.trunc(Math.min(255, Math.max(0, Math.fround(i * f))));
  return applyTables(image, [table, table, table]);
}

/**
 * Blend with a smoothed copy (kernel [[1,1,1],[1,5,1],[1,1,1]]/13): `smooth + factor·(image − smooth)`
 * in float32, on interior pixels only (the border keeps its values), as the official code. The
 * official code casts out-of-range floats to uint8 (undefined, platform-dependent); we clip to 0..255.
 */
export function sharpness(image: RgbImage, factor: number): RgbImage {
  const { width, height } = image;
  const source = image.data;
  const data = new Uint8Array(source);
  if (factor === 1 || width < 3 || height < 3) return { data, width, height };
  const f = Math.fround(factor);
  const stride = width * 3;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      for (let c = 0; c < 3; c++) {
        const i = y * stride + x * 3 + c;
        const centre = source[i] as number;
        const sum =
          (source[i - stride - 3] as number) + (source[i - stride] as number) + (source[i - stride + 3] as number) +
          (source[i - 3] as number) + (source[i + 3] as number) +
          (source[i + stride - 3] as number) + (source[i + stride] as number) + (source[i + stride + 3] as number);
        // (sum + 5·centre)/13 is never exactly k + 0.5, so any rounding rule agrees with cv2's.
        const smooth = Math.round((sum + 5 * centre) / 13);
        const value = factor === 0 ? smooth : Math.fround(smooth + Math.fround(f * (centre - smooth)));
        data[i] = Math.trunc(Math.min(255, Math.max(0, value)));
      }
    }
  }
  return { data, width, height };
}
