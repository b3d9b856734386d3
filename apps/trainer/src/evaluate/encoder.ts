import type { Encoder } from '@harma/inference';

/**
 * What evaluation needs of a model: batches of normalised embeddings. `@harma/inference`'s tfjs
 * and ONNX Runtime encoders both provide it.
 */
export type EmbeddingEncoder = Pick<Encoder, 'embedDim' | 'encodeImages' | 'encodeTexts'>;
