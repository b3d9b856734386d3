import { assertRgbImage, type RgbImage } from './rgb-image';

/**
 * A port of Pillow's ImagingResample (libImaging/Resample.c, 8 bits per channel), so that images
 * are resized exactly as the paper's `Resize((224, 224), BICUBIC)` did: separable (horizontal pass,
 * then vertical), antialiased (the kernel widens by the scale factor when shrinking), weights
 * normalised in double precision, then converted to fixed point with 22 fractional bits; each pass
 * rounds and clamps its result to uint8.
 */

interface ResampleFilter {
  support: number;
  weight(x: number): number;
}

/** Pillow's bicubic convolution kernel, a = −0.5. */
const BICUBIC: ResampleFilter = {
  support: 2,
  weight(x) {
    const a = -0.5;
    const t = Math.abs(x);
    if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
    if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
    return 0;
  },
};

/** Pillow's triangle (bilinear) kernel. */
const BILINEAR: ResampleFilter = {
  support: 1,
  weight(x) {
    const t = Math.abs(x);
    return t < 1 ? 1 - t : 0;
  },
};

// 32 bits − 8 for the result − 2 for overflow, as in Pillow.
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Coefficients {
  /** Taps per output pixel. */
  ksize: number;
  /** Per output pixel: first input index, number of taps. */
  bounds: Int32Array;
  /** Fixed-point weights, ksize per output pixel. */
  weights: Int32Array;
}

/** Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc`, for the full input box. */
function precomputeCoefficients(inSize: number, outSize: number, filter: ResampleFilter): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C casts truncate toward zero.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const normalized = ww !== 0 ? (k[x] as number) / ww : (k[x] as number);
      weights[xx * ksize + x] = normalized < 0 ? Math.trunc(-0.5 + normalized * ONE) : Math.trunc(0.5 + normalized * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** Pillow's `clip8`: drop the fractional bits, clamp to 0..255. */
function clip8(sum: number): number {
  const value = sum >> PRECISION_BITS;
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

/**
 * One RGB output pixel at `out[o..o+2]`: `taps` input pixels from byte `start`, `stride` bytes
 * apart (3 along a row, a row's bytes down a column), weighted in fixed point and rounded as
 * Pillow's passes do.
 */
function convolvePixel(data: Uint8Array, start: number, stride: number, weights: Int32Array, kOffset: number, taps: number, out: Uint8Array, o: number): void {
  let s0 = HALF;
  let s1 = HALF;
  let s2 = HALF;
  for (let t = 0; t < taps; t++) {
    const w = weights[kOffset + t] as number;
    const i = start + t * stride;
    s0 += (data[i] as number) * w;
    s1 += (data[i + 1] as number) * w;
    s2 += (data[i + 2] as number) * w;
  }
  out[o] = clip8(s0);
  out[o + 1] = clip8(s1);
  out[o + 2] = clip8(s2);
}

/** Horizontal pass over rows [firstRow, firstRow + rows) of the input. */
function resampleHorizontal(input: RgbImage, outWidth: number, firstRow: number, rows: number, c: Coefficients): RgbImage {
  const out = new Uint8Array(outWidth * rows * 3);
  const { data, width } = input;
  const { bounds, weights, ksize } = c;
  for (let y = 0; y < rows; y++) {
    const rowStart = (y + firstRow) * width * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2] as number;
      const taps = bounds[xx * 2 + 1] as number;
      convolvePixel(data, rowStart + xmin * 3, 3, weights, xx * ksize, taps, out, (y * outWidth + xx) * 3);
    }
  }
  return { data: out, width: outWidth, height: rows };
}

/** Vertical pass; `rowOffset` shifts the coefficient bounds into the (cropped) input's rows. */
function resampleVertical(input: RgbImage, outHeight: number, rowOffset: number, c: Coefficients): RgbImage {
  const { data, width } = input;
  const out = new Uint8Array(width * outHeight * 3);
  const rowBytes = width * 3;
  const { bounds, weights, ksize } = c;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = (bounds[yy * 2] as number) - rowOffset;
    const taps = bounds[yy * 2 + 1] as number;
    const kOffset = yy * ksize;
    for (let xx = 0; xx < width; xx++) {
      convolvePixel(data, ymin * rowBytes + xx * 3, rowBytes, weights, kOffset, taps, out, (yy * width + xx) * 3);
    }
  }
  return { data: out, width, height: outHeight };
}

function checkTarget(width: number, height: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${what}: target size must be positive integers, got ${width}×${height}`);
  }
}

function resample(image: RgbImage, width: number, height: number, filter: ResampleFilter, what: string): RgbImage {
  assertRgbImage(image, what);
  checkTarget(width, height, what);
  const needHorizontal = width !== image.width;
  const needVertical = height !== image.height;
  if (!needHorizontal && !needVertical) return { data: image.data.slice(), width, height };
  const horizontal = precomputeCoefficients(image.width, width, filter);
  const vertical = precomputeCoefficients(image.height, height, filter);
  let current = image;
  let rowOffset = 0;
  if (needHorizontal) {
    // Only the rows the vertical pass reads, as Pillow does.
    const firstRow = vertical.bounds[0] as number;
    const lastRow = (vertical.bounds[height * 2 - 2] as number) + (vertical.bounds[height * 2 - 1] as number);
    current = resampleHorizontal(image, width, needVertical ? firstRow : 0, needVertical ? lastRow - firstRow : image.height, horizontal);
    rowOffset = needVertical ? firstRow : 0;
  }
  if (needVertical) current = resampleVertical(current, height, rowOffset, vertical);
  return current;
}

/** Pillow's `Image.resize(size, Image.BICUBIC)` on 8-bit RGB, bit for bit. */
export function resizeBicubic(image: RgbImage, width: number, height: number): RgbImage {
  return resample(image, width, height, BICUBIC, 'resizeBicubic');
}

/** Pillow's `Image.resize(size, Image.BILINEAR)` on 8-bit RGB, bit for bit. */
export function resizeBilinear(image: RgbImage, width: number, height: number): RgbImage {
  return resample(image, width, height, BILINEAR, 'resizeBilinear');
}
