import type { RgbImage } from './rgb-image';

/** A 2×3 affine map [a, b, c, d, e, f]: x' = a·x + b·y + c, y' = d·x + e·y + f (pixel centres at integers). */
export type AffineMatrix = readonly [number, number, number, number, number, number];

/** Grey fill of the paper's geometric augmentations. */
export const AUGMENT_FILL: readonly [number, number, number] = [128, 128, 128];

// OpenCV's fixed point: source coordinates with AB_BITS = 10 fractional bits, cut to INTER_BITS = 5
// (1/32 pixel) for the bilinear weights; the weights (32 − fx)(32 − fy) … sum to 1024 here, which
// gives the same result as OpenCV's 15-bit table (each of its entries is 32 times ours).
const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS;
const ROUND_DELTA = AB_SCALE / INTER_TAB_SIZE / 2;
const WEIGHT_BITS = 2 * INTER_BITS;
const WEIGHT_HALF = 1 << (WEIGHT_BITS - 1);

/**
 * `saturate_cast<int>(double)`, OpenCV's `cvRound`: the x86 conversion, which rounds half to even
 * and gives INT_MIN for NaN and values outside the int32 range.
 */
function cvRound(value: number): number {
  if (!(value > -2147483648.5 && value < 2147483647.5)) return -2147483648;
  const rounded = Math.round(value);
  // Math.round sends halves up; an exact half with an odd result goes to the even neighbour below.
  return rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** `saturate_cast<short>`: OpenCV stores the integer source coordinates as int16. */
const toShort = (v: number): number => (v < -32768 ? -32768 : v > 32767 ? 32767 : v);

/**
 * The destination → source map that `cv2.warpAffine` inverts `matrix` to, in double precision and
 * in OpenCV's order of operations (a singular matrix throws, where OpenCV would map everything to 0).
 */
function inverseMap(matrix: AffineMatrix): [number, number, number, number, number, number] {
  const [a, b, c, d, e, f] = matrix;
  const det = a * e - b * d;
  if (det === 0) throw new RangeError('warpAffine: the matrix is singular');
  const inv = 1 / det;
  const m0 = e * inv;
  const m1 = b * -inv;
  const m3 = d * -inv;
  const m4 = a * inv;
  return [m0, m1, -m0 * c - m1 * f, m3, m4, -m3 * c - m4 * f];
}

/**
 * `cv2.warpAffine(image, M, (W, H), flags=INTER_LINEAR, borderMode=BORDER_CONSTANT,
 * borderValue=fill)`, bit for bit: M maps source pixels to destination pixels; each destination
 * pixel samples the source at M⁻¹(x, y), rounded to 1/32 pixel in OpenCV's fixed point
 * (`cvRound` of the coordinate times 1024 per row and per column, plus 16, shifted right by 5),
 * with integer bilinear weights, rounded half up; neighbours outside the image take the fill
 * colour, and a pixel whose four neighbours are all outside is the fill colour.
 */
export function warpAffine(image: RgbImage, matrix: AffineMatrix, fill: readonly [number, number, number] = AUGMENT_FILL): RgbImage {
  const [m0, m1, m2, m3, m4, m5] = inverseMap(matrix);
  const { width, height } = image;
  const source = image.data;
  const data = new Uint8Array(source.length);
  const stride = width * 3;
  // OpenCV adds the row part and the column part of each coordinate, each rounded on its own.
  const adelta = new Int32Array(width);
  const bdelta = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    adelta[x] = cvRound(m0 * x * AB_SCALE);
    bdelta[x] = cvRound(m3 * x * AB_SCALE);
  }
  const sample = (sx: number, sy: number, channel: number): number =>
    sx >= 0 && sx < width && sy >= 0 && sy < height ? (source[sy * stride + sx * 3 + channel] as number) : (fill[channel] as number);
  for (let y = 0; y < height; y++) {
    const x0 = cvRound((m1 * y + m2) * AB_SCALE) + ROUND_DELTA;
    const y0 = cvRound((m4 * y + m5) * AB_SCALE) + ROUND_DELTA;
    for (let x = 0; x < width; x++) {
      const fixedX = (x0 + (adelta[x] as number)) >> (AB_BITS - INTER_BITS);
      const fixedY = (y0 + (bdelta[x] as number)) >> (AB_BITS - INTER_BITS);
      const sx = toShort(fixedX >> INTER_BITS);
      const sy = toShort(fixedY >> INTER_BITS);
      const fx = fixedX & (INTER_TAB_SIZE - 1);
      const fy = fixedY & (INTER_TAB_SIZE - 1);
      const w00 = (INTER_TAB_SIZE - fx) * (INTER_TAB_SIZE - fy);
      const w01 = fx * (INTER_TAB_SIZE - fy);
      const w10 = (INTER_TAB_SIZE - fx) * fy;
      const w11 = fx * fy;
      const to = (y * width + x) * 3;
      if (sx >= 0 && sy >= 0 && sx < width - 1 && sy < height - 1) {
        // All four neighbours inside: the common case, without bounds checks.
        const p = sy * stride + sx * 3;
        for (let c = 0; c < 3; c++) {
          const sum = w00 * (source[p + c] as number) + w01 * (source[p + 3 + c] as number) + w10 * (source[p + stride + c] as number) + w11 * (source[p + stride + 3 + c] as number);
          data[to + c] = (sum + WEIGHT_HALF) >> WEIGHT_BITS;
        }
      } else if (sx >= width || sx + 1 < 0 || sy >= height || sy + 1 < 0) {
        data[to] = fill[0];
        data[to + 1] = fill[1];
        data[to + 2] = fill[2];
      } else {
        for (let c = 0; c < 3; c++) {
          const sum = w00 * sample(sx, sy, c) + w01 * sample(sx + 1, sy, c) + w10 * sample(sx, sy + 1, c) + w11 * sample(sx + 1, sy + 1, c);
          data[to + c] = (sum + WEIGHT_HALF) >> WEIGHT_BITS;
        }
      }
    }
  }
  return { data, width, height };
}

/**
 * `cv2.getRotationMatrix2D((W/2, H/2), degrees, 1)`: counter-clockwise on screen for positive
 * degrees; radians as OpenCV computes them (`degrees · (π/180)`).
 */
export function rotationMatrix(width: number, height: number, degrees: number): AffineMatrix {
  const radians = degrees * (Math.PI / 180);
  const alpha = Math.cos(radians);
  const beta = Math.sin(radians);
  const cx = width / 2;
  const cy = height / 2;
  return [alpha, beta, (1 - alpha) * cx - beta * cy, -beta, alpha, beta * cx + (1 - alpha) * cy];
}

/** Rotate about (W/2, H/2) by `degrees`, grey outside (the official `rotate_func`). */
export function rotate(image: RgbImage, degrees: number, fill = AUGMENT_FILL): RgbImage {
  return warpAffine(image, rotationMatrix(image.width, image.height, degrees), fill);
}

// The official shear and translate functions build their matrix with np.float32, so the factor
// and offset are rounded to float32 before OpenCV widens them to double.

/** x' = x + factor·y (the official `shear_x_func`, matrix [[1, factor, 0], [0, 1, 0]] in float32). */
export function shearX(image: RgbImage, factor: number, fill = AUGMENT_FILL): RgbImage {
  return warpAffine(image, [1, Math.fround(factor), 0, 0, 1, 0], fill);
}

/** y' = y + factor·x (the official `shear_y_func`, matrix [[1, 0, 0], [factor, 1, 0]] in float32). */
export function shearY(image: RgbImage, factor: number, fill = AUGMENT_FILL): RgbImage {
  return warpAffine(image, [1, 0, 0, Math.fround(factor), 1, 0], fill);
}

/** x' = x − offset: the content moves left by `offset` pixels (the official matrix [[1, 0, −offset], [0, 1, 0]] in float32). */
export function translateX(image: RgbImage, offset: number, fill = AUGMENT_FILL): RgbImage {
  return warpAffine(image, [1, 0, Math.fround(-offset), 0, 1, 0], fill);
}

/** y' = y − offset: the content moves up by `offset` pixels. */
export function translateY(image: RgbImage, offset: number, fill = AUGMENT_FILL): RgbImage {
  return warpAffine(image, [1, 0, 0, 0, 1, Math.fround(-offset)], fill);
}
