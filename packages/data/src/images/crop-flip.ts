import { roundHalfEven } from '@harma/core';
import type { RgbImage } from './rgb-image';

/** The pixels of the rectangle (left, top, width, height), which must lie inside the image. */
export function cropImage(image: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > image.width || top + height > image.height) {
    throw new RangeError(`crop (${left}, ${top}, ${width}x${height}) is outside the ${image.width}x${image.height} image`);
  }
  const data = new Uint8Array(width * height * 3);
  const rowBytes = width * 3;
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * 3;
    data.set(image.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { data, width, height };
}

/** Crop the centre width × height, with torchvision's offsets (`round((H − h) / 2)`, `round((W − w) / 2)`, ties to even). */
export function centerCrop(image: RgbImage, width: number, height: number): RgbImage {
  if (width > image.width || height > image.height) {
    throw new RangeError(`centerCrop: ${width}×${height} does not fit in a ${image.width}×${image.height} image`);
  }
  return cropImage(image, roundHalfEven((image.width - width) / 2), roundHalfEven((image.height - height) / 2), width, height);
}

/** Mirror left-right. */
export function flipHorizontal(image: RgbImage): RgbImage {
  const { width, height } = image;
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const to = row + x * 3;
      const from = row + (width - 1 - x) * 3;
      data[to] = image.data[from] as number;
      data[to + 1] = image.data[from + 1] as number;
      data[to + 2] = image.data[from + 2] as number;
    }
  }
  return { data, width, height };
}
