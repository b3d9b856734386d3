import { hostArray, tensorProto } from '../graph-builder';
import type { KernelContext, KernelConverter } from '../kernel-context';
import { dimsAttr, normalizeAxis, numberAttr, numbersAttr, onnxDtype } from '../kernel-context';
import { isBatchDim, type Dim } from '../../trace/symbolic-trace';
import { ONNX_DATA_TYPES } from '@harma/core';

/** Past the end of any axis: Slice clamps it to the dimension. */
const SLICE_TO_END = Number.MAX_SAFE_INTEGER;

function sameDim(a: Dim | undefined, b: Dim | undefined): boolean {
  if (isBatchDim(a) && isBatchDim(b)) return a.batch === b.batch;
  return a === b;
}

/** tfjs `Slice` {begin, size}: a number means the first axis, missing entries take everything. */
function convertSlice(context: KernelContext): string[] {
  const input = context.inputShape('x');
  const rank = input.length;
  const rawBegin = context.kernel.attrs.begin;
  const rawSize = context.kernel.attrs.size;
  const begin: Dim[] = typeof rawBegin === 'number' || isBatchDim(rawBegin) ? [rawBegin, ...new Array<number>(rank - 1).fill(0)] : [...(rawBegin as Dim[])];
  while (begin.length < rank) begin.push(0);
  const size: Dim[] = typeof rawSize === 'number' || isBatchDim(rawSize) ? [rawSize, ...new Array<number>(rank - 1).fill(-1)] : [...(rawSize as Dim[])];
  while (size.length < rank) size.push(-1);
  const starts: number[] = [];
  const ends: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    const start = begin[axis] as Dim;
    const length = size[axis] as Dim;
    if (isBatchDim(start)) throw context.fail(`slice begins at a batch-dependent offset on axis ${axis}`);
    starts.push(start);
    if (length === -1) ends.push(SLICE_TO_END);
    else if (!isBatchDim(length)) ends.push(start + length);
    else if (start === 0 && sameDim(length, input[axis])) ends.push(SLICE_TO_END);
    else throw context.fail(`slice of a batch-dependent length that is not the whole axis ${axis}`);
  }
  const axes = Array.from({ length: rank }, (_, i) => i);
  const { builder } = context;
  return context.emit('Slice', [context.input('x'), builder.int64s(starts), builder.int64s(ends), builder.int64s(axes)]);
}

function convertSplit(context: KernelContext): string[] {
  const rank = context.inputShape('x').length;
  const axis = normalizeAxis(numberAttr(context, 'axis'), rank);
  const sizes = context.kernel.outputs.map((output) => output.shape[axis]);
  if (!sizes.every((size): size is number => typeof size === 'number')) throw context.fail('split along the batch axis');
  return context.emit('Split', [context.input('x'), context.builder.int64s(sizes)], { axis: { int: axis } });
}

function convertSqueeze(context: KernelContext): string[] {
  const shape = context.inputShape('x');
  let axes = numbersAttr(context, 'axis').filter((axis) => axis !== undefined);
  if (axes.length === 0) axes = shape.flatMap((dim, i) => (dim === 1 ? [i] : []));
  return context.emit('Squeeze', [context.input('x'), context.builder.int64s(axes)]);
}

function convertPack(context: KernelContext): string[] {
  const axis = numberAttr(context, 'axis');
  const axes = context.builder.int64s([axis]);
  const expanded = context.inputList().map((value) => context.builder.node('Unsqueeze', [value, axes])[0] as string);
  const rank = context.outputMeta().shape?.length ?? 1;
  return context.emit('Concat', expanded, { axis: { int: normalizeAxis(axis, rank) } });
}

function convertFill(context: KernelContext): string[] {
  const dtype = onnxDtype((context.kernel.attrs.dtype as 'float32' | 'int32' | 'bool' | undefined) ?? 'float32');
  const value = tensorProto('value', dtype, [1], hostArray(dtype, [numberAttr(context, 'value')]));
  return context.emit('ConstantOfShape', [context.builder.shape(dimsAttr(context, 'shape'))], { value: { tensor: value } });
}

function convertPad(context: KernelContext): string[] {
  const paddings = context.kernel.attrs.paddings as number[][];
  const pads = [...paddings.map((pair) => pair[0] as number), ...paddings.map((pair) => pair[1] as number)];
  const constant = context.builder.scalar(onnxDtype(context.inputDtype('x')), numberAttr(context, 'constantValue'));
  return context.emit('Pad', [context.input('x'), context.builder.int64s(pads), constant]);
}

function convertOneHot(context: KernelContext): string[] {
  const dtype = onnxDtype((context.kernel.attrs.dtype as 'float32' | 'int32' | undefined) ?? 'int32');
  const values = context.builder.constant(dtype, [2], [numberAttr(context, 'offValue'), numberAttr(context, 'onValue')], 'one_hot_values');
  const depth = context.builder.constant('int64', [], [numberAttr(context, 'depth')], 'depth');
  return context.emit('OneHot', [context.input('indices'), depth, values], { axis: { int: -1 } });
}

/** tfjs `Reverse` {dims}: a slice with step −1 along each reversed axis. */
function convertReverse(context: KernelContext): string[] {
  const rank = context.inputShape('x').length;
  const axes = numbersAttr(context, 'dims').map((axis) => normalizeAxis(axis, rank));
  const { builder } = context;
  const starts = builder.int64s(axes.map(() => -1));
  const ends = builder.int64s(axes.map(() => -SLICE_TO_END));
  return context.emit('Slice', [context.input('x'), starts, ends, builder.int64s(axes), builder.int64s(axes.map(() => -1))]);
}

/** tfjs layout kernels: reshape, transpose, concat, split, slice, tile, broadcast, gather, cast, fill, pad. */
export const shapeConverters: Record<string, KernelConverter> = {
  Reshape: (context) => context.emit('Reshape', [context.input('x'), context.builder.shape(dimsAttr(context, 'shape'), { inferOne: true })]),
  Transpose: (context) => context.emit('Transpose', [context.input('x')], { perm: { ints: numbersAttr(context, 'perm') } }),
  Concat: (context) => {
    const rank = context.outputMeta().shape?.length ?? 1;
    return context.emit('Concat', context.inputList(), { axis: { int: normalizeAxis(numberAttr(context, 'axis'), rank) } });
  },
  SplitV: convertSplit,
  Slice: convertSlice,
  Reverse: convertReverse,
  Tile: (context) => context.emit('Tile', [context.input('x'), context.builder.shape(dimsAttr(context, 'reps'))]),
  BroadcastTo: (context) => context.emit('Expand', [context.input('x'), context.builder.shape(dimsAttr(context, 'shape'))]),
  ExpandDims: (context) => context.emit('Unsqueeze', [context.input('input'), context.builder.int64s([numberAttr(context, 'dim')])]),
  Squeeze: convertSqueeze,
  Pack: convertPack,
  GatherV2: (context) => {
    if ((context.kernel.attrs.batchDims ?? 0) !== 0) throw context.fail('gather with batchDims is not supported');
    const rank = context.inputShape('x').length;
    return context.emit('Gather', [context.input('x'), context.input('indices')], { axis: { int: normalizeAxis(numberAttr(context, 'axis'), rank) } });
  },
  Cast: (context) => {
    const dtype = onnxDtype(context.kernel.attrs.dtype as 'float32');
    return context.emit('Cast', [context.input('x')], { to: { int: ONNX_DATA_TYPES[dtype] } });
  },
  Fill: convertFill,
  PadV2: convertPad,
  OneHot: convertOneHot,
};
