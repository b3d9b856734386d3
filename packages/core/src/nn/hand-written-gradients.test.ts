import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Parameter } from '../module/parameter';
import { SeededRandom } from '../random/seeded-random';
import { useBackend } from '../runtime/init-backend';
import { PORTABLE_RUNTIMES } from '../testing/backends';
import { expectAllClose } from '../testing/close';
import { gelu, quickGelu } from './activations';
import { LayerNorm } from './layer-norm';
import { linear } from './linear';
import { causalMask } from './multihead-attention';
import { packedSelfAttention } from './packed-self-attention';
import { residualAdd } from './residual-add';

// The layers below differentiate by hand to keep less for the backward pass. Each is checked
// against tfjs's automatic differentiation of the same formula written with plain ops.

const TOLERANCE = { atol: 2e-5, rtol: 1e-4 };

/** Gradients of Σ f(inputs) ⊙ c w.r.t. every input, for a fixed random cotangent c. */
function gradientsOf(f: (...inputs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], cotangent: tf.Tensor): tf.Tensor[] {
  return tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), cotangent)))(inputs);
}

function expectSameGradients(actual: tf.Tensor[], expected: tf.Tensor[], label: string): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((gradient, i) => expectAllClose(gradient, (expected[i] as tf.Tensor).dataSync(), TOLERANCE, `${label}, input ${i}`));
}

describe.each(PORTABLE_RUNTIMES)('hand-written gradients on $label', ({ backend, products }) => {
  const rng = new SeededRandom('hand-written-gradients');
  const normal = (shape: number[], std = 1): tf.Tensor => tf.tensor(rng.fillNormal(shape.reduce((a, b) => a * b, 1), 0, std), shape);
  beforeAll(async () => {
    await useBackend(backend, { products });
  });

  it('linear: input, weight and bias gradients, frozen or trainable, 3-D input and a 4-D kernel', () => {
    for (const [trainWeight, trainBias] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      const x = normal([2, 3, 12]);
      const weightValues = normal([4, 3, 2, 2]);
      const biasValues = normal([4]);
      const weight = new Parameter(tf.clone(weightValues), { trainable: trainWeight });
      const bias = new Parameter(tf.clone(biasValues), { trainable: trainBias });
      const cotangent = normal([2, 3, 4]);
      const reference = (input: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.reshape(tf.add(tf.matMul(tf.reshape(input, [6, 12]), tf.reshape(w, [4, 12]), false, true), b), [2, 3, 4]);
      const expected = gradientsOf(reference, [x, weightValues, biasValues], cotangent);
      const gradient = (f: () => tf.Scalar, variables: tf.Variable[]): tf.NamedTensorMap => tf.variableGrads(f, variables).grads;
      const xVariable = tf.variable(x);
      const variables = [xVariable, ...(trainWeight ? [weight.variable] : []), ...(trainBias ? [bias.variable] : [])];
      const grads = gradient(() => tf.sum(tf.mul(linear(xVariable, weight, bias), cotangent)) as tf.Scalar, variables);
      const label = `weight ${trainWeight ? 'trains' : 'frozen'}, bias ${trainBias ? 'trains' : 'frozen'}`;
      expectAllClose(grads[xVariable.name] as tf.Tensor, (expected[0] as tf.Tensor).dataSync(), TOLERANCE, `${label}: dx`);
      if (trainWeight) expectAllClose(grads[weight.variable.name] as tf.Tensor, (expected[1] as tf.Tensor).dataSync(), TOLERANCE, `${label}: dW`);
      if (trainBias) expectAllClose(grads[bias.variable.name] as tf.Tensor, (expected[2] as tf.Tensor).dataSync(), TOLERANCE, `${label}: db`);
      tf.dispose([x, weightValues, biasValues, cotangent, xVariable, ...expected]);
      weight.dispose();
      bias.dispose();
    }
  });

  it('linear with a plain tensor weight differentiates w.r.t. it', () => {
    const x = normal([5, 3]);
    const w = normal([2, 3]);
    const cotangent = normal([5, 2]);
    const actual = gradientsOf((input, weight) => linear(input, weight), [x, w], cotangent);
    const expected = gradientsOf((input, weight) => tf.matMul(input, weight, false, true), [x, w], cotangent);
    expectSameGradients(actual, expected, 'tensor weight');
  });

  it('LayerNorm: input gradient with a frozen affine, and the affine gradients when it trains', () => {
    for (const trainable of [false, true]) {
      const norm = new LayerNorm(8, { eps: 1e-5 });
      norm.weight.assign(normal([8], 0.5));
      norm.bias.assign(normal([8], 0.5));
      norm.weight.trainable = trainable;
      norm.bias.trainable = trainable;
      const x = tf.variable(normal([2, 5, 8], 3));
      const cotangent = normal([2, 5, 8]);
      const reference = (input: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor => {
        const mean = tf.mean(input, -1, true);
        const variance = tf.mean(tf.square(tf.sub(input, mean)), -1, true);
        return tf.add(tf.mul(tf.div(tf.sub(input, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
      };
      const expected = gradientsOf(reference, [x, norm.weight.value, norm.bias.value], cotangent);
      const variables = [x, ...(trainable ? [norm.weight.variable, norm.bias.variable] : [])];
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(norm.forward(x), cotangent)) as tf.Scalar, variables);
      expectAllClose(grads[x.name] as tf.Tensor, (expected[0] as tf.Tensor).dataSync(), TOLERANCE, `trainable ${trainable}: dx`);
      if (trainable) {
        expectAllClose(grads[norm.weight.variable.name] as tf.Tensor, (expected[1] as tf.Tensor).dataSync(), TOLERANCE, 'dγ');
        expectAllClose(grads[norm.bias.variable.name] as tf.Tensor, (expected[2] as tf.Tensor).dataSync(), TOLERANCE, 'dβ');
      }
      expectAllClose(norm.forward(x), reference(x, norm.weight.value, norm.bias.value).dataSync(), TOLERANCE, 'value');
    }
  });

  it('gelu and quickGelu', () => {
    const x = normal([4, 9], 2);
    const cotangent = normal([4, 9]);
    const referenceGelu = (input: tf.Tensor): tf.Tensor => tf.mul(tf.mul(0.5, input), tf.add(1, tf.erf(tf.mul(input, Math.SQRT1_2))));
    const referenceQuick = (input: tf.Tensor): tf.Tensor => tf.mul(input, tf.sigmoid(tf.mul(1.702, input)));
    expectSameGradients(gradientsOf(gelu, [x], cotangent), gradientsOf(referenceGelu, [x], cotangent), 'gelu');
    expectSameGradients(gradientsOf(quickGelu, [x], cotangent), gradientsOf(referenceQuick, [x], cotangent), 'quickGelu');
  });

  it('packed self-attention, with and without a causal mask', () => {
    const [batch, tokens, width, heads] = [2, 5, 12, 3];
    const packed = normal([batch, tokens, 3 * width]);
    const cotangent = normal([batch, tokens, width]);
    for (const mask of [undefined, causalMask(tokens)]) {
      const reference = (input: tf.Tensor): tf.Tensor => {
        const [q, k, v] = tf.split(input, 3, 2).map((t) => tf.transpose(tf.reshape(t, [batch, tokens, heads, width / heads]), [0, 2, 1, 3])) as [tf.Tensor, tf.Tensor, tf.Tensor];
        let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(width / heads));
        if (mask) scores = tf.add(scores, mask);
        return tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [batch, tokens, width]);
      };
      const label = mask ? 'causal' : 'unmasked';
      expectAllClose(packedSelfAttention(packed, heads, mask), reference(packed).dataSync(), TOLERANCE, `${label} value`);
      expectSameGradients(gradientsOf((input) => packedSelfAttention(input, heads, mask), [packed], cotangent), gradientsOf(reference, [packed], cotangent), label);
    }
    // A mask made inside the forward pass is freed when it ends; the backward, which recomputes the weights, still reads it.
    const causal = causalMask(tokens);
    expectSameGradients(
      gradientsOf((input) => packedSelfAttention(input, heads, causalMask(tokens)), [packed], cotangent),
      gradientsOf((input) => packedSelfAttention(input, heads, causal), [packed], cotangent),
      'temporary mask',
    );
  });

  it('residualAdd passes the gradient to both terms and rejects broadcasting', () => {
    const a = normal([3, 4]);
    const b = normal([3, 4]);
    const cotangent = normal([3, 4]);
    const [da, db] = gradientsOf(residualAdd, [a, b], cotangent) as [tf.Tensor, tf.Tensor];
    expect(Array.from(da.dataSync())).toEqual(Array.from(cotangent.dataSync()));
    expect(Array.from(db.dataSync())).toEqual(Array.from(cotangent.dataSync()));
    expect(() => residualAdd(a, normal([4]))).toThrow(/shapes \[3,4\] and \[4\] differ/);
  });

  it('keeps only what the backward pass needs: a frozen stack saves nothing but q, kᵀ and v of the attention', () => {
    const norm = new LayerNorm(6);
    norm.weight.trainable = false;
    norm.bias.trainable = false;
    const weight = new Parameter(normal([18, 6]), { trainable: false });
    const x = tf.variable(normal([2, 4, 6]));
    const engine = tf.engine() as unknown as { state: { activeTape: Array<{ saved?: tf.Tensor[] }> | null } };
    let savedShapes: number[][] = [];
    tf.variableGrads(() => {
      const y = packedSelfAttention(linear(norm.forward(x), weight), 2);
      savedShapes = (engine.state.activeTape ?? []).flatMap((node) => (node.saved ?? []).map((t) => t.shape));
      return tf.sum(y) as tf.Scalar;
    }, [x]);
    // LayerNorm: x̂ and 1/σ; linear (frozen): nothing; attention: q, kᵀ, v (the weights are recomputed), and the mask when there is one.
    expect(savedShapes).toEqual([[2, 4, 6], [2, 4, 1], [2, 2, 4, 3], [2, 2, 3, 4], [2, 2, 4, 3]]);
    tf.variableGrads(() => {
      const y = packedSelfAttention(linear(norm.forward(x), weight), 2, causalMask(4));
      savedShapes = (engine.state.activeTape ?? []).flatMap((node) => (node.saved ?? []).map((t) => t.shape));
      return tf.sum(y) as tf.Scalar;
    }, [x]);
    expect(savedShapes.slice(2)).toEqual([[2, 2, 4, 3], [2, 2, 3, 4], [2, 2, 4, 3], [4, 4]]);
  });
});
