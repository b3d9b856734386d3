import { encodeOnnxModel, ONNX_ATTRIBUTE_TYPES, ONNX_DATA_TYPES, type OnnxValueInfo } from '../../onnx/onnx-model';

/** Where a 2-D convolution's kernel goes over its input: the attributes its session is made for. */
export interface ConvolutionGeometry {
  /** [height, width] step of the kernel. */
  strides: readonly [number, number];
  /** [height, width] spacing of the kernel's taps. */
  dilations: readonly [number, number];
  /** Zeros added [top, left, bottom, right] (ONNX's begin-then-end order). */
  pads: readonly [number, number, number, number];
}

/** A float32 tensor of rank 4 and any sizes: one session takes every convolution of one geometry. */
function rank4(name: string): OnnxValueInfo {
  const dim = Array.from({ length: 4 }, (_, i) => ({ dimParam: `${name}${i}` }));
  return { name, type: { tensorType: { elemType: ONNX_DATA_TYPES.float32, shape: { dim } } } };
}

/**
 * An ONNX model of tfjs's channels-last `Conv2D`: `x` [batch, height, width, in] convolved with
 * `filter` [kernelHeight, kernelWidth, in, out] (tfjs's layouts, as they sit in the wasm heap)
 * into `y` [batch, height', width', out]. ONNX's `Conv` is channels-first, so the graph transposes
 * both operands in and the result out; MLAS's convolution (im2col and its GEMM) pays for the three
 * copies several times over on a ResNet's 3×3 layers.
 */
export function convolutionModel(geometry: ConvolutionGeometry): Uint8Array {
  const ints = (name: string, values: readonly number[]) => ({ name, type: ONNX_ATTRIBUTE_TYPES.ints, ints: [...values] });
  return encodeOnnxModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: '@harma/core',
    producerVersion: '1',
    graph: {
      name: 'convolution',
      node: [
        { name: 'x_first', opType: 'Transpose', input: ['x'], output: ['x_nchw'], attribute: [ints('perm', [0, 3, 1, 2])] },
        { name: 'filter_first', opType: 'Transpose', input: ['filter'], output: ['filter_oihw'], attribute: [ints('perm', [3, 2, 0, 1])] },
        {
          name: 'convolution',
          opType: 'Conv',
          input: ['x_nchw', 'filter_oihw'],
          output: ['y_nchw'],
          attribute: [ints('strides', geometry.strides), ints('dilations', geometry.dilations), ints('pads', geometry.pads)],
        },
        { name: 'y_last', opType: 'Transpose', input: ['y_nchw'], output: ['y'], attribute: [ints('perm', [0, 2, 3, 1])] },
      ],
      initializer: [],
      input: [rank4('x'), rank4('filter')],
      output: [rank4('y')],
    },
  });
}
