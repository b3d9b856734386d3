import type { KernelContext, KernelConverter } from '../kernel-context';
import { booleanAttr } from '../kernel-context';

/** Swap the last two axes of input `key` (a constant weight's transpose is folded by ONNX Runtime at load). */
function transposedLastTwo(context: KernelContext, key: string): string {
  const shape = context.inputShape(key);
  const rank = shape.length;
  const perm = Array.from({ length: rank }, (_, i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));
  const swapped = [...shape];
  [swapped[rank - 2], swapped[rank - 1]] = [shape[rank - 1] as number, shape[rank - 2] as number];
  const [out] = context.builder.node('Transpose', [context.input(key)], {
    attributes: { perm: { ints: perm } },
    meta: [{ dtype: 'float32', shape: swapped }],
  });
  return out as string;
}

function matMulOperands(context: KernelContext): [string, string] {
  const a = booleanAttr(context, 'transposeA') ? transposedLastTwo(context, 'a') : context.input('a');
  const b = booleanAttr(context, 'transposeB') ? transposedLastTwo(context, 'b') : context.input('b');
  return [a, b];
}

/** tfjs `BatchMatMul` (numpy broadcasting over leading axes, as ONNX MatMul) and `_FusedMatMul`. */
export const matMulConverters: Record<string, KernelConverter> = {
  BatchMatMul: (context) => context.emit('MatMul', matMulOperands(context)),
  _FusedMatMul: (context) => {
    const activation = context.kernel.attrs.activation ?? 'linear';
    const hasBias = context.kernel.inputs.some((input) => input.key === 'bias');
    if (context.kernel.inputs.some((input) => input.key === 'preluActivationWeights')) throw context.fail('prelu activation is not supported');
    const meta = [context.outputMeta()];
    let [out] = context.builder.node('MatMul', matMulOperands(context), { meta });
    if (hasBias) [out] = context.builder.node('Add', [out as string, context.input('bias')], { meta });
    switch (activation) {
      case 'linear': return context.emit('Identity', [out as string]);
      case 'relu': return context.emit('Relu', [out as string]);
      case 'sigmoid': return context.emit('Sigmoid', [out as string]);
      case 'elu': return context.emit('Elu', [out as string]);
      default: throw context.fail(`fused activation '${String(activation)}' is not supported`);
    }
  },
};
