/**
 * What evaluation needs of a model: batches of normalised embeddings. Implemented by the tfjs
 * model being trained and by exported ONNX models (`@harma/inference`).
 */
export interface EmbeddingEncoder {
  readonly embedDim: number;
  /** `pixels` [count, 3, size, size] normalised → [count, embedDim] L2-normalised. */
  encodeImages(pixels: Float32Array, count: number): Promise<Float32Array> | Float32Array;
  /** `ids` [count, contextLength] int32 zero padded → [count, embedDim] L2-normalised. */
  encodeTexts(ids: Int32Array, count: number): Promise<Float32Array> | Float32Array;
}
