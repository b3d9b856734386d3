import { loadOnnxRuntimeBinding, nativeSessionOptions, type NativeInferenceSession, type OnnxRuntimeBinding } from './onnxruntime-binding';
import { convolutionModel, type ConvolutionGeometry } from './convolution-model';
import { productModel, type ProductFlags } from './product-model';
import { reductionModel } from './reduction-model';

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

/** One convolution's operands (tfjs's channels-last layouts) and output, each a float32 view. */
export interface ConvolutionOperands extends ConvolutionGeometry {
  /** [batch, height, width, in]. */
  x: Float32Array;
  xShape: readonly [number, number, number, number];
  /** [kernelHeight, kernelWidth, in, out]. */
  filter: Float32Array;
  filterShape: readonly [number, number, number, number];
  /** [batch, height', width', out], written in place. */
  out: Float32Array;
  outShape: readonly [number, number, number, number];
}

/** A float32 view and its shape, an input or output of `runFused`. */
export interface FusedTensor {
  data: Float32Array;
  dims: readonly number[];
}

/**
 * Float32 matrix products and convolutions on ONNX Runtime's MLAS kernels, run synchronously on the calling
 * thread into a caller-owned output. Measured on this project's machine (AVX-512, one thread):
 * 105–156 GFLOP/s on ViT-B/32's linear-layer shapes where tfjs-backend-wasm's XNNPACK reaches
 * 28–34, and 37–61 GFLOP/s on its batched attention products (XNNPACK 9–12).
 * Convolutions (`convolve`), channels-last as tfjs lays them out: CLIP RN50's 3×3 layers at
 * batch 8 ran at 73 GFLOP/s together where the wasm backend's XNNPACK convolution reached 31.
 * Sums over any axes (`reduceSum`): a per-channel sum of a channels-last activation ran 20–35×
 * faster than the wasm backend's transpose-then-sum.
 * Fused graphs (`runFused`): the kernels `registerFusedKernels` registers.
 * One session per transpose-flag pair, convolution geometry, reduction and fused graph, created on
 * first use; products, convolutions and sums have no memory arena (nothing is held between calls),
 * fused graphs do (their intermediates).
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
    const describe = (shape: readonly number[], transposed: boolean) => `[${shape.join(', ')}]${transposed ? 'ᵀ' : ''}`;
    this.#run(
      `matMul ${Number(operands.transposeA)}${Number(operands.transposeB)}`,
      () => productModel(operands),
      { a: { data: operands.a, dims: operands.aShape }, b: { data: operands.b, dims: operands.bShape } },
      { y: { data: operands.out, dims: operands.outShape } },
      () => `matMul on ONNX Runtime: ${describe(operands.aShape, operands.transposeA)} × ${describe(operands.bShape, operands.transposeB)} → [${operands.outShape.join(', ')}]`,
    );
  }

  /** `out = conv2d(x, filter)` with tfjs's `Conv2D` semantics; throws naming the shapes if ONNX Runtime refuses them. */
  convolve(operands: ConvolutionOperands): void {
    const { strides, dilations, pads } = operands;
    this.#run(
      `conv ${strides} ${dilations} ${pads}`,
      () => convolutionModel({ strides, dilations, pads }),
      { x: { data: operands.x, dims: operands.xShape }, filter: { data: operands.filter, dims: operands.filterShape } },
      { y: { data: operands.out, dims: operands.outShape } },
      () =>
        `conv2d on ONNX Runtime: [${operands.xShape.join(', ')}] with filter [${operands.filterShape.join(', ')}] (strides ${strides.join('×')}, dilations ${dilations.join('×')}, pads ${pads.join(', ')}) → [${operands.outShape.join(', ')}]`,
    );
  }

  /**
   * `out = sum(x, axes)` (the reduced axes dropped from `outShape`), in place; `axes` sorted and
   * in range. Throws naming the shapes if ONNX Runtime refuses them.
   */
  reduceSum(x: Float32Array, xShape: readonly number[], axes: readonly number[], out: Float32Array, outShape: readonly number[]): void {
    this.#run(`sum ${axes}`, () => reductionModel(axes), { x: { data: x, dims: xShape } }, { y: { data: out, dims: outShape } }, () => `sum on ONNX Runtime: [${xShape.join(', ')}] over axes ${axes.join(', ')} → [${outShape.join(', ')}]`);
  }

  /**
   * Run a small fused graph (`makeModel`, made once per `key`) on float32 views: `feeds` by input
   * name, `fetches` by output name, each written in place. Throws naming the graph and shapes if
   * ONNX Runtime refuses them.
   */
  runFused(key: string, makeModel: () => Uint8Array, feeds: Record<string, FusedTensor>, fetches: Record<string, FusedTensor>): void {
    const shapes = () => Object.entries(feeds).map(([name, view]) => `${name} [${view.dims.join(', ')}]`).join(', ');
    // Intermediates of a fused graph are as large as its inputs: an arena reuses their memory
    // from call to call instead of mapping fresh pages for each (28 instead of 37 ms on QuickGELU's
    // derivative over 4.9M values).
    this.#run(`fused ${key}`, makeModel, feeds, fetches, () => `${key} on ONNX Runtime: ${shapes()}`, true);
  }

  /** Release the sessions (they are made again on the next product). */
  dispose(): void {
    for (const session of this.#sessions.values()) session.dispose();
    this.#sessions.clear();
  }

  /** Run the session of `key` on views read and written in place; an error says `describe()` and ONNX Runtime's reason. */
  #run(key: string, makeModel: () => Uint8Array, feeds: Record<string, FusedTensor>, fetches: Record<string, FusedTensor>, describe: () => string, arena = false): void {
    const { Tensor } = this.#binding;
    const session = this.#session(key, makeModel, arena);
    const tensors = (views: Record<string, FusedTensor>) => Object.fromEntries(Object.entries(views).map(([name, view]) => [name, new Tensor('float32', view.data, view.dims)]));
    try {
      session.run(tensors(feeds), tensors(fetches), {});
    } catch (error) {
      throw new Error(`${describe()} failed: ${(error as Error).message}`);
    }
  }

  #session(key: string, makeModel: () => Uint8Array, arena: boolean): NativeInferenceSession {
    let session = this.#sessions.get(key);
    if (!session) {
      session = new this.#binding.InferenceSession();
      const model = makeModel();
      session.loadModel(model.buffer, model.byteOffset, model.byteLength, nativeSessionOptions({ threads: this.threads, arena }));
      this.#sessions.set(key, session);
    }
    return session;
  }
}
