import * as tf from '@tensorflow/tfjs-core';
import { compareTensor } from '../compare';
import type { CheckLine } from '../report';
import { MODEL_COMPUTERS, ownerOf } from './model-computers';
import { readModelFixture, type ModelComputer } from './model-fixture';

/**
 * Compute every output of a model fixture the project can, and compare each with the fixture.
 * A computer that fails is reported as one `off` line with its error (the others still run), so
 * one stage's breakage never hides what the rest computes.
 */
export async function checkModelFixture(dir: string, weightFiles?: string[], computers: readonly ModelComputer[] = MODEL_COMPUTERS): Promise<CheckLine[]> {
  const fixture = await readModelFixture(dir, weightFiles);
  const computed = new Map<string, tf.Tensor>();
  const producer = new Map<string, string>();
  const lines: CheckLine[] = [];
  try {
    for (const computer of computers) {
      let results: Map<string, tf.Tensor>;
      try {
        results = await computer.compute(fixture);
      } catch (error) {
        lines.push({ name: computer.label, status: 'off', note: `failed: ${error instanceof Error ? error.message : String(error)}` });
        continue;
      }
      for (const [name, tensor] of results) {
        if (computed.has(name)) {
          lines.push({ name, status: 'off', note: `computed by both ${producer.get(name)} and ${computer.label}` });
          tensor.dispose();
          continue;
        }
        computed.set(name, tensor);
        producer.set(name, computer.label);
      }
    }
    for (const [name, expected] of fixture.outputs) {
      const actual = computed.get(name);
      lines.push(actual ? compareTensor(name, actual, expected) : { name, status: 'not-computed', note: `not computed yet: needs ${ownerOf(name)}` });
    }
    for (const name of computed.keys()) {
      if (!fixture.outputs.has(name)) lines.push({ name, status: 'off', note: 'computed but absent from outputs.safetensors' });
    }
    return lines;
  } finally {
    tf.dispose([...computed.values(), ...fixture.inputs.values(), ...fixture.outputs.values()]);
  }
}
