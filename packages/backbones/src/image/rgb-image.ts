/** An 8-bit RGB image, interleaved and row-major: `data` is [height, width, 3]. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Check that `data` holds width × height × 3 bytes; `what` names the caller in the error. */
export function assertRgbImage(image: RgbImage, what: string): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${what}: image size must be positive integers, got ${width}×${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new Error(`${what}: ${data.length} bytes for a ${width}×${height} RGB image (expected ${width * height * 3})`);
  }
}
