import type { BackendName, ProductEngineOptions } from '@harma/core';
import type { ModelRecipe } from './model-recipe';
import type { ParameterSlot } from './parameter-layout';
import type { SharedBuffers } from './shared-state';

/** Main thread → worker. */
export type ToWorker =
  | {
      type: 'init';
      worker: number;
      backend: BackendName;
      /** The main thread's product engine (wasm), so that every shard multiplies alike. */
      products: ProductEngineOptions;
      recipe: ModelRecipe;
      /** The main thread's trainable parameters, which the worker's copy must match. */
      slots: ParameterSlot[];
      buffers: SharedBuffers;
      /** See `Parameter.keepTransposed`. */
      keepTransposed: boolean;
      stallTimeoutMs: number;
    }
  | { type: 'buffers'; buffers: SharedBuffers }
  | ({
      type: 'step';
      step: number;
      /** First row of the worker's shard in the batch, and its size. */
      start: number;
      size: number;
      tokens: Int32Array;
      contextLength: number;
      microBatchSize?: number;
    } & (
      | { pixels: Float32Array; imageSize: number; imageEmbeddings?: undefined }
      /** The shard's rows of the whole batch's image embeddings [size, embedDim] (a batch-dependent image tower). */
      | { imageEmbeddings: Float32Array; pixels?: undefined }
    ))
  | { type: 'close' };

/** Worker → main thread (step results travel through shared memory, not messages). */
export type FromWorker = { type: 'ready'; embedDim: number } | { type: 'error'; message: string } | { type: 'closed' };
