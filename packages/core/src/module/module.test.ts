import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../runtime/init-backend';
import { Linear } from '../nn/linear';
import { LayerNorm } from '../nn/layer-norm';
import { Module } from './module';
import { Parameter } from './parameter';
import { StateDictError } from './state-dict-error';

class Block extends Module {
  readonly ln_1 = this.register('ln_1', new LayerNorm(4));
  readonly mlp = this.register('mlp', new Module());
  constructor() {
    super();
    this.mlp.register('c_fc', new Linear(4, 8));
    this.mlp.register('c_proj', new Linear(8, 4));
  }
}

function tower(): Module {
  const root = new Module();
  const visual = root.register('visual', new Module());
  const transformer = visual.register('transformer', new Module());
  const blocks = transformer.register('resblocks', new Module());
  blocks.register('0', new Block());
  blocks.register('1', new Block());
  root.register('temp', new Parameter(tf.scalar(0.07)));
  return root;
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('Module parameter tree', () => {
  it('names parameters by their path, like a PyTorch state_dict', () => {
    const names = tower().namedParameters().map(([name]) => name);
    expect(names).toEqual([
      'temp',
      'visual.transformer.resblocks.0.ln_1.weight',
      'visual.transformer.resblocks.0.ln_1.bias',
      'visual.transformer.resblocks.0.mlp.c_fc.weight',
      'visual.transformer.resblocks.0.mlp.c_fc.bias',
      'visual.transformer.resblocks.0.mlp.c_proj.weight',
      'visual.transformer.resblocks.0.mlp.c_proj.bias',
      'visual.transformer.resblocks.1.ln_1.weight',
      'visual.transformer.resblocks.1.ln_1.bias',
      'visual.transformer.resblocks.1.mlp.c_fc.weight',
      'visual.transformer.resblocks.1.mlp.c_fc.bias',
      'visual.transformer.resblocks.1.mlp.c_proj.weight',
      'visual.transformer.resblocks.1.mlp.c_proj.bias',
    ]);
  });

  it('counts parameters: 2 × (4 + 4 + 32 + 8 + 32 + 4) + 1', () => {
    expect(tower().countParameters()).toEqual({ total: 169, trainable: 169 });
  });

  it('lists, counts and updates a shared parameter once, but keeps every name in the state dict', () => {
    const root = new Module();
    const shared = new Linear(3, 2);
    root.register('a', shared);
    root.register('b', shared);
    const extra = root.register('c', new Module());
    extra.register('tied', shared.weight);
    expect(root.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
    expect(root.countParameters().total).toBe(8);
    expect([...root.stateDict().keys()]).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias', 'c.tied']);
    // Loading through one alias updates every alias: there is one tensor.
    root.loadStateDict({ 'b.weight': tf.fill([2, 3], 5), 'b.bias': tf.fill([2], 1) }, { strict: false });
    expect(Array.from(shared.weight.value.dataSync())).toEqual([5, 5, 5, 5, 5, 5]);
    expect(Array.from((root.get('c.tied') as Parameter).value.dataSync())).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('freezes by dotted prefix, RegExp, predicate and module', () => {
    const root = tower();
    expect(root.freeze()).toBe(13);
    expect(root.unfreeze('visual.transformer.resblocks.1.mlp')).toBe(4);
    expect(root.countParameters()).toEqual({ total: 169, trainable: 32 + 8 + 32 + 4 });
    root.freeze();
    root.unfreeze(/\.bias$/);
    expect(root.trainableParameters().map(([n]) => n).every((n) => n.endsWith('.bias'))).toBe(true);
    root.freeze();
    root.unfreeze((name) => name.includes('temp'));
    expect(root.trainableParameters().map(([n]) => n)).toEqual(['temp']);
    root.freeze();
    (root.get('visual.transformer.resblocks.0') as Module).unfreeze();
    expect(root.countParameters().trainable).toBe(84);
    // A prefix must end at a dot: 'temp' does not select 'temperature'.
    const other = new Module();
    other.register('temperature', new Parameter(tf.scalar(1)));
    expect(other.freeze('temp')).toBe(0);
  });

  it('round-trips a state dict', () => {
    const source = tower();
    source.parameter('visual.transformer.resblocks.0.mlp.c_fc.weight').assign(tf.reshape(tf.range(0, 32), [8, 4]));
    const target = tower();
    const report = target.loadStateDict(source.stateDict());
    expect(report.missing).toEqual([]);
    expect(report.loaded).toHaveLength(13);
    expect(Array.from(target.parameter('visual.transformer.resblocks.0.mlp.c_fc.weight').value.dataSync())).toEqual(
      Array.from({ length: 32 }, (_, i) => i),
    );
  });

  it('strict loading lists missing, unexpected and mis-shaped names and loads nothing', () => {
    const model = tower();
    const dict = new Map(model.stateDict());
    dict.delete('temp');
    dict.set('visual.proj', tf.zeros([4, 2]));
    dict.set('visual.transformer.resblocks.0.ln_1.weight', tf.ones([5]));
    dict.set('visual.transformer.resblocks.1.ln_1.bias', tf.fill([4], 9));
    let error: unknown;
    try {
      model.loadStateDict(dict, { source: 'weights.safetensors' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const { report, message } = error as StateDictError;
    expect(report.missing).toEqual(['temp']);
    expect(report.unexpected).toEqual(['visual.proj']);
    expect(report.mismatched).toEqual([{ name: 'visual.transformer.resblocks.0.ln_1.weight', expected: [4], actual: [5] }]);
    expect(message).toContain('weights.safetensors');
    expect(message).toContain('missing 1: temp');
    expect(message).toContain('unexpected 1: visual.proj');
    expect(message).toContain('visual.transformer.resblocks.0.ln_1.weight expected [4] got [5]');
    // Nothing was loaded, not even the valid names.
    expect(Array.from(model.parameter('visual.transformer.resblocks.1.ln_1.bias').value.dataSync())).toEqual([0, 0, 0, 0]);
  });

  it('non-strict loading loads what matches and reports the rest', () => {
    const model = tower();
    const report = model.loadStateDict(
      { temp: tf.scalar(0.5), extra: tf.zeros([1]), 'visual.transformer.resblocks.0.ln_1.weight': tf.ones([3]) },
      { strict: false },
    );
    expect(report.loaded).toEqual(['temp']);
    expect(report.unexpected).toEqual(['extra']);
    expect(report.mismatched.map((m) => m.name)).toEqual(['visual.transformer.resblocks.0.ln_1.weight']);
    expect(report.missing).toHaveLength(11); // 13 − loaded temp − the mis-shaped ln_1.weight
    expect(model.parameter('temp').value.dataSync()[0]).toBeCloseTo(0.5);
  });

  it('refuses duplicate and dotted child names and unregisters', () => {
    const model = new Module();
    model.register('x', new Parameter(tf.scalar(1)));
    expect(() => model.register('x', new Parameter(tf.scalar(2)))).toThrow(/already registered/);
    expect(() => model.register('a.b', new Module())).toThrow(/no dots/);
    expect(model.unregister('x')).toBeInstanceOf(Parameter);
    expect(model.namedParameters()).toEqual([]);
  });

  it('keeps the tfjs variable trainable flag in step, so gradients skip frozen parameters', () => {
    const parameter = new Parameter(tf.scalar(1));
    parameter.trainable = false;
    expect(parameter.variable.trainable).toBe(false);
    expect(() => parameter.assign(tf.zeros([2]))).toThrow(/shape \[2\].*shape \[\]/);
  });
});
