/** An 8-bit RGB image, interleaved, row-major: `data` is [height, width, 3]. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A blank (zero) image, or one filled with a colour. */
export function createRgbImage(width: number, height: number, fill?: readonly [number, number, number]): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  const data = new Uint8Array(width * height * 3);
  if (fill !== undefined) for (let i = 0; i < data.length; i += 3) data.set(fill, i);
  return { data, width, height };
}

/** Check that `data` holds exactly width × height × 3 bytes. */
export function assertRgbImage(image: RgbImage, what = 'image'): void {
  if (image.data.length !== image.width * image.height * 3) {
    throw new RangeError(`${what}: ${image.data.length} bytes do not make a ${image.width}x${image.height} RGB image`);
  }
}

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
