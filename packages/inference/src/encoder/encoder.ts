/** Which implementation an encoder runs on. */
export type EncoderEngine = 'tfjs' | 'ort';

/**
 * A dual encoder for evaluation and serving: images and token ids in, L2-normalised embeddings
 * out (their dot product is the cosine similarity). Work is split into batches inside.
 */
export interface Encoder {
  readonly engine: EncoderEngine;
  /** Width of the embeddings. */
  readonly embedDim: number;
  /** Side of the square, already normalised images `encodeImages` takes. */
  readonly imageSize: number;
  /** Token ids per caption `encodeTexts` takes (zero padded). */
  readonly contextLength: number;
  /** `pixels` [count, 3, imageSize, imageSize] float32, normalised → [count, embedDim]. */
  encodeImages(pixels: Float32Array, count: number): Promise<Float32Array>;
  /** `ids` [count, contextLength], zero padded → [count, embedDim]. */
  encodeTexts(ids: Int32Array | BigInt64Array, count: number): Promise<Float32Array>;
  /** Free the model or sessions; the encoder is unusable afterwards. */
  dispose(): Promise<void>;
}
