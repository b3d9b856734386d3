import type { RgbImage } from './rgb-image';

/** A 2×3 affine map [a, b, c, d, e, f]: x' = a·x + b·y + c, y' = d·x + e·y + f (pixel centres at integers). */
export type AffineMatrix = readonly [number, number, number, number, number, number];

/** Grey fill of the paper's geometric augmentations. */
export const AUGMENT_FILL: readonly [number, number, number] = [128, 128, 128];

/**
 * `cv2.warpAffine(image, M, (W, H), flags=INTER_LINEAR, borderValue=fill)`: M maps source pixels
 * to destination pixels; each destination pixel samples the source bilinearly at M⁻¹(x, y), and
 * neighbours outside the image take the fill colour. (cv2 interpolates in fixed point with 1/32
 * pixel steps; this computes in floating point, so a value can differ by one step of 1/255.)
 */
export function warpAffine(image: RgbImage, matrix: AffineMatrix, fill: readonly [number, number, number] = AUGMENT_FILL): RgbImage {
  const [a, b, c, d, e, f] = matrix;
  const det = a * e - b * d;
  if (det === 0) throw new RangeError('warpAffine: the matrix is singular');
  // Inverse map: destination → source.
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  const ic = -(ia * c + ib * f);
  const iF = -(id * c + ie * f);
  const { width, height } = image;
  const source = image.data;
  const data = new Uint8Array(source.length);
  const [fr, fg, fb] = fill;
  const stride = width * 3;
  const sample = (x: number, y: number, channel: number, fillValue: number): number =>
    x >= 0 && x < width && y >= 0 && y < height ? (source[y * stride + x * 3 + channel] as number) : fillValue;
  for (let y = 0; y < height; y++) {
    // Source coordinates move by (ia, id) per destination pixel along the row.
    let sx = ib * y + ic;
    let sy = ie * y + iF;
    for (let x = 0; x < width; x++, sx += ia, sy += id) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const to = (y * width + x) * 3;
      if (x0 < -1 || y0 < -1 || x0 >= width || y0 >= height) {
        data[to] = fr;
        data[to + 1] = fg;
        data[to + 2] = fb;
        continue;
      }
      const wx = sx - x0;
      const wy = sy - y0;
      const w00 = (1 - wx) * (1 - wy);
      const w01 = wx * (1 - wy);
      const w10 = (1 - wx) * wy;
      const w11 = wx * wy;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
        // All four neighbours inside: the common case, without bounds checks.
        const p = y0 * stride + x0 * 3;
        for (let c = 0; c < 3; c++) {
          data[to + c] = Math.round(
            w00 * (source[p + c] as number) + w01 * (source[p + 3 + c] as number) + w10 * (source[p + stride + c] as number) + w11 * (source[p + stride + 3 + c] as number),
          );
        }
        continue;
      }
      for (let c = 0; c < 3; c++) {
        const f = c === 0 ? fr : c === 1 ? fg : fb;
        data[to + c] = Math.round(w00 * sample(x0, y0, c, f) + w01 * sample(x0 + 1, y0, c, f) + w10 * sample(x0, y0 + 1, c, f) + w11 * sample(x0 + 1, y0 + 1, c, f));
      }
    }
  }
  return { data, width, height };
}

/** `cv2.getRotationMatrix2D((W/2, H/2), degrees, 1)`: counter-clockwise on screen for positive degrees. */
export function rotationMatrix(width: number, height: number, degrees: number): AffineMatrix {
  const radians = (degrees * Math.PI) / 180;
  const alpha = Math.cos(radians);
  const beta = Math.sin(radians);
  const cx = width / 2;
  const cy = height / 2;
  return [alpha, beta, (1 - alpha) * cx - beta * cy, -beta, alpha, beta * cx + (1 - alpha) * cy];
}

/** Rotate about (W/2, H/2) by `degrees`, grey outside. */
export function rotate(image: RgbImage, degrees: number, fill = AUGMENT_FILL): RgbImage {
  return warpAffine(image, rotationMatrix(image.width, image.height, degrees), fill);
}

/** x' = x + factor·y. */
export function shearX(image: RgbImage, factor: number, fill = AUGMENT_FILL): RgbImage {
  return warpAffine(image, [1, factor, 0, 0, 1, 0], fill);
}

/** y' = y + factor·x. */
export function shearY(image: RgbImage, factor: number, fill = AUGMENT_FILL): RgbImage {
  return warpAffine(image, [1, 0, 0, factor, 1, 0], fill);
}

/** x' = x − offset: the content moves left by `offset` pixels (the official matrix [[1, 0, −offset], [0, 1, 0]]). */
export function translateX(image: RgbImage, offset: number, fill = AUGMENT_FILL): RgbImage {
  return warpAffine(image, [1, 0, -offset, 0, 1, 0], fill);
}

/** y' = y − offset: the content moves up by `offset` pixels. */
export function translateY(image: RgbImage, offset: number, fill = AUGMENT_FILL): RgbImage {
  return warpAffine(image, [1, 0, 0, 0, 1, -offset], fill);
}
