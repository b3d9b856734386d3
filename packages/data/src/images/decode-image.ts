import { promises as fs } from 'node:fs';
import sharp from 'sharp';
import { ImageDecodeError } from './image-decode-error';
import type { RgbImage } from './rgb-image';

/** A decoded image as 8-bit RGB, with what the file held before conversion. */
export interface DecodedImage extends RgbImage {
  original: {
    /** `jpeg`, `png`, `tiff` or `webp`. */
    format: string;
    /** Bands in the file, alpha included. */
    channels: number;
    bitsPerSample: number;
    hasAlpha: boolean;
  };
}

export interface DecodeImageOptions {
  /** Largest width × height accepted; bigger images are refused as decompression bombs. Default: 64,000,000. */
  maxPixels?: number;
  /** Name used in error messages when `source` is bytes. Default: `<buffer>`. */
  name?: string;
}

/** Default pixel limit of `decodeImage` (64 megapixels). */
export const DEFAULT_MAX_PIXELS = 64_000_000;

/** Formats `decodeImage` accepts; others (SVG, GIF, HEIF, …) are refused even if libvips could read them. */
export const SUPPORTED_IMAGE_FORMATS: readonly string[] = ['jpeg', 'png', 'tiff', 'webp'];

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
}

/** 16-bit samples are scaled to 8 bits with rounding (v·255/65535); Pillow's `convert('RGB')` clips them at 255 instead. */
function to8Bit(sample: number): number {
  return Math.round(sample / 257);
}

/**
 * Decode a .jpg, .png, .tif/.tiff or .webp file (or its bytes) to 8-bit RGB, as the paper's
 * `Image.open(...).convert('RGB')` does, with two documented differences: 16-bit images are scaled
 * to 8 bits (Pillow clips 16-bit grey at 255), and alpha is dropped without compositing (as Pillow
 * does). Grey is replicated to three channels. No colour management (embedded ICC profiles are
 * ignored, as Pillow ignores them) and no EXIF rotation (Pillow does not rotate either). CMYK is
 * converted by libvips. Throws `ImageDecodeError` naming the file when it is missing, corrupt,
 * not an image of a supported format, too large (`maxPixels`), or of an unsupported sample type.
 */
export async function decodeImage(source: string | Uint8Array, options: DecodeImageOptions = {}): Promise<DecodedImage> {
  const name = typeof source === 'string' ? source : (options.name ?? '<buffer>');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isInteger(maxPixels) || maxPixels < 1) throw new Error(`decodeImage: maxPixels must be a positive integer, got ${maxPixels}`);

  if (typeof source === 'string') {
    const stat = await fs.stat(source).catch(() => undefined);
    if (!stat) throw new ImageDecodeError(name, 'no such file');
    if (!stat.isFile()) throw new ImageDecodeError(name, 'not a file');
  }
  const input = typeof source === 'string' ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  const open = (limit: number | false): sharp.Sharp => sharp(input, { limitInputPixels: limit, ignoreIcc: true, failOn: 'warning' });

  let metadata: sharp.Metadata;
  try {
    // Only the header is read here, so the size can be refused below with a clear message.
    metadata = await open(false).metadata();
  } catch (error) {
    throw new ImageDecodeError(name, `not a readable image (${describe(error)})`, { cause: error });
  }
  const format = metadata.format ?? 'unknown';
  if (!SUPPORTED_IMAGE_FORMATS.includes(format)) {
    throw new ImageDecodeError(name, `unsupported image format ${format} (supported: ${SUPPORTED_IMAGE_FORMATS.join(', ')})`);
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (width * height > maxPixels) {
    throw new ImageDecodeError(name, `${width}×${height} = ${width * height} pixels exceeds maxPixels ${maxPixels} (refused as a possible decompression bomb)`);
  }
  const depth = metadata.depth ?? 'uchar';
  if (depth !== 'uchar' && depth !== 'ushort') throw new ImageDecodeError(name, `unsupported sample type ${depth} (8- and 16-bit integer images only)`);
  const channels = metadata.channels ?? 0;
  const hasAlpha = metadata.hasAlpha ?? false;
  const colourBands = channels - (hasAlpha ? 1 : 0);
  const sixteen = depth === 'ushort';

  let pipeline = open(maxPixels);
  if (metadata.space === 'cmyk') pipeline = pipeline.toColourspace(sixteen ? 'rgb16' : 'srgb');
  else if (colourBands === 1) pipeline = pipeline.toColourspace(sixteen ? 'grey16' : 'b-w');
  else if (colourBands === 3) pipeline = pipeline.toColourspace(sixteen ? 'rgb16' : 'srgb');
  else throw new ImageDecodeError(name, `unsupported band layout: ${channels} channels${hasAlpha ? ' with alpha' : ''} in colour space ${metadata.space}`);

  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await pipeline.raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ImageDecodeError(name, `corrupt or truncated image (${describe(error)})`, { cause: error });
  }
  const { info } = raw;
  const stride = info.channels;
  // Grey comes back with 1 or 2 bands, colour with 3 or 4: any band after the colour ones is alpha.
  const bands = stride >= 3 ? 3 : 1;
  const pixels = info.width * info.height;
  const samples = sixteen
    ? new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength / 2)
    : new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  const data = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) {
      const sample = samples[p * stride + (bands === 1 ? 0 : c)] as number;
      data[p * 3 + c] = sixteen ? to8Bit(sample) : sample;
    }
  }
  return {
    data,
    width: info.width,
    height: info.height,
    original: { format, channels, bitsPerSample: metadata.bitsPerSample ?? (sixteen ? 16 : 8), hasAlpha },
  };
}
