import type { Dim } from '../../trace/symbolic-trace';
import type { AttributeValue } from '../graph-builder';
import type { KernelContext, KernelConverter } from '../kernel-context';
import { numbersAttr } from '../kernel-context';

/** A square-or-not window attribute (`strides`, `dilations`, `filterSize`) as [h, w]. */
function pair(context: KernelContext, name: string, fallback = 1): [number, number] {
  if (context.kernel.attrs[name] === undefined || context.kernel.attrs[name] === null) return [fallback, fallback];
  const values = numbersAttr(context, name);
  return [values[0] as number, (values[1] ?? values[0]) as number];
}

/**
 * tfjs's `pad` (a number, 'valid', 'same' or explicit NHWC pairs) as ONNX attributes: `pads`
 * [top, left, bottom, right], or `auto_pad: SAME_UPPER` (tfjs puts the odd pixel at the end).
 */
function padding(context: KernelContext): Record<string, AttributeValue> {
  const pad = context.kernel.attrs.pad;
  if (context.kernel.attrs.dimRoundingMode !== undefined && context.kernel.attrs.dimRoundingMode !== null) throw context.fail('dimRoundingMode is not supported');
  if (pad === 'valid') return { pads: { ints: [0, 0, 0, 0] } };
  if (pad === 'same') return { auto_pad: { string: 'SAME_UPPER' } };
  if (typeof pad === 'number') return { pads: { ints: [pad, pad, pad, pad] } };
  if (Array.isArray(pad) && pad.length === 4) {
    const [, rows, columns] = pad as number[][];
    return { pads: { ints: [rows?.[0] ?? 0, columns?.[0] ?? 0, rows?.[1] ?? 0, columns?.[1] ?? 0] } };
  }
  throw context.fail(`padding ${JSON.stringify(pad)} is not supported`);
}

/** NHWC → NCHW (or back) of a value whose NHWC shape is `shape`. */
function toChannelsFirst(context: KernelContext, value: string, shape: Dim[]): string {
  const [n, h, w, c] = shape;
  const [out] = context.builder.node('Transpose', [value], {
    attributes: { perm: { ints: [0, 3, 1, 2] } },
    meta: [{ dtype: 'float32', shape: [n as Dim, c as Dim, h as Dim, w as Dim] }],
  });
  return out as string;
}

/**
 * An ONNX operator that works channels-first wrapped for tfjs's channels-last tensors: the input
 * transposed to NCHW, the operator, the result transposed back. ONNX Runtime's transpose
 * optimiser cancels the pairs that meet between consecutive layers.
 */
function channelsFirst(context: KernelContext, opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue>): string[] {
  if (context.kernel.attrs.dataFormat !== undefined && context.kernel.attrs.dataFormat !== 'NHWC') throw context.fail(`data format ${String(context.kernel.attrs.dataFormat)} is not supported`);
  const inputShape = context.inputShape('x');
  if (inputShape.length !== 4) throw context.fail(`input of rank ${inputShape.length}, expected 4`);
  const [n, oh, ow, oc] = context.outputMeta().shape ?? [];
  const [y] = context.builder.node(opType, [toChannelsFirst(context, inputs[0] as string, inputShape), ...inputs.slice(1)], {
    attributes,
    meta: [{ dtype: 'float32', shape: [n as Dim, oc as Dim, oh as Dim, ow as Dim] }],
  });
  return context.emit('Transpose', [y as string], { perm: { ints: [0, 2, 3, 1] } });
}

/**
 * tfjs `Conv2D` (NHWC input, filter [kh, kw, in, out]) as ONNX `Conv` (NCHW, weight [out, in, kh,
 * kw]); a constant filter's transpose is folded by ONNX Runtime at load. tfjs `AvgPool` as
 * `AveragePool` (padding excluded from the mean, as tfjs).
 */
export const convolutionConverters: Record<string, KernelConverter> = {
  Conv2D: (context) => {
    const [kh, kw, cin, cout] = context.inputShape('filter');
    const [weight] = context.builder.node('Transpose', [context.input('filter')], {
      attributes: { perm: { ints: [3, 2, 0, 1] } },
      meta: [{ dtype: 'float32', shape: [cout as Dim, cin as Dim, kh as Dim, kw as Dim] }],
    });
    return channelsFirst(context, 'Conv', [context.input('x'), weight as string], {
      kernel_shape: { ints: [kh as number, kw as number] },
      strides: { ints: pair(context, 'strides') },
      dilations: { ints: pair(context, 'dilations') },
      ...padding(context),
    });
  },
  AvgPool: (context) =>
    channelsFirst(context, 'AveragePool', [context.input('x')], {
      kernel_shape: { ints: pair(context, 'filterSize') },
      strides: { ints: pair(context, 'strides') },
      count_include_pad: { int: 0 },
      ...padding(context),
    }),
};
