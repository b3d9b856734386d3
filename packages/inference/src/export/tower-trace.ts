import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, normalTensor, withoutFusedKernels, type Backbone, type TowerName } from '@harma/core';
import { traceKernels } from '../trace/kernel-trace';
import { unifyTraces, type SymbolicTrace } from '../trace/symbolic-trace';

/**
 * Token ids a text tower accepts: each row a start id (vocabulary − 2), random ids, an end id
 * (vocabulary − 1, the row's largest) and zero padding, of varied lengths, as a tokenizer makes.
 */
export function sampleTokenIds(batch: number, contextLength: number, vocabularySize: number, rng: SeededRandom): Int32Array {
  if (vocabularySize < 4) throw new Error(`sample ids: a vocabulary of ${vocabularySize} ids is too small`);
  const ids = new Int32Array(batch * contextLength);
  for (let row = 0; row < batch; row++) {
    const length = 2 + rng.int(Math.max(1, contextLength - 1));
    const offset = row * contextLength;
    ids[offset] = vocabularySize - 2;
    for (let position = 1; position < length - 1; position++) ids[offset + position] = 1 + rng.int(vocabularySize - 3);
    ids[offset + Math.min(length, contextLength) - 1] = vocabularySize - 1;
  }
  return ids;
}

/** A sample input batch of a tower: normalised-looking pixels, or token ids. */
export function sampleTowerInput(backbone: Backbone, tower: TowerName, batch: number, rng: SeededRandom): tf.Tensor {
  if (tower === 'vision') {
    const size = backbone.preprocess.size;
    return normalTensor([batch, 3, size, size], rng);
  }
  const ids = sampleTokenIds(batch, backbone.contextLength, backbone.vocabularySize, rng);
  return tf.tensor2d(ids, [batch, backbone.contextLength], 'int32');
}

/** The tower's forward: pixels → image features, ids → text features (L2-normalised). */
export function towerFunction(backbone: Backbone, tower: TowerName): (inputs: tf.Tensor[]) => tf.Tensor {
  return ([input]) => (tower === 'vision' ? backbone.encodeImage(input as tf.Tensor) : backbone.encodeText(input as tf.Tensor));
}

/**
 * Trace one tower's forward at two batch sizes on the active tfjs backend and merge the traces.
 * Parameters are recognised by the variables of `backbone.module`.
 */
export function traceTower(backbone: Backbone, tower: TowerName, options: { batchSizes?: [number, number]; seed?: string } = {}): SymbolicTrace {
  const batchSizes = options.batchSizes ?? [2, 3];
  if (batchSizes[0] === batchSizes[1] || batchSizes.some((b) => !Number.isInteger(b) || b < 2)) {
    throw new Error(`trace: batch sizes [${batchSizes}] must be two different integers ≥ 2`);
  }
  const parameters = new Map(backbone.module.namedParameters().map(([name, parameter]) => [parameter.variable.id, name]));
  const rng = new SeededRandom(options.seed ?? `export-${tower}`);
  // Traced on tfjs's standard kernels: the training runtime's fused ones (ONNX Runtime graphs of
  // their own) have no ONNX conversion, and the standard patterns are rewritten into ONNX's fused
  // operators anyway (DEFAULT_FUSIONS).
  const traces = withoutFusedKernels(() => {
    // One untraced pass first: layers may build lazy caches on their first call (core's linear()
    // keeps a transposed copy of each frozen weight), which would make the two traces differ.
    const warmUp = sampleTowerInput(backbone, tower, 1, rng);
    tf.dispose([tf.tidy(() => towerFunction(backbone, tower)([warmUp])), warmUp]);
    return batchSizes.map((batch) => {
      const input = sampleTowerInput(backbone, tower, batch, rng);
      try {
        const { trace, output } = traceKernels(towerFunction(backbone, tower), [input], parameters);
        output.dispose();
        return trace;
      } finally {
        input.dispose();
      }
    });
  });
  return unifyTraces(traces[0] as SymbolicTrace['traces'][0], traces[1] as SymbolicTrace['traces'][1], batchSizes);
}
