import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { traceKernels, type KernelTrace } from './kernel-trace';
import { TraceMismatchError, unifyTraces } from './symbolic-trace';

function trace(fn: (x: tf.Tensor) => tf.Tensor, batch: number, parameters = new Map<number, string>()): KernelTrace {
  const x = tf.ones([batch, 3]);
  const { trace: out, output } = traceKernels(([t]) => fn(t as tf.Tensor), [x], parameters);
  tf.dispose([x, output]);
  return out;
}

describe('traceKernels and unifyTraces', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('records each kernel once with where its inputs come from', () => {
    const w = tf.variable(tf.ones([3, 2]));
    const recorded = trace((x) => tf.add(tf.matMul(x, w), 0.5), 2, new Map([[w.id, 'layer.weight']]));
    expect(recorded.kernels.map((k) => k.kernel)).toEqual(['BatchMatMul', 'Add']);
    expect(recorded.kernels[0]?.inputs.map((i) => i.ref.kind)).toEqual(['input', 'parameter']);
    expect(recorded.kernels[0]?.inputs[1]?.ref).toMatchObject({ kind: 'parameter', name: 'layer.weight' });
    expect(recorded.kernels[1]?.inputs[1]?.ref).toMatchObject({ kind: 'constant', shape: [], values: Float32Array.from([0.5]) });
    expect(recorded.output).toEqual({ kind: 'node', node: 1, output: 0 });
    w.dispose();
  });

  it('leaves the engine as it was, also when the function throws', () => {
    const engine = tf.engine() as unknown as Record<string, unknown>;
    const before = engine.runKernelFunc;
    expect(() => trace(() => {
      throw new Error('boom');
    }, 2)).toThrow('boom');
    expect(engine.runKernelFunc).toBe(before);
    expect(Object.prototype.hasOwnProperty.call(engine, 'runKernelFunc')).toBe(false);
  });

  it('expresses numbers that grow with the batch as multiples of it', () => {
    const fn = (x: tf.Tensor): tf.Tensor => tf.reshape(tf.tile(x, [1, 2]), [(x.shape[0] as number) * 3, 2]);
    const merged = unifyTraces(trace(fn, 2), trace(fn, 5), [2, 5]);
    expect(merged.inputs[0]?.shape).toEqual([{ batch: 1 }, 3]);
    const reshape = merged.kernels.find((k) => k.kernel === 'Reshape');
    expect(reshape?.attrs.shape).toEqual([{ batch: 3 }, 2]);
    expect(merged.outputShape).toEqual([{ batch: 3 }, 2]);
  });

  it('folds kernels of constants that agree at both batch sizes', () => {
    const fn = (x: tf.Tensor): tf.Tensor => tf.add(x, tf.reshape(tf.range(0, 3, 1, 'float32'), [1, 3]));
    const merged = unifyTraces(trace(fn, 2), trace(fn, 3), [2, 3]);
    const add = merged.kernels.find((k) => k.kernel === 'Add');
    expect(merged.kernels.filter((k) => k.folded).map((k) => k.kernel)).toEqual(['Range', 'Reshape']);
    expect(add?.inputs[1]?.ref).toMatchObject({ kind: 'constant', shape: [1, 3], values: Float32Array.from([0, 1, 2]) });
  });

  it('refuses traces that ran different kernels', () => {
    const a = trace((x) => tf.neg(x), 2);
    const b = trace((x) => tf.abs(x), 3);
    expect(() => unifyTraces(a, b, [2, 3])).toThrow(TraceMismatchError);
    expect(() => unifyTraces(a, b, [2, 3])).toThrow('kernel #0 (Neg): ran Abs at batch 3 instead');
  });
});
