import { roundHalfEven, type SeededRandom } from '@harma/core';

/** A crop rectangle in pixels. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image (default [0.5, 1], the paper's fine-tuning). */
  scale?: readonly [number, number];
  /** Range of the crop's width/height ratio, sampled log-uniformly (default [3/4, 4/3], torchvision's). */
  ratio?: readonly [number, number];
}

/**
 * torchvision's `RandomResizedCrop.get_params`: up to 10 tries of a random area fraction and
 * log-uniform aspect ratio, then a uniform position; otherwise the central crop with the ratio clamped.
 */
export function randomResizedCropBox(width: number, height: number, rng: SeededRandom, options: RandomResizedCropOptions = {}): CropBox {
  const [minScale, maxScale] = options.scale ?? [0.5, 1];
  const [minRatio, maxRatio] = options.ratio ?? [3 / 4, 4 / 3];
  if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1)) throw new RangeError(`scale must satisfy 0 < min ≤ max ≤ 1, got [${minScale}, ${maxScale}]`);
  if (!(minRatio > 0 && minRatio <= maxRatio)) throw new RangeError(`ratio must satisfy 0 < min ≤ max, got [${minRatio}, ${maxRatio}]`);
  const area = width * height;
  const logLow = Math.log(minRatio);
  const logHigh = Math.log(maxRatio);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(minScale, maxScale);
    const aspect = Math.exp(rng.uniform(logLow, logHigh));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { left, top, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < minRatio) h = roundHalfEven(w / minRatio);
  else if (inRatio > maxRatio) w = roundHalfEven(h * maxRatio);
  return { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
}
