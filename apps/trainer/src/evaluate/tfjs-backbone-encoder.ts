import type { Backbone } from '@harma/core';
import { createTfjsEncoder } from '@harma/inference';
import type { EmbeddingEncoder } from './encoder';

/** The backbone being trained, as an encoder (it stays the caller's: nothing to dispose). */
export function backboneEncoder(backbone: Backbone): EmbeddingEncoder {
  return createTfjsEncoder(backbone, { ownsBackbone: false });
}
