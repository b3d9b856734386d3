import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../runtime/init-backend';
import { Parameter } from '../module/parameter';
import { SeededRandom } from '../random/seeded-random';
import { expectAllClose } from '../testing/close';
import { AdamW } from './adamw';
import { LinearSchedule } from './linear-schedule';
import { clipGradientNorm, globalGradientNorm } from './clip-gradient-norm';

/** Hugging Face legacy AdamW in double precision, one parameter, written from its definition. */
function referenceAdamW(initial: number[], grads: number[][], lrs: number[], o: { b1: number; b2: number; eps: number; wd: number; decay: boolean }): number[] {
  const p = [...initial];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, index) => {
    const t = index + 1;
    const lr = lrs[index] as number;
    const stepSize = (lr * Math.sqrt(1 - o.b2 ** t)) / (1 - o.b1 ** t);
    for (let i = 0; i < p.length; i++) {
      m[i] = o.b1 * m[i]! + (1 - o.b1) * g[i]!;
      v[i] = o.b2 * v[i]! + (1 - o.b2) * g[i]! * g[i]!;
      p[i] = p[i]! - (stepSize * m[i]!) / (Math.sqrt(v[i]!) + o.eps);
      if (o.decay) p[i] = p[i]! - lr * o.wd * p[i]!;
    }
  });
  return p;
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('LinearSchedule', () => {
  it('reproduces the golden fixture schedule (T = 15, warm-up fraction 0.1 → w = 1)', () => {
    const schedule = new LinearSchedule({ totalSteps: 15, warmupFraction: 0.1 });
    expect(schedule.warmupSteps).toBe(1);
    expect([0, 1, 2].map((k) => 0.01 * schedule.factor(k))).toEqual([0, 0.01, 0.01 * (13 / 14)]);
    expect(schedule.factor(15)).toBe(0);
  });

  it('truncates the warm-up length and warms up linearly', () => {
    const schedule = new LinearSchedule({ totalSteps: 1000, warmupFraction: 0.1 });
    expect(schedule.warmupSteps).toBe(100);
    expect(schedule.factor(50)).toBe(0.5);
    expect(schedule.factor(100)).toBe(1);
    expect(schedule.factor(550)).toBe(0.5);
    expect(new LinearSchedule({ totalSteps: 19 }).warmupSteps).toBe(1);
    expect(() => new LinearSchedule({ totalSteps: 0 })).toThrow(/positive integer/);
  });
});

describe('AdamW (legacy Hugging Face semantics)', () => {
  const options = { b1: 0.9, b2: 0.98, eps: 1e-3, wd: 0.5 };
  const schedule = new LinearSchedule({ totalSteps: 15, warmupFraction: 0.1 });
  const lrs = [0, 1, 2, 3].map((k) => 0.01 * schedule.factor(k));
  const rng = new SeededRandom(2);
  const weight0 = Array.from(rng.fillNormal(6));
  const bias0 = Array.from(rng.fillNormal(3));
  const grads = [0, 1, 2, 3].map(() => ({ weight: Array.from(rng.fillNormal(6)), bias: Array.from(rng.fillNormal(3)) }));

  function run(steps: number[]): { weight: Parameter; bias: Parameter; optimiser: AdamW } {
    const weight = new Parameter(tf.tensor(weight0, [2, 3]));
    const bias = new Parameter(tf.tensor(bias0));
    const optimiser = new AdamW([['layer.weight', weight], ['layer.bias', bias]], { lr: 0.01, betas: [0.9, 0.98], eps: 1e-3, weightDecay: 0.5 });
    for (const k of steps) {
      optimiser.step(new Map([['layer.weight', tf.tensor(grads[k]!.weight, [2, 3])], ['layer.bias', tf.tensor(grads[k]!.bias)]]), { lr: lrs[k] });
    }
    return { weight, bias, optimiser };
  }

  it('matches a double-precision reference over four scheduled steps, decaying weights but not biases', () => {
    const { weight, bias } = run([0, 1, 2, 3]);
    expectAllClose(weight.value, referenceAdamW(weight0, grads.map((g) => g.weight), lrs, { ...options, decay: true }), { atol: 1e-6 });
    expectAllClose(bias.value, referenceAdamW(bias0, grads.map((g) => g.bias), lrs, { ...options, decay: false }), { atol: 1e-6 });
  });

  it('the first step runs at lr 0 yet advances the moments', () => {
    const { weight, optimiser } = run([0]);
    expect(Array.from(weight.value.dataSync())).toEqual(Array.from(Float32Array.from(weight0)));
    expect(optimiser.stepCount).toBe(1);
    const { m } = optimiser.state().moments.get('layer.weight')!;
    expectAllClose(m, grads[0]!.weight.map((g) => 0.1 * g), { atol: 1e-7 });
  });

  it('resumes from a saved state to the same parameters as an uninterrupted run', () => {
    const straight = run([0, 1, 2, 3]);
    const first = run([0, 1]);
    const saved = first.optimiser.state();
    const resumedWeight = new Parameter(tf.clone(first.weight.value));
    const resumedBias = new Parameter(tf.clone(first.bias.value));
    const resumed = new AdamW([['layer.weight', resumedWeight], ['layer.bias', resumedBias]], { lr: 0.01, betas: [0.9, 0.98], eps: 1e-3, weightDecay: 0.5 });
    resumed.loadState(saved);
    for (const k of [2, 3]) {
      resumed.step(new Map([['layer.weight', tf.tensor(grads[k]!.weight, [2, 3])], ['layer.bias', tf.tensor(grads[k]!.bias)]]), { lr: lrs[k] });
    }
    expect(Array.from(resumedWeight.value.dataSync())).toEqual(Array.from(straight.weight.value.dataSync()));
    expect(Array.from(resumedBias.value.dataSync())).toEqual(Array.from(straight.bias.value.dataSync()));
  });

  it('leaves a parameter without gradient untouched and rejects a mismatched state', () => {
    const weight = new Parameter(tf.tensor([1, 2]));
    const other = new Parameter(tf.tensor([3]));
    const optimiser = new AdamW([['w', weight], ['gate1', other]], { lr: 0.1, weightDecay: 0.1 });
    optimiser.step(new Map([['w', tf.tensor([1, 1])]]));
    expect(Array.from(other.value.dataSync())).toEqual([3]);
    expect(optimiser.decays('gate1')).toBe(true);
    expect(optimiser.decays('mmadapter.img_proj_up.bias')).toBe(false);
    const state = optimiser.state();
    state.moments.delete('gate1');
    expect(() => optimiser.loadState(state)).toThrow("optimiser state has no moments for 'gate1'");
  });

  it('keeps the tensor count flat across steps', () => {
    const weight = new Parameter(tf.zeros([4, 4]));
    const optimiser = new AdamW([['w', weight]], { lr: 0.1, weightDecay: 0.1 });
    const gradient = tf.ones([4, 4]);
    optimiser.step(new Map([['w', gradient]]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) optimiser.step(new Map([['w', gradient]]));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('clipGradientNorm', () => {
  it('scales to the maximum norm like torch.nn.utils.clip_grad_norm_', () => {
    const { gradients, norm } = clipGradientNorm(new Map([['a', tf.tensor([3, 0])], ['b', tf.tensor([4])]]), 1);
    expect(norm).toBeCloseTo(5, 6);
    expectAllClose(gradients.get('a')!, [3 / (5 + 1e-6), 0], { atol: 1e-7 });
    const untouched = clipGradientNorm(new Map([['a', tf.tensor([0.3])]]), 1).gradients.get('a')!;
    expect(untouched.dataSync()[0]).toBeCloseTo(0.3, 7);
  });

  it('leaves only the clipped gradients behind', () => {
    const given = new Map([['a', tf.tensor([3, 0])], ['b', tf.tensor([4])]]);
    const before = tf.memory().numTensors;
    const { gradients } = clipGradientNorm(given, 1);
    expect(tf.memory().numTensors).toBe(before + gradients.size);
    expect(globalGradientNorm(given)).toBeCloseTo(5, 6);
    expect(tf.memory().numTensors).toBe(before + gradients.size);
    tf.dispose([...gradients.values(), ...given.values()]);
  });
});
