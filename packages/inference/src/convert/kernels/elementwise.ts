import type { KernelContext, KernelConverter } from '../kernel-context';
import { numberAttr, onnxDtype } from '../kernel-context';

const unary = (opType: string): KernelConverter => (context) => context.emit(opType, [context.input('x')]);
const binary = (opType: string): KernelConverter => (context) => context.emit(opType, [context.input('a'), context.input('b')]);

function scalarLike(context: KernelContext, key: string, value: number): string {
  return context.builder.scalar(onnxDtype(context.inputDtype(key)), value);
}

/** tfjs element-wise kernels: the same names or short compositions in ONNX (numpy broadcasting in both). */
export const elementwiseConverters: Record<string, KernelConverter> = {
  Abs: unary('Abs'),
  Neg: unary('Neg'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Sqrt: unary('Sqrt'),
  Erf: unary('Erf'),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Sign: unary('Sign'),
  Floor: unary('Floor'),
  Ceil: unary('Ceil'),
  Round: unary('Round'),
  Reciprocal: unary('Reciprocal'),
  Relu: unary('Relu'),
  Sin: unary('Sin'),
  Cos: unary('Cos'),
  Softplus: unary('Softplus'),
  Elu: unary('Elu'),
  LogicalNot: unary('Not'),
  IsNan: unary('IsNaN'),
  Identity: unary('Identity'),
  Rsqrt: (context) => {
    const [root] = context.builder.node('Sqrt', [context.input('x')], { meta: [context.outputMeta()] });
    return context.emit('Reciprocal', [root as string]);
  },
  Square: (context) => context.emit('Mul', [context.input('x'), context.input('x')]),
  Relu6: (context) => context.emit('Clip', [context.input('x'), scalarLike(context, 'x', 0), scalarLike(context, 'x', 6)]),
  LeakyRelu: (context) => context.emit('LeakyRelu', [context.input('x')], { alpha: { float: numberAttr(context, 'alpha') } }),
  ClipByValue: (context) =>
    context.emit('Clip', [
      context.input('x'),
      scalarLike(context, 'x', numberAttr(context, 'clipValueMin')),
      scalarLike(context, 'x', numberAttr(context, 'clipValueMax')),
    ]),
  Add: binary('Add'),
  Sub: binary('Sub'),
  Multiply: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  Prelu: (context) => context.emit('PRelu', [context.input('x'), context.input('alpha')]),
  SquaredDifference: (context) => {
    const [difference] = context.builder.node('Sub', [context.input('a'), context.input('b')], { meta: [context.outputMeta()] });
    return context.emit('Mul', [difference as string, difference as string]);
  },
  Equal: binary('Equal'),
  Greater: binary('Greater'),
  GreaterEqual: binary('GreaterOrEqual'),
  Less: binary('Less'),
  LessEqual: binary('LessOrEqual'),
  NotEqual: (context) => {
    const [equal] = context.builder.node('Equal', [context.input('a'), context.input('b')], { meta: [context.outputMeta()] });
    return context.emit('Not', [equal as string]);
  },
  LogicalAnd: binary('And'),
  LogicalOr: binary('Or'),
  AddN: (context) => context.emit('Sum', context.inputList()),
  Select: (context) => context.emit('Where', [context.input('condition'), context.input('t'), context.input('e')]),
};
