import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../runtime/init-backend';
import { Linear } from '../nn/linear';
import { Module } from './module';
import { ModuleBuffer } from './module-buffer';
import { StateDictError } from './state-dict-error';

/** A module with PyTorch's layout of a BatchNorm-like layer: parameters, then buffers, then a child. */
function normLike(): Module {
  const root = new Module();
  const norm = root.register('bn', new Module());
  norm.register('running_mean', new ModuleBuffer(tf.zeros([2])));
  norm.register('weight', new Linear(2, 2, { bias: false }).weight);
  norm.register('num_batches_tracked', new ModuleBuffer(tf.scalar(0, 'int32')));
  root.register('head', new Linear(2, 1));
  return root;
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('module buffers', () => {
  it('are in the state dict in PyTorch order (a module’s parameters, its buffers, its children), not among the parameters', () => {
    const root = normLike();
    expect([...root.stateDict().keys()]).toEqual(['bn.weight', 'bn.running_mean', 'bn.num_batches_tracked', 'head.weight', 'head.bias']);
    expect(root.namedParameters().map(([name]) => name)).toEqual(['bn.weight', 'head.weight', 'head.bias']);
    expect(root.namedBuffers().map(([name]) => name)).toEqual(['bn.running_mean', 'bn.num_batches_tracked']);
    expect(root.countParameters()).toEqual({ total: 4 + 2 + 1, trainable: 7 });
    expect(root.freeze()).toBe(3);
    expect(root.buffer('bn.num_batches_tracked').dtype).toBe('int32');
    expect(() => root.buffer('bn.weight')).toThrow(/no buffer named 'bn.weight'/);
  });

  it('are selected by a name filter, never by a parameter predicate', () => {
    const root = normLike();
    expect([...root.stateDict('bn').keys()]).toEqual(['bn.weight', 'bn.running_mean', 'bn.num_batches_tracked']);
    expect([...root.stateDict(/running/).keys()]).toEqual(['bn.running_mean']);
    expect([...root.stateDict(() => true).keys()]).toEqual(['bn.weight', 'head.weight', 'head.bias']);
  });

  it('load strictly by name with the parameters, cast to their dtype (int64 counters arrive as int32 or float)', () => {
    const root = normLike();
    const dict = new Map([...root.stateDict()].map(([name, tensor]) => [name, tf.clone(tensor)]));
    dict.set('bn.running_mean', tf.tensor1d([0.5, -1]));
    dict.set('bn.num_batches_tracked', tf.scalar(7));
    root.loadStateDict(dict);
    expect(Array.from(root.buffer('bn.running_mean').value.dataSync())).toEqual([0.5, -1]);
    expect(root.buffer('bn.num_batches_tracked').value.dtype).toBe('int32');
    expect(root.buffer('bn.num_batches_tracked').value.dataSync()[0]).toBe(7);
    dict.delete('bn.running_mean');
    expect(() => root.loadStateDict(dict)).toThrow(StateDictError);
    expect(() => root.loadStateDict(dict)).toThrow(/missing 1: bn\.running_mean/);
    dict.set('bn.running_mean', tf.zeros([3]));
    expect(() => root.loadStateDict(dict)).toThrow(/bn\.running_mean expected \[2\] got \[3\]/);
  });

  it('are replaced, removed and disposed with the tree', () => {
    const root = normLike();
    const buffer = root.buffer('bn.running_mean');
    expect(() => buffer.assign(tf.zeros([3]))).toThrow(/buffer of shape \[2\]/);
    const before = tf.memory().numTensors;
    const norm = root.get('bn') as Module;
    expect(norm.unregister('running_mean')).toBe(buffer);
    expect(norm.child('running_mean')).toBeUndefined();
    buffer.dispose();
    root.dispose();
    expect(tf.memory().numTensors).toBe(before - 5);
  });
});
