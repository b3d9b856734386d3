import { fusedModel } from './fused-model';

/** Where a 2-D convolution's kernel goes over its input: the attributes its session is made for. */
export interface ConvolutionGeometry {
  /** [height, width] step of the kernel. */
  strides: readonly [number, number];
  /** [height, width] spacing of the kernel's taps. */
  dilations: readonly [number, number];
  /** Zeros added [top, left, bottom, right] (ONNX's begin-then-end order). */
  pads: readonly [number, number, number, number];
}

/**
 * An ONNX model of tfjs's channels-last `Conv2D`: `x` [batch, height, width, in] convolved with
 * `filter` [kernelHeight, kernelWidth, in, out] (tfjs's layouts, as they sit in the wasm heap)
 * into `y` [batch, height', width', out]. ONNX's `Conv` is channels-first, so the graph transposes
 * both operands in and the result out; MLAS's convolution (im2col and its GEMM) pays for the three
 * copies several times over on a ResNet's 3×3 layers.
 */
export function convolutionModel(geometry: ConvolutionGeometry): Uint8Array {
  return fusedModel('convolution', {
    inputs: ['x', 'filter'],
    outputs: ['y'],
    nodes: [
      { op: 'Transpose', input: ['x'], output: ['x_nchw'], attributes: { perm: { ints: [0, 3, 1, 2] } } },
      { op: 'Transpose', input: ['filter'], output: ['filter_oihw'], attributes: { perm: { ints: [3, 2, 0, 1] } } },
      {
        op: 'Conv',
        input: ['x_nchw', 'filter_oihw'],
        output: ['y_nchw'],
        attributes: { strides: { ints: [...geometry.strides] }, dilations: { ints: [...geometry.dilations] }, pads: { ints: [...geometry.pads] } },
      },
      { op: 'Transpose', input: ['y_nchw'], output: ['y'], attributes: { perm: { ints: [0, 2, 3, 1] } } },
    ],
  });
}
