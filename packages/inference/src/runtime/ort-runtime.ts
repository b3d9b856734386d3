// The one module that loads onnxruntime-node (a peer dependency, loaded on first use so that
// exporting works without it); every other module imports its types only.
import { access } from 'node:fs/promises';
import os from 'node:os';
import type * as Ort from 'onnxruntime-node';

type OrtModule = typeof Ort;

let runtime: Promise<OrtModule> | undefined;

/** Load onnxruntime-node once; a clear error when the app did not install it. */
export function loadOnnxRuntime(): Promise<OrtModule> {
  runtime ??= import('onnxruntime-node').then(
    (module) => module as OrtModule,
    (error: unknown) => {
      runtime = undefined;
      throw new Error(
        `onnxruntime-node could not be loaded (${(error as Error).message}); it is a peer dependency of @harma/inference: add it to your app's dependencies`,
      );
    },
  );
  return runtime;
}

/** ONNX Runtime session settings for CPU inference. */
export interface OrtSessionSettings {
  /** Threads of one operator. Default: every core (`os.availableParallelism()`). */
  threads?: number;
  /** Graph optimisations applied at load. Default: 'all' (constant folding, fusions, layout). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Keep freed buffers in ONNX Runtime's arena for the next call. Default: true. */
  memoryArena?: boolean;
  /**
   * Let idle worker threads spin-wait for work (ONNX Runtime's own default). Measured on 2 cores
   * with ViT-B/32: no faster on a quiet machine, and up to 2× slower when other processes want
   * the cores (a server's HTTP work, parallel jobs). Default: false.
   */
  spinning?: boolean;
  /** Write ONNX Runtime's profile (JSON, per node) with this path prefix. Default: off. */
  profilePrefix?: string;
  /** Save the optimised graph here (to inspect what ONNX Runtime fused). Default: off. */
  optimizedModelPath?: string;
}

/** The onnxruntime-node session options the settings stand for. */
export function ortSessionOptions(settings: OrtSessionSettings = {}): Ort.InferenceSession.SessionOptions {
  const threads = settings.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`ONNX Runtime settings: threads must be a positive integer, got ${threads}`);
  const options: Ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: settings.graphOptimizationLevel ?? 'all',
    enableCpuMemArena: settings.memoryArena ?? true,
    enableMemPattern: true,
    extra: { session: { intra_op: { allow_spinning: settings.spinning === true ? '1' : '0' } } },
  };
  if (settings.profilePrefix) Object.assign(options, { enableProfiling: true, profileFilePrefix: settings.profilePrefix });
  if (settings.optimizedModelPath) options.optimizedModelFilePath = settings.optimizedModelPath;
  return options;
}

/** One loaded graph with one input and one output. */
export interface OrtModelRunner {
  readonly inputName: string;
  readonly outputName: string;
  /** Run on `data` with shape `dims` (float32 or int64 as the graph takes). */
  run(data: Float32Array | BigInt64Array, dims: readonly number[]): Promise<{ data: Float32Array; dims: number[] }>;
  /** Stop profiling; returns the profile file when profiling was on. */
  endProfiling(): string | undefined;
  release(): Promise<void>;
}

/** Load an `.onnx` file (or its bytes) into a CPU session; `source` names it in errors. */
export async function createOrtRunner(model: string | Uint8Array, settings: OrtSessionSettings = {}, source = typeof model === 'string' ? model : 'ONNX model'): Promise<OrtModelRunner> {
  if (typeof model === 'string') {
    try {
      await access(model);
    } catch {
      throw new Error(`${source}: not found`);
    }
  }
  const ort = await loadOnnxRuntime();
  let session: Ort.InferenceSession;
  try {
    session = typeof model === 'string' ? await ort.InferenceSession.create(model, ortSessionOptions(settings)) : await ort.InferenceSession.create(model, ortSessionOptions(settings));
  } catch (error) {
    throw new Error(`${source}: ONNX Runtime cannot load it (${(error as Error).message})`);
  }
  if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
    await session.release();
    throw new Error(`${source}: expected one input and one output, found inputs [${session.inputNames}] and outputs [${session.outputNames}]`);
  }
  const inputName = session.inputNames[0] as string;
  const outputName = session.outputNames[0] as string;
  let profiling = settings.profilePrefix !== undefined;
  return {
    inputName,
    outputName,
    async run(data, dims) {
      const input = data instanceof Float32Array ? new ort.Tensor('float32', data, dims) : new ort.Tensor('int64', data, dims);
      let results: Ort.InferenceSession.OnnxValueMapType;
      try {
        results = await session.run({ [inputName]: input });
      } catch (error) {
        throw new Error(`${source}: run on ${input.type} [${dims}] failed (${(error as Error).message})`);
      }
      const output = results[outputName] as Ort.Tensor;
      if (!(output.data instanceof Float32Array)) throw new Error(`${source}: output '${outputName}' is ${output.type}, expected float32`);
      return { data: output.data, dims: [...output.dims] };
    },
    endProfiling() {
      if (!profiling) return undefined;
      profiling = false;
      return session.endProfiling() as unknown as string;
    },
    release: () => session.release(),
  };
}
