import type * as tf from '@tensorflow/tfjs-core';
import { compareTensor } from '../compare';
import type { CheckLine } from '../report';
import { MODEL_COMPUTERS, ownerOf } from './model-computers';
import { readModelFixture } from './model-fixture';

/** Compute every output of a model fixture the project can, and compare each with the fixture. */
export async function checkModelFixture(dir: string, weightFiles?: string[]): Promise<CheckLine[]> {
  const fixture = await readModelFixture(dir, weightFiles);
  const computed = new Map<string, tf.Tensor>();
  for (const computer of MODEL_COMPUTERS) {
    for (const [name, tensor] of await computer.compute(fixture)) computed.set(name, tensor);
  }
  const lines: CheckLine[] = [];
  for (const [name, expected] of fixture.outputs) {
    const actual = computed.get(name);
    lines.push(actual ? compareTensor(name, actual, expected) : { name, status: 'not-computed', note: `not computed yet: needs ${ownerOf(name)}` });
  }
  for (const name of computed.keys()) {
    if (!fixture.outputs.has(name)) lines.push({ name, status: 'off', note: 'computed but absent from outputs.safetensors' });
  }
  return lines;
}
