/** An 8-bit RGB image, interleaved and row-major: `data` is [height, width, 3]. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

function assertSize(width: number, height: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${what}: image size must be positive integers, got ${width}×${height}`);
  }
}

/** A blank (zero) image, or one filled with a colour. */
export function createRgbImage(width: number, height: number, fill?: readonly [number, number, number]): RgbImage {
  assertSize(width, height, 'createRgbImage');
  const data = new Uint8Array(width * height * 3);
  if (fill !== undefined) for (let i = 0; i < data.length; i += 3) data.set(fill, i);
  return { data, width, height };
}

/** Check that the size is positive integers and `data` holds exactly width × height × 3 bytes; `what` names the caller in the error. */
export function assertRgbImage(image: RgbImage, what = 'image'): void {
  const { width, height, data } = image;
  assertSize(width, height, what);
  if (data.length !== width * height * 3) {
    throw new RangeError(`${what}: ${data.length} bytes for a ${width}×${height} RGB image (expected ${width * height * 3})`);
  }
}
