import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { createOrtRunner } from '../runtime/ort-runtime';
import { encodeOnnxModel } from '@harma/core';
import { traceKernels } from '../trace/kernel-trace';
import { TraceMismatchError, unifyTraces } from '../trace/symbolic-trace';
import { DEFAULT_FUSIONS } from './fusions';
import { traceToGraph } from './trace-to-graph';

type Fn = (x: tf.Tensor) => tf.Tensor;

/** Trace `fn` at batch sizes 2 and 3, export, and run ONNX Runtime at `batch`; returns [ort, tfjs]. */
async function exportAndRun(fn: Fn, input: (batch: number) => tf.Tensor, batch = 4, parameters = new Map<number, string>()): Promise<[Float32Array, Float32Array]> {
  const traces = [2, 3].map((b) => {
    const x = input(b);
    const { trace, output } = traceKernels(([t]) => fn(t as tf.Tensor), [x], parameters);
    tf.dispose([x, output]);
    return trace;
  });
  const graph = traceToGraph(unifyTraces(traces[0]!, traces[1]!, [2, 3]), {
    name: 'test',
    inputs: [{ name: 'x', dtype: traces[0]!.inputs[0]!.dtype === 'int32' ? 'int64' : 'float32' }],
    output: 'y',
    rewrites: DEFAULT_FUSIONS,
  });
  const model = encodeOnnxModel({ irVersion: 9, opsetImport: [{ domain: '', version: 20 }, { domain: 'com.microsoft', version: 1 }], producerName: 'test', producerVersion: '0', graph });
  const runner = await createOrtRunner(model, { threads: 1 }, 'test graph');
  try {
    const x = input(batch);
    const expected = tf.tidy(() => tf.cast(fn(x), 'float32'));
    const data = x.dtype === 'int32' ? BigInt64Array.from(x.dataSync() as Int32Array, BigInt) : (x.dataSync() as Float32Array);
    const { data: actual, dims } = await runner.run(data, x.shape);
    expect(dims).toEqual(expected.shape);
    const result: [Float32Array, Float32Array] = [actual, expected.dataSync() as Float32Array];
    tf.dispose([x, expected]);
    return result;
  } finally {
    await runner.release();
  }
}

const floats = (batch: number): tf.Tensor => tf.randomNormal([batch, 4, 6], 0, 1, 'float32', batch);

const FLOAT_CASES: Record<string, Fn> = {
  'reshape, transpose, batch matmul': (x) => {
    const w = tf.reshape(tf.linspace(-1, 1, 30), [5, 6]);
    const flat = tf.matMul(tf.reshape(x, [-1, 6]), w, false, true);
    const back = tf.reshape(flat, [x.shape[0] as number, 4, 5]);
    return tf.matMul(tf.transpose(back, [0, 2, 1]), x, false, false);
  },
  'slice, concat, split': (x) => {
    const [a, b] = tf.split(x, [2, 4], 2) as [tf.Tensor, tf.Tensor];
    const head = tf.slice(x, [0, 1, 0], [-1, 2, -1]);
    const firstRow = tf.slice(x, [0, 0, 0], [x.shape[0] as number, 1, 6]);
    return tf.concat([tf.concat([b, a], 2), head, firstRow], 1);
  },
  'reductions and softmax': (x) =>
    tf.concat(
      [tf.mean(x, -1, true), tf.sum(x, 2, true), tf.max(x, -1, true), tf.min(x, -1, true), tf.softmax(x), tf.cast(tf.expandDims(tf.argMax(x, 2), 2), 'float32')],
      2,
    ),
  'unary ops': (x) => {
    const positive = tf.add(tf.abs(x), 1);
    const ops = [
      tf.neg(x), tf.exp(x), tf.log(positive), tf.sqrt(positive), tf.rsqrt(positive), tf.erf(x), tf.sigmoid(x), tf.tanh(x), tf.sign(x),
      tf.floor(x), tf.ceil(x), tf.reciprocal(positive), tf.relu(x), tf.relu6(tf.mul(x, 4)), tf.elu(x), tf.leakyRelu(x, 0.1), tf.square(x),
      tf.softplus(x), tf.sin(x), tf.cos(x), tf.clipByValue(x, -0.5, 0.5),
    ];
    return tf.concat(ops, 2);
  },
  'binary ops and selection': (x) => {
    const y = tf.reverse(x, 2);
    const ops = [
      tf.add(x, y), tf.sub(x, y), tf.mul(x, y), tf.div(x, tf.add(tf.abs(y), 1)), tf.maximum(x, y), tf.minimum(x, y), tf.pow(tf.add(tf.abs(x), 1), 2.5),
      tf.squaredDifference(x, y), tf.where(tf.greater(x, 0), x, tf.mul(y, 2)), tf.cast(tf.equal(tf.sign(x), tf.sign(y)), 'float32'),
      tf.cast(tf.logicalAnd(tf.less(x, 0.5), tf.greaterEqual(y, -0.5)), 'float32'), tf.cast(tf.notEqual(tf.floor(x), 0), 'float32'), tf.addN([x, y, x]),
    ];
    return tf.concat(ops, 2);
  },
  'gather, pad, stack, tile, broadcast, cast': (x) => {
    const batch = x.shape[0] as number;
    const gathered = tf.gather(x, tf.tensor1d([2, 0, 3], 'int32'), 1);
    const padded = tf.slice(tf.pad(x, [[0, 0], [1, 0], [0, 2]], 0.5), [0, 0, 0], [-1, 3, 6]);
    const stacked = tf.reshape(tf.stack([x, tf.neg(x)], 1), [batch, 8, 6]);
    const squeezed = tf.squeeze(tf.expandDims(x, 1), [1]);
    const tiled = tf.tile(tf.slice(x, [0, 0, 0], [-1, 1, -1]), [1, 2, 1]);
    const broadcast = tf.broadcastTo(tf.reshape(tf.range(0, 6, 1, 'float32'), [1, 1, 6]), [batch, 2, 6]);
    const rounded = tf.cast(tf.cast(tf.mul(x, 3), 'int32'), 'float32');
    return tf.concat([gathered, padded, stacked, squeezed, tiled, broadcast, rounded], 1);
  },
  'batch-shaped fills': (x) => {
    const batch = x.shape[0] as number;
    return tf.add(tf.sum(x, [1, 2]), tf.add(tf.ones([batch]), tf.fill([batch], 2)));
  },
  'layer norm and activations (fused)': (x) => {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const normalized = tf.mul(centered, tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), 1e-5)));
    const ln = tf.add(tf.mul(normalized, tf.linspace(0.5, 1.5, 6)), tf.linspace(-0.1, 0.1, 6));
    const gelu = tf.mul(tf.mul(0.5, ln), tf.add(1, tf.erf(tf.mul(ln, Math.SQRT1_2))));
    return tf.mul(gelu, tf.sigmoid(tf.mul(1.702, gelu)));
  },
};

describe.each(PORTABLE_BACKENDS)('tfjs kernels traced on %s run the same in ONNX Runtime', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(Object.keys(FLOAT_CASES))('%s', async (name) => {
    const [actual, expected] = await exportAndRun(FLOAT_CASES[name] as Fn, floats);
    expectAllClose(actual, expected, { atol: 2e-5, rtol: 1e-5 }, name);
  });

  it('names parameters as initializers and feeds int64 ids to an int32 gather', async () => {
    const table = tf.variable(tf.randomNormal([10, 3], 0, 1, 'float32', 5));
    const ids = (batch: number): tf.Tensor => tf.tensor2d(Array.from({ length: batch * 5 }, (_, i) => (i * 7) % 10), [batch, 5], 'int32');
    const fn: Fn = (x) => tf.reshape(tf.gather(table, tf.reshape(x, [-1])), [x.shape[0] as number, 15]);
    const [actual, expected] = await exportAndRun(fn, ids, 4, new Map([[table.id, 'token_embedding.weight']]));
    expectAllClose(actual, expected, { atol: 1e-6 });
    table.dispose();
  });
});

describe('input-dependent tensors built on the host', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  afterAll(() => undefined);

  const ids = (batch: number): tf.Tensor => {
    const values = new Int32Array(batch * 5);
    for (let row = 0; row < batch; row++) {
      values[row * 5] = 7;
      values[row * 5 + 1 + (row % 4)] = 9;
    }
    return tf.tensor2d(values, [batch, 5], 'int32');
  };

  it('recomputes the end-of-text one-hot in the graph', async () => {
    const fn: Fn = (x) => {
      const [batch, columns] = x.shape as [number, number];
      const values = x.dataSync();
      const selector = new Float32Array(batch * columns);
      for (let row = 0; row < batch; row++) {
        let best = 0;
        for (let c = 1; c < columns; c++) if ((values[row * columns + c] as number) > (values[row * columns + best] as number)) best = c;
        selector[row * columns + best] = 1;
      }
      return tf.mul(tf.tensor2d(selector, [batch, columns]), tf.cast(x, 'float32'));
    };
    const [actual, expected] = await exportAndRun(fn, ids, 6);
    expectAllClose(actual, expected, { atol: 0 });
  });

  it('refuses an input-dependent tensor no recipe reproduces, naming the kernel', async () => {
    const fn: Fn = (x) => tf.add(tf.cast(x, 'float32'), tf.tensor2d(Float32Array.from(x.dataSync(), (v) => v * 2), x.shape as [number, number]));
    await expect(exportAndRun(fn, ids)).rejects.toThrow(/kernel #\d+ \(Add\) input 'b'.*changes with the input values/);
  });

  it('refuses a shape that is not a multiple of the batch size', async () => {
    const fn: Fn = (x) => tf.slice(x, [0, 0], [(x.shape[0] as number) - 1, 5]);
    await expect(exportAndRun(fn, ids)).rejects.toThrow(TraceMismatchError);
    await expect(exportAndRun(fn, ids)).rejects.toThrow(/1 at batch 2 but 2 at batch 3/);
  });
});
