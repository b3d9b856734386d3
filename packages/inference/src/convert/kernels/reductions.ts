import type { KernelContext, KernelConverter } from '../kernel-context';
import { booleanAttr, numberAttr } from '../kernel-context';

function reduce(opType: string): KernelConverter {
  return (context: KernelContext) => {
    // tfjs names the axes `reductionIndices` for Max, `axis` elsewhere.
    const axis = context.kernel.attrs.axis ?? context.kernel.attrs.reductionIndices;
    const keepdims = { int: booleanAttr(context, 'keepDims') ? 1 : 0 };
    const rank = context.inputShape('x').length;
    // A missing axis reduces every axis.
    const axes = axis === undefined || axis === null ? Array.from({ length: rank }, (_, i) => i) : Array.isArray(axis) ? axis : [axis];
    if (!axes.every((entry) => typeof entry === 'number')) throw context.fail(`axis ${JSON.stringify(axis)} is not fixed`);
    return context.emit(opType, [context.input('x'), context.builder.int64s(axes as number[])], { keepdims });
  };
}

/** tfjs reductions (opset ≥ 18 takes the axes as an input) and softmax. */
export const reductionConverters: Record<string, KernelConverter> = {
  Mean: reduce('ReduceMean'),
  Sum: reduce('ReduceSum'),
  Max: reduce('ReduceMax'),
  Min: reduce('ReduceMin'),
  Prod: reduce('ReduceProd'),
  Softmax: (context) => context.emit('Softmax', [context.input('logits')], { axis: { int: numberAttr(context, 'dim') } }),
  ArgMax: (context) => {
    const [indices] = context.builder.node('ArgMax', [context.input('x')], {
      attributes: { axis: { int: numberAttr(context, 'axis') }, keepdims: { int: 0 } },
      meta: [{ dtype: 'int64', shape: context.outputMeta().shape }],
    });
    return context.emit('Cast', [indices as string], { to: { int: 6 } });
  },
};
