import type * as tf from '@tensorflow/tfjs-core';

/** The emscripten module of tfjs-backend-wasm 4.22, as far as the kernels here use it. */
export interface WasmModule {
  cwrap(name: string, returnType: null, argumentTypes: string[]): (...args: unknown[]) => void;
  tfjs: {
    /** Make `size` floats at byte `offset` of the heap known to the C++ side as tensor `id`. */
    registerTensor(id: number, size: number, offset: number): void;
    /** Forget tensor `id` (runs its disposal callbacks, e.g. frees cached XNNPACK operators), not its memory. */
    disposeData(id: number): void;
  };
}

/**
 * The parts of tfjs's `BackendWasm` object the kernels here use. The package exports no type for
 * them; the names are those of tfjs-backend-wasm 4.22 (pinned and checked, see tested-versions.ts).
 */
export interface WasmBackendInternals {
  wasm: WasmModule;
  dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(tensor: tf.TensorInfo): tf.TypedArray;
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId): boolean;
}

/** The backend object of a kernel call, typed. */
export function wasmInternals(backend: unknown): WasmBackendInternals {
  return backend as WasmBackendInternals;
}

/** Heap byte offset of a tensor's data. */
export function heapOffset(backend: WasmBackendInternals, tensor: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(tensor.dataId);
  if (!data) throw new Error('wasm kernel: a tensor has no data on the wasm backend');
  return data.memoryOffset;
}

/** A float32 tensor's data as a view into the heap, with its shape (take it after allocating outputs: growing the heap detaches older views). */
export function heapView(backend: WasmBackendInternals, tensor: tf.TensorInfo): { data: Float32Array; dims: readonly number[] } {
  return { data: backend.typedArrayFromHeap(tensor) as Float32Array, dims: tensor.shape };
}
