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
   * `official` (default): the table of the official `autocontrast_func`, which negates the channel
   * minimum as a numpy uint8: the negation wraps around (256 − min), so every channel whose minimum
   * is above 0 becomes 255 everywhere. `pil`: PIL's `autocontrast` (cutoff 0), which that function
   * was written to match.
   */
  variant?: 'official' | 'pil';
}

/**
 * Stretch each channel so its minimum maps to 0 and its maximum to 255: table
 * `trunc(clip(v·255/(max − min) + offset, 0, 255))` in float64, `offset = −min·scale` (PIL) or
 * `(256 − min) mod 256 · scale` (the official code's uint8 negation, the default); a flat channel
 * is left alone.
 */
export function autoContrast(image: RgbImage, options: AutoContrastOptions = {}): RgbImage {
  const official = (options.variant ?? 'official') === 'official';
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
    const offset = (official ? (256 - low) % 256 : -low) * scale;
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

export interface SharpnessOptions {
  /**
   * What happens to a blended value outside 0..255: `wrap` (default) as the official code's
   * `astype(np.uint8)` of float32 does on x86 — truncation toward zero, then modulo 256, so 300.5
   * becomes 44 and −20.5 becomes 236; `clip`: clamp to 0..255 first.
   */
  overflow?: 'wrap' | 'clip';
}

/** The smoothing kernel [[1,1,1],[1,5,1],[1,1,1]]/13 at one value: `i` is its index in `source`. */
function smoothAt(source: Uint8Array, i: number, up: number, down: number, left: number, right: number): number {
  const sum =
    (source[i - up + left] as number) + (source[i - up] as number) + (source[i - up + right] as number) +
    (source[i + left] as number) + (source[i + right] as number) +
    (source[i + down + left] as number) + (source[i + down] as number) + (source[i + down + right] as number);
  // cv2.filter2D sums in float32 and rounds half to even; (sum + 5·centre)/13 lies at least 1/26
  // from any k + 0.5, far beyond float32 error, so rounding the exact quotient gives the same value.
  return Math.round((sum + 5 * (source[i] as number)) / 13);
}

/**
 * The official `sharpness_func`: blend with a smoothed copy (cv2.filter2D with
 * [[1,1,1],[1,5,1],[1,1,1]]/13, uint8 result), `smooth + factor·(image − smooth)` in float32 on
 * interior pixels only (the 1-pixel border keeps its values), then cast to uint8 — wrapping
 * around by default, as the official code does. Factor 1 returns the image; factor 0 returns the
 * smoothed image everywhere (its border with OpenCV's default reflect-101 border).
 */
export function sharpness(image: RgbImage, factor: number, options: SharpnessOptions = {}): RgbImage {
  const { width, height } = image;
  const source = image.data;
  const data = new Uint8Array(source);
  if (factor === 1) return { data, width, height };
  const stride = width * 3;
  if (factor === 0) {
    // Reflect-101 neighbours (`cba|abcd|dcb`); a 1-pixel-wide side reflects onto itself.
    for (let y = 0; y < height; y++) {
      const up = y > 0 ? stride : height > 1 ? -stride : 0;
      const down = y < height - 1 ? stride : height > 1 ? -stride : 0;
      for (let x = 0; x < width; x++) {
        const left = x > 0 ? -3 : width > 1 ? 3 : 0;
        const right = x < width - 1 ? 3 : width > 1 ? -3 : 0;
        for (let c = 0; c < 3; c++) {
          const i = y * stride + x * 3 + c;
          data[i] = smoothAt(source, i, up, down, left, right);
        }
      }
    }
    return { data, width, height };
  }
  const f = Math.fround(factor);
  const wrap = (options.overflow ?? 'wrap') === 'wrap';
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      for (let c = 0; c < 3; c++) {
        const i = y * stride + x * 3 + c;
        const smooth = smoothAt(source, i, stride, stride, -3, 3);
        const value = Math.fround(smooth + Math.fround(f * ((source[i] as number) - smooth)));
        // A Uint8Array store of a truncated integer keeps its low 8 bits: the x86 cast's wrap-around.
        data[i] = wrap ? Math.trunc(value) : Math.trunc(Math.min(255, Math.max(0, value)));
      }
    }
  }
  return { data, width, height };
}
