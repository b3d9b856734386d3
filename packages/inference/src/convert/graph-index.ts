import type { OnnxNode } from '@harma/core';
import type { OnnxGraphBuilder } from './graph-builder';

/** Who produces each value of a graph under construction, and what constants hold. */
export class GraphIndex {
  readonly #producers = new Map<string, OnnxNode>();

  constructor(private readonly builder: OnnxGraphBuilder) {
    for (const node of builder.nodes) for (const output of node.output) this.#producers.set(output, node);
  }

  /** The node producing `value` when it is an `opType` node. */
  producer(value: string | undefined, opType: string): OnnxNode | undefined {
    if (value === undefined) return undefined;
    const node = this.#producers.get(value);
    return node && node.opType === opType && !node.domain ? node : undefined;
  }

  /** The value of a one-element float constant, or undefined. */
  scalar(value: string | undefined): number | undefined {
    const tensor = value === undefined ? undefined : this.builder.initializers.get(value);
    if (!tensor || tensor.rawData.byteLength !== 4 || tensor.dataType !== 1) return undefined;
    return new DataView(tensor.rawData.buffer, tensor.rawData.byteOffset, 4).getFloat32(0, true);
  }

  /** The int64 values of a constant, or undefined. */
  int64s(value: string | undefined): number[] | undefined {
    const tensor = value === undefined ? undefined : this.builder.initializers.get(value);
    if (!tensor || tensor.dataType !== 7) return undefined;
    const view = new BigInt64Array(tensor.rawData.buffer.slice(tensor.rawData.byteOffset, tensor.rawData.byteOffset + tensor.rawData.byteLength));
    return Array.from(view, Number);
  }

  /** Rank of an initializer, or undefined when `value` is not one. */
  initializerRank(value: string | undefined): number | undefined {
    const tensor = value === undefined ? undefined : this.builder.initializers.get(value);
    return tensor?.dims.length;
  }

  /** Rank of a value when the builder knows its shape. */
  rank(value: string): number | undefined {
    return this.builder.values.get(value)?.shape?.length;
  }

  /**
   * For a two-input node, the operand order in which `first` holds for one operand: returns
   * [that operand, the other] or undefined (commutative matching).
   */
  static either(node: OnnxNode, first: (value: string) => boolean): [string, string] | undefined {
    const [a, b] = node.input as [string, string];
    if (first(a)) return [a, b];
    if (first(b)) return [b, a];
    return undefined;
  }
}

/** Replace `anchor` in place by a node computing the same outputs (earlier pattern nodes are pruned later if unused). */
export function replaceNode(builder: OnnxGraphBuilder, anchor: OnnxNode, replacement: Omit<OnnxNode, 'name' | 'output'>): void {
  const index = builder.nodes.indexOf(anchor);
  builder.nodes[index] = { ...replacement, name: builder.unique(replacement.opType), output: anchor.output };
}
