import { ONNX_ATTRIBUTE_TYPES } from '@harma/core';
import type { OnnxGraphBuilder } from './graph-builder';
import { GraphIndex, replaceNode } from './graph-index';

const close = (value: number | undefined, expected: number, tolerance = 1e-6): boolean =>
  value !== undefined && Math.abs(value - expected) <= tolerance * Math.max(1, Math.abs(expected));

function lastAxisMean(index: GraphIndex, value: string | undefined): string | undefined {
  const mean = index.producer(value, 'ReduceMean');
  if (!mean) return undefined;
  const x = mean.input[0] as string;
  const axes = index.int64s(mean.input[1]);
  const rank = index.rank(x);
  const keepdims = mean.attribute.find((a) => a.name === 'keepdims')?.i ?? 1;
  const last = axes?.length === 1 && (axes[0] === -1 || (rank !== undefined && axes[0] === rank - 1));
  return last && keepdims === 1 ? x : undefined;
}

/**
 * `((x − mean(x)) · rsqrt(mean((x − mean(x))²) + ε)) · w + b` over the last axis (the form
 * @harma/core's LayerNorm traces to) → one `LayerNormalization` (opset 17).
 */
export function fuseLayerNorm(builder: OnnxGraphBuilder): void {
  const index = new GraphIndex(builder);
  for (const anchor of [...builder.nodes]) {
    if (anchor.opType !== 'Add' || anchor.domain) continue;
    const withBias = GraphIndex.either(anchor, (v) => index.producer(v, 'Mul') !== undefined);
    if (!withBias || index.initializerRank(withBias[1]) !== 1) continue;
    const scaled = index.producer(withBias[0], 'Mul');
    const withWeight = scaled && GraphIndex.either(scaled, (v) => index.producer(v, 'Mul') !== undefined);
    if (!withWeight || index.initializerRank(withWeight[1]) !== 1) continue;
    const normalized = index.producer(withWeight[0], 'Mul');
    const parts = normalized && GraphIndex.either(normalized, (v) => index.producer(v, 'Reciprocal') !== undefined);
    if (!parts) continue;
    const [inverse, centered] = parts;
    const root = index.producer(index.producer(inverse, 'Reciprocal')?.input[0], 'Sqrt');
    const shifted = index.producer(root?.input[0], 'Add');
    const epsilonParts = shifted && GraphIndex.either(shifted, (v) => index.scalar(v) !== undefined);
    if (!epsilonParts) continue;
    const squared = index.producer(lastAxisMean(index, epsilonParts[1]), 'Mul');
    if (!squared || squared.input[0] !== centered || squared.input[1] !== centered) continue;
    const subtraction = index.producer(centered, 'Sub');
    const x = subtraction?.input[0];
    if (!subtraction || x === undefined || lastAxisMean(index, subtraction.input[1]) !== x) continue;
    replaceNode(builder, anchor, {
      opType: 'LayerNormalization',
      input: [x, withWeight[1], withBias[1]],
      attribute: [
        { name: 'axis', type: ONNX_ATTRIBUTE_TYPES.int, i: -1 },
        { name: 'epsilon', type: ONNX_ATTRIBUTE_TYPES.float, f: index.scalar(epsilonParts[0]) as number },
      ],
    });
  }
}

/** `0.5·x·(1 + erf(x/√2))` (@harma/core's exact GELU) → `Gelu` (opset 20). */
export function fuseGelu(builder: OnnxGraphBuilder): void {
  const index = new GraphIndex(builder);
  for (const anchor of [...builder.nodes]) {
    if (anchor.opType !== 'Mul' || anchor.domain) continue;
    const parts = GraphIndex.either(anchor, (v) => index.producer(v, 'Add') !== undefined);
    if (!parts) continue;
    const onePlus = index.producer(parts[0], 'Add');
    const erfParts = onePlus && GraphIndex.either(onePlus, (v) => close(index.scalar(v), 1));
    const erf = index.producer(erfParts?.[1], 'Erf');
    const inner = index.producer(erf?.input[0], 'Mul');
    const scaled = inner && GraphIndex.either(inner, (v) => close(index.scalar(v), Math.SQRT1_2));
    const half = index.producer(parts[1], 'Mul');
    const halfParts = half && GraphIndex.either(half, (v) => close(index.scalar(v), 0.5));
    if (!scaled || !halfParts || scaled[1] !== halfParts[1]) continue;
    replaceNode(builder, anchor, { opType: 'Gelu', input: [scaled[1]], attribute: [] });
  }
}

/** `x·sigmoid(α·x)` (QuickGELU, α = 1.702) → ONNX Runtime's `com.microsoft.QuickGelu`. */
export function fuseQuickGelu(builder: OnnxGraphBuilder): void {
  const index = new GraphIndex(builder);
  for (const anchor of [...builder.nodes]) {
    if (anchor.opType !== 'Mul' || anchor.domain) continue;
    const parts = GraphIndex.either(anchor, (v) => index.producer(v, 'Sigmoid') !== undefined);
    if (!parts) continue;
    const inner = index.producer(index.producer(parts[0], 'Sigmoid')?.input[0], 'Mul');
    const scaled = inner && GraphIndex.either(inner, (v) => index.scalar(v) !== undefined);
    if (!scaled || scaled[1] !== parts[1]) continue;
    replaceNode(builder, anchor, {
      opType: 'QuickGelu',
      domain: 'com.microsoft',
      input: [parts[1]],
      attribute: [{ name: 'alpha', type: ONNX_ATTRIBUTE_TYPES.float, f: index.scalar(scaled[0]) as number }],
    });
  }
}

/** The rewrites `exportOnnx` applies by default. */
export const DEFAULT_FUSIONS: ReadonlyArray<(builder: OnnxGraphBuilder) => void> = [fuseLayerNorm, fuseGelu, fuseQuickGelu];
