import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder } from '../convert/graph-builder';
import { valueInfo } from '../convert/trace-to-graph';
import { encodeOnnxModel, type OnnxModel } from '@harma/core';
import { createOrtRunner } from '../runtime/ort-runtime';
import { quantizeColumns, quantizeModelInt8 } from './quantize-int8';

describe('quantizeColumns', () => {
  it('scales each column by its largest magnitude over 127 and rounds', () => {
    // Column 0: max 2 → scale 2/127; column 1: max 0.5 → scale 0.5/127.
    const { values, scales } = quantizeColumns(Float32Array.from([2, -0.5, -1, 0.25]), 2, 2);
    expect(Array.from(scales)).toEqual([Math.fround(2 / 127), Math.fround(0.5 / 127)]);
    expect(Array.from(values)).toEqual([127, -127, -64, 64]);
  });

  it('keeps an all-zero column at scale 1 and uses ±63 with reduced range', () => {
    const { values, scales } = quantizeColumns(Float32Array.from([0, 1, 0, -1]), 2, 2, 63);
    expect(Array.from(scales)).toEqual([1, Math.fround(1 / 63)]);
    expect(Array.from(values)).toEqual([0, 63, 0, -63]);
  });
});

/** y = x·Wᵀ + b written as tfjs's linear traces it: MatMul(x, Transpose(W)) then Add(b). */
function linearModel(weight: Float32Array, bias: Float32Array, inFeatures: number, outFeatures: number): OnnxModel {
  const builder = new OnnxGraphBuilder('x');
  builder.reserve('x');
  const w = builder.initializer('fc.weight', 'float32', [outFeatures, inFeatures], weight);
  const b = builder.initializer('fc.bias', 'float32', [outFeatures], bias);
  const [transposed] = builder.node('Transpose', [w], { attributes: { perm: { ints: [1, 0] } } });
  const [product] = builder.node('MatMul', ['x', transposed as string]);
  builder.node('Add', [product as string, b], { names: ['y'] });
  return {
    irVersion: 9,
    opsetImport: [{ domain: '', version: 20 }],
    producerName: 'test',
    producerVersion: '1',
    graph: { name: 'g', node: builder.nodes, initializer: [...builder.initializers.values()], input: [valueInfo('x', 'float32', [{ batch: 1 }, inFeatures])], output: [valueInfo('y', 'float32', [{ batch: 1 }, outFeatures])] },
  };
}

describe('quantizeModelInt8', () => {
  it('turns MatMul + bias into one DynamicQuantizeMatMul that ONNX Runtime runs close to float', async () => {
    const inFeatures = 64;
    const outFeatures = 16;
    const weight = Float32Array.from({ length: inFeatures * outFeatures }, (_, i) => Math.sin(i * 0.37) * (1 + (i % outFeatures) / 4));
    const bias = Float32Array.from({ length: outFeatures }, (_, i) => i / 10);
    const x = Float32Array.from({ length: 3 * inFeatures }, (_, i) => Math.cos(i * 0.11));
    const { model, report } = quantizeModelInt8(linearModel(weight, bias, inFeatures, outFeatures));
    expect(report.quantized).toEqual(['fc.weight']);
    expect(model.graph.node.map((n) => n.opType)).toEqual(['DynamicQuantizeMatMul']);
    expect(model.graph.initializer.map((t) => t.name).sort()).toEqual(['fc.bias', 'fc.weight.int8', 'fc.weight.scale']);
    const runner = await createOrtRunner(encodeOnnxModel(model), { threads: 1 });
    const { data } = await runner.run(x, [3, inFeatures]);
    await runner.release();
    // Reference in double precision: y = x·Wᵀ + b.
    let worst = 0;
    let scale = 0;
    for (let r = 0; r < 3; r++) {
      for (let o = 0; o < outFeatures; o++) {
        let y = bias[o] as number;
        for (let i = 0; i < inFeatures; i++) y += (x[r * inFeatures + i] as number) * (weight[o * inFeatures + i] as number);
        worst = Math.max(worst, Math.abs((data[r * outFeatures + o] as number) - y));
        scale = Math.max(scale, Math.abs(y));
      }
    }
    // 8-bit weights and activations: about 1% of the output range, far from exact.
    expect(worst).toBeLessThan(0.02 * scale);
    expect(worst).toBeGreaterThan(0);
  });

  it('leaves small weights in float with minElements', () => {
    const { report, model } = quantizeModelInt8(linearModel(new Float32Array(8), new Float32Array(2), 4, 2), { minElements: 9 });
    expect(report.quantized).toEqual([]);
    expect(model.graph.node.map((n) => n.opType)).toEqual(['Transpose', 'MatMul', 'Add']);
  });
});
