import type { OnnxNode } from '@harma/core';
import type { OnnxGraphBuilder } from './graph-builder';

/**
 * The nodes `outputs` depend on, in their original order, and every value those nodes read
 * (initializers among them).
 */
export function liveNodes(nodes: readonly OnnxNode[], outputs: readonly string[]): { nodes: OnnxNode[]; needed: Set<string> } {
  const needed = new Set(outputs);
  const kept: OnnxNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as OnnxNode;
    if (!node.output.some((name) => needed.has(name))) continue;
    kept.push(node);
    for (const input of node.input) if (input !== '') needed.add(input);
  }
  return { nodes: kept.reverse(), needed };
}

/** Drop nodes no graph output depends on, then initializers no node reads. */
export function pruneUnused(builder: OnnxGraphBuilder, outputs: readonly string[]): void {
  const { nodes, needed } = liveNodes(builder.nodes, outputs);
  builder.nodes = nodes;
  for (const name of [...builder.initializers.keys()]) if (!needed.has(name)) builder.initializers.delete(name);
}
