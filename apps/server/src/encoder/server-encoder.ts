/** An image decoded and preprocessed for the vision tower, with its original size. */
export interface PreparedImage {
  /** [3, size, size] float32, normalised as the model expects. */
  pixels: Float32Array;
  /** Format of the encoded bytes (`jpeg`, `png`, `tiff`, `webp`). */
  format: string;
  /** Size of the decoded image before resizing. */
  width: number;
  height: number;
}

export interface PrepareImageOptions {
  /** Name for error messages (file path or `upload`). */
  name: string;
  /** Largest width × height decoded; larger images are refused as decompression bombs. */
  maxPixels: number;
}

/**
 * What the server needs of a model: preprocessing and the two towers, returning L2-normalised
 * embeddings. `loadModelEncoder` builds one from a model folder; tests and benchmarks may pass
 * their own to `createServer`.
 */
export interface ServerEncoder {
  /** Width of the shared embedding space. */
  readonly embedDim: number;
  /**
   * Identifies the model's weights and preprocessing: vectors stored under another fingerprint are
   * not comparable and are re-embedded.
   */
  readonly fingerprint: string;
  /** Facts shown by `/api/stats` (engine, model name, image size, …). */
  readonly info: Readonly<Record<string, string | number | boolean>>;
  /** Decode, resize and normalise one image; throws `ImageDecodeError` for unreadable or too large images. */
  prepareImage(source: Uint8Array, options: PrepareImageOptions): Promise<PreparedImage>;
  /** One embedding [embedDim] per image. */
  encodeImages(images: readonly PreparedImage[]): Promise<Float32Array[]>;
  /** One embedding [embedDim] per text. */
  encodeTexts(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
