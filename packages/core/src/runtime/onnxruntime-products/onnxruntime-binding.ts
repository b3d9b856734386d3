import { createRequire } from 'node:module';
import { checkTestedVersion } from '../tested-versions';

/** A tensor as onnxruntime-node's native binding takes and returns it (onnxruntime-common's `Tensor`). */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

export type OrtTensorConstructor = new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;

/** onnxruntime-node's native session: the synchronous calls its JavaScript wrapper defers with setImmediate. */
export interface NativeInferenceSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: NativeSessionOptions): void;
  /** Runs on the calling thread; an output given as a tensor is written in place. */
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor | null>, options: Record<string, never>): Record<string, OrtTensor>;
  dispose(): void;
}

export interface NativeSessionOptions {
  intraOpNumThreads: number;
  interOpNumThreads: number;
  executionMode: 'sequential';
  graphOptimizationLevel: 'all';
  enableCpuMemArena: boolean;
  enableMemPattern: boolean;
  /** 0 verbose … 4 fatal. */
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
  extra: { session: { intra_op: { allow_spinning: '0' | '1' } } };
}

/**
 * The options of a session for the training runtime's calls: `threads` for one operator, none
 * spinning (an idle pool thread would spin on the core another training engine needs), ONNX
 * Runtime's log silenced (a refused call throws with its shapes), and a memory arena only where
 * asked (`arena`: intermediates reused from call to call).
 */
export function nativeSessionOptions(options: { threads: number; arena: boolean }): NativeSessionOptions {
  return {
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: options.arena,
    enableMemPattern: options.arena,
    logSeverityLevel: 4,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

export interface OnnxRuntimeBinding {
  InferenceSession: new () => NativeInferenceSession;
  Tensor: OrtTensorConstructor;
  version: string;
}

const requireFromHere = createRequire(import.meta.url);

/**
 * onnxruntime-node's native binding, for calls that must return synchronously (a tfjs kernel
 * cannot wait for a promise). The package's public `InferenceSession.run` wraps exactly this call
 * in a promise; its `dist/binding` module is the one place that loads the addon and sets ORT's
 * environment up once per thread. Throws, with the reason, when onnxruntime-node is not installed
 * or its layout is not the one this code knows (checked on the calls used here), and with an
 * `UntestedVersionError` when it is not the version @harma/core is tested with.
 */
export function loadOnnxRuntimeBinding(): OnnxRuntimeBinding {
  const packageJson = requireFromHere('onnxruntime-node/package.json') as { version: string };
  checkTestedVersion('onnxruntime-node', packageJson.version);
  const { binding, initOrt } = requireFromHere('onnxruntime-node/dist/binding') as {
    binding?: { InferenceSession?: new () => NativeInferenceSession };
    initOrt?: () => void;
  };
  const { Tensor } = requireFromHere('onnxruntime-node') as { Tensor?: OrtTensorConstructor };
  const session = binding?.InferenceSession?.prototype as Partial<NativeInferenceSession> | undefined;
  if (typeof initOrt !== 'function' || typeof session?.loadModel !== 'function' || typeof session.run !== 'function' || typeof Tensor !== 'function') {
    throw new Error(`onnxruntime-node ${packageJson.version} has no synchronous native session in dist/binding (a layout this version of @harma/core does not know)`);
  }
  initOrt();
  return { InferenceSession: binding!.InferenceSession!, Tensor, version: packageJson.version };
}
