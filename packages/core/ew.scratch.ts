import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from './src/runtime/init-backend';
import { quickGelu } from './src/nn/activations';
import { encodeOnnxModel, ONNX_DATA_TYPES } from './src/onnx/onnx-model';
import { loadOnnxRuntimeBinding } from './src/runtime/onnxruntime-products/onnxruntime-binding';
import { wasmInternals } from './src/runtime/wasm-overrides/wasm-internals';
await useBackend('wasm', { products: 'onnxruntime' });
const time = (label: string, f: () => void, reps = 10) => { f(); const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); console.log(label, ((performance.now() - t0) / reps).toFixed(2), 'ms'); };
const x = tf.randomNormal([1600, 3072]);
const dy = tf.randomNormal([1600, 3072]);
time('tfjs mul', () => tf.mul(x, dy).dispose());
time('tfjs sigmoid', () => tf.sigmoid(x).dispose());
time('tfjs quickGelu fwd', () => tf.tidy(() => { quickGelu(x); }));
time('tfjs quickGelu fwd+bwd', () => tf.tidy(() => { tf.grad((a: tf.Tensor) => tf.mul(quickGelu(a), dy) as tf.Tensor)(x); }), 5);
const any = (name: string) => ({ name, type: { tensorType: { elemType: ONNX_DATA_TYPES.float32 } } });
const b = loadOnnxRuntimeBinding();
const mk = (nodes: any[], inputs: string[], outputs: string[]) => { const m = encodeOnnxModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }], producerName: 'x', producerVersion: '1', graph: { name: 'g', node: nodes, initializer: [], input: inputs.map(any), output: outputs.map(any) } }); const s = new b.InferenceSession(); s.loadModel(m.buffer, m.byteOffset, m.byteLength, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', enableCpuMemArena: false, enableMemPattern: false, logSeverityLevel: 3, extra: { session: { intra_op: { allow_spinning: '0' } } } }); return s; };
const fwd = mk([{ name: 'q', opType: 'QuickGelu', domain: 'com.microsoft', input: ['x'], output: ['y'], attribute: [{ name: 'alpha', type: 1, f: 1.702 }] }], ['x'], ['y']);
const f32 = (t: tf.Tensor) => wasmInternals(tf.backend()).typedArrayFromHeap(t) as Float32Array;
const out = tf.zeros([1600, 3072]);
time('ort QuickGelu fwd', () => fwd.run({ x: new b.Tensor('float32', f32(x), [1600, 3072]) }, { y: new b.Tensor('float32', f32(out), [1600, 3072]) }, {}));
// bwd: dx = dy * (s + a x s (1-s))
const bwd = mk([
  { name: 'ax', opType: 'Mul', input: ['x', 'alpha'], output: ['ax'] },
  { name: 's', opType: 'Sigmoid', input: ['ax'], output: ['s'] },
  { name: 'oms', opType: 'Sub', input: ['one', 's'], output: ['oms'] },
  { name: 'p', opType: 'Mul', input: ['ax', 'oms'], output: ['p'] },
  { name: 'p1', opType: 'Add', input: ['p', 'one'], output: ['p1'] },
  { name: 'q', opType: 'Mul', input: ['s', 'p1'], output: ['q'] },
  { name: 'r', opType: 'Mul', input: ['q', 'dy'], output: ['dx'] },
], ['x', 'dy', 'alpha', 'one'], ['dx']);
const alpha = new Float32Array([1.702]); const one = new Float32Array([1]);
time('ort QuickGelu bwd graph', () => bwd.run({ x: new b.Tensor('float32', f32(x), [1600, 3072]), dy: new b.Tensor('float32', f32(dy), [1600, 3072]), alpha: new b.Tensor('float32', alpha, [1]), one: new b.Tensor('float32', one, [1]) }, { dx: new b.Tensor('float32', f32(out), [1600, 3072]) }, {}));
// JS loop
const xs = f32(x); const dys = f32(dy); const o = f32(out);
time('js loop bwd', () => { for (let i = 0; i < xs.length; i++) { const v = xs[i]!; const s = 1 / (1 + Math.exp(-1.702 * v)); o[i] = dys[i]! * s * (1 + 1.702 * v * (1 - s)); } });
