import * as tf from '@tensorflow/tfjs-core';
import { elementCount } from '../io/host-tensor';
import type { SeededRandom } from './seeded-random';

/** Tensor with values uniform in [low, high), drawn from `rng` (identical on every backend). */
export function uniformTensor(shape: number[], rng: SeededRandom, low: number, high: number): tf.Tensor {
  return tf.tensor(rng.fillUniform(elementCount(shape), low, high), shape, 'float32');
}

/** Tensor with normal values N(mean, std²), drawn from `rng`. */
export function normalTensor(shape: number[], rng: SeededRandom, std = 1, mean = 0): tf.Tensor {
  return tf.tensor(rng.fillNormal(elementCount(shape), mean, std), shape, 'float32');
}

/** PyTorch's default `nn.Linear` initialisation: U(−1/√fanIn, 1/√fanIn) for weight and bias. */
export function linearDefaultBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}

/** Xavier/Glorot uniform bound for a [fanOut, fanIn] matrix, as `nn.init.xavier_uniform_`. */
export function xavierUniformBound(fanIn: number, fanOut: number): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}
