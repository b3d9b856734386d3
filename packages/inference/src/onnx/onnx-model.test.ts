import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder } from '../convert/graph-builder';
import { valueInfo } from '../convert/trace-to-graph';
import { createOrtRunner } from '../runtime/ort-runtime';
import { decodeOnnxModel, encodeOnnxModel, type OnnxModel } from '@harma/core';

function addOneModel(): OnnxModel {
  const builder = new OnnxGraphBuilder('x');
  builder.reserve('x');
  const weight = builder.initializer('layer.weight', 'float32', [2, 2], Float32Array.from([1, 2, 3, 4]));
  const [product] = builder.node('MatMul', ['x', weight]);
  builder.node('Add', [product as string, builder.scalar('float32', 1)], { names: ['y'] });
  return {
    irVersion: 9,
    opsetImport: [{ domain: '', version: 20 }],
    producerName: 'test',
    producerVersion: '1',
    graph: {
      name: 'g',
      node: builder.nodes,
      initializer: [...builder.initializers.values()],
      input: [valueInfo('x', 'float32', [{ batch: 1 }, 2])],
      output: [valueInfo('y', 'float32', [{ batch: 1 }, 2])],
    },
  };
}

describe('ONNX protobuf', () => {
  it('round-trips a model through the wire format', () => {
    const decoded = decodeOnnxModel(encodeOnnxModel(addOneModel()));
    expect(decoded.irVersion).toBe(9);
    expect(decoded.graph.node.map((n) => n.opType)).toEqual(['MatMul', 'Add']);
    expect(decoded.graph.input[0]?.type.tensorType.shape?.dim).toEqual([{ dimParam: 'batch_size' }, { dimValue: 2 }]);
    const weight = decoded.graph.initializer.find((t) => t.name === 'layer.weight');
    expect(weight?.dims).toEqual([2, 2]);
    expect(Array.from(new Float32Array(Uint8Array.from(weight?.rawData ?? []).buffer))).toEqual([1, 2, 3, 4]);
  });

  it('is a model ONNX Runtime runs: x·W + 1 for a batch of two', async () => {
    const runner = await createOrtRunner(encodeOnnxModel(addOneModel()), { threads: 1 });
    const { data, dims } = await runner.run(Float32Array.from([1, 0, 0.5, 2]), [2, 2]);
    // [1, 0]·[[1,2],[3,4]] + 1 = [2, 3]; [0.5, 2]·W + 1 = [7.5, 10]
    expect(dims).toEqual([2, 2]);
    expect(Array.from(data)).toEqual([2, 3, 7.5, 10]);
    await runner.release();
  });

  it('names the source of bytes that are not a model', () => {
    expect(() => decodeOnnxModel(Uint8Array.from([0xff, 0xff, 0xff, 0xff]), 'broken.onnx')).toThrow(/^broken\.onnx: not an ONNX model/);
  });
});
