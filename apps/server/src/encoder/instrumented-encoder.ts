import type { ServerEncoder } from './server-encoder';

/** The same encoder, reporting the seconds each call spends in the model. */
export function instrumentEncoder(encoder: ServerEncoder, observe: (modality: 'image' | 'text', seconds: number) => void): ServerEncoder {
  const timed = async <T>(modality: 'image' | 'text', run: () => Promise<T>): Promise<T> => {
    const started = process.hrtime.bigint();
    try {
      return await run();
    } finally {
      observe(modality, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
  return {
    get embedDim() {
      return encoder.embedDim;
    },
    get fingerprint() {
      return encoder.fingerprint;
    },
    get info() {
      return encoder.info;
    },
    prepareImage: (source, options) => encoder.prepareImage(source, options),
    encodeImages: (images) => timed('image', () => encoder.encodeImages(images)),
    encodeTexts: (texts) => timed('text', () => encoder.encodeTexts(texts)),
    close: () => encoder.close(),
  };
}
