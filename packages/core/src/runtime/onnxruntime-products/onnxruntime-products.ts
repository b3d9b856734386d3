import { loadOnnxRuntimeBinding, type NativeInferenceSession, type OnnxRuntimeBinding } from './onnxruntime-binding';
import { productModel, type ProductFlags } from './product-model';

export interface OnnxRuntimeProductsOptions {
  /**
   * Threads of one product. Default: 1 — the data-parallel trainer runs one engine per core, each
   * multiplying on its own thread; more than one helps a single engine on an idle machine.
   */
  threads?: number;
}

/** One product's operands and output, each a float32 view (usually into the wasm heap). */
export interface ProductOperands extends ProductFlags {
  /** [...batch, m, k] (or [..., k, m] with `transposeA`). */
  a: Float32Array;
  aShape: readonly number[];
  /** [...batch, k, n] (or [..., n, k] with `transposeB`). */
  b: Float32Array;
  bShape: readonly number[];
  /** [...broadcast batch, m, n], written in place. */
  out: Float32Array;
  outShape: readonly number[];
}

/**
 * Float32 matrix products on ONNX Runtime's MLAS kernels, run synchronously on the calling
 * thread into a caller-owned output. Measured on this project's machine (AVX-512, one thread):
 * 105–156 GFLOP/s on ViT-B/32's linear-layer shapes where tfjs-backend-wasm's XNNPACK reaches
 * 28–34, and 37–61 GFLOP/s on its batched attention products (XNNPACK 9–12).
 * One session per transpose-flag pair, created on first use; no memory arena, so nothing is
 * held between products.
 */
export class OnnxRuntimeProducts {
  readonly threads: number;
  readonly version: string;
  readonly #binding: OnnxRuntimeBinding;
  readonly #sessions = new Map<string, NativeInferenceSession>();

  constructor(options: OnnxRuntimeProductsOptions = {}) {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`ONNX Runtime products: threads must be a positive integer, got ${threads}`);
    this.threads = threads;
    this.#binding = loadOnnxRuntimeBinding();
    this.version = this.#binding.version;
  }

  /** `out = op(a)·op(b)`; throws naming the shapes if ONNX Runtime refuses them. */
  multiply(operands: ProductOperands): void {
    const { Tensor } = this.#binding;
    const session = this.#session(operands);
    try {
      session.run(
        { a: new Tensor('float32', operands.a, operands.aShape), b: new Tensor('float32', operands.b, operands.bShape) },
        { y: new Tensor('float32', operands.out, operands.outShape) },
        {},
      );
    } catch (error) {
      const describe = (shape: readonly number[], transposed: boolean) => `[${shape.join(', ')}]${transposed ? 'ᵀ' : ''}`;
      throw new Error(
        `matMul on ONNX Runtime: ${describe(operands.aShape, operands.transposeA)} × ${describe(operands.bShape, operands.transposeB)} → [${operands.outShape.join(', ')}] failed: ${(error as Error).message}`,
      );
    }
  }

  /** Release the sessions (they are made again on the next product). */
  dispose(): void {
    for (const session of this.#sessions.values()) session.dispose();
    this.#sessions.clear();
  }

  #session(flags: ProductFlags): NativeInferenceSession {
    const key = `${Number(flags.transposeA)}${Number(flags.transposeB)}`;
    let session = this.#sessions.get(key);
    if (!session) {
      session = new this.#binding.InferenceSession();
      const model = productModel(flags);
      session.loadModel(model.buffer, model.byteOffset, model.byteLength, {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        enableCpuMemArena: false,
        enableMemPattern: false,
        // A refused product throws with its shapes; ONNX Runtime's own stderr line would only repeat it.
        logSeverityLevel: 4,
        // Idle pool threads would spin on the core the other training engine needs.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      this.#sessions.set(key, session);
    }
    return session;
  }
}
