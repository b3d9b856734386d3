import * as tf from '@tensorflow/tfjs-core';
import { checkTestedVersion } from '../runtime/tested-versions';

/** A node of the tfjs engine's gradient tape (tfjs-core 4.22 `TapeNode`, not exported). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

type AddTapeNode = (kernelName: string, inputs: Record<string, tf.Tensor>, outputs: tf.Tensor[], gradientsFunc: unknown, saved: tf.Tensor[] | undefined, attrs: unknown) => void;

/** The engine members used below (tfjs-core 4.22: the peer range is exact and checked, see tested-versions.ts). */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  addTapeNode: AddTapeNode;
}

export interface TapeGradients {
  value: tf.Tensor;
  /** d value / d x for each x, undefined where the value does not depend on it. */
  grads: Array<tf.Tensor | undefined>;
}

/**
 * `tf.grads`-like reverse-mode differentiation of `f` w.r.t. `xs` on the engine's own tape, that
 * frees memory as the backward pass goes. tfjs-core keeps every intermediate gradient (one per
 * tensor the forward pass made on the way from x to y) and every tensor a node saved until the
 * whole backward pass ends — for a transformer, about three times its saved activations alive at
 * once at the end. Here a node's output gradients and saved tensors are freed as soon as the node
 * has been differentiated; a node none of whose inputs derives from an x (a frozen prefix of the
 * model) is not recorded at all and its saved tensors are freed as soon as it has run; the saved
 * tensors of the other nodes off the x → y paths are freed before the backward pass starts.
 * Inside another gradient computation (higher order) it frees nothing early, as tfjs. Same
 * gradients as tfjs: same tape, same gradient functions, same accumulation order.
 */
export function tapeGradients(f: () => tf.Tensor, xs: tf.Tensor[]): TapeGradients {
  checkTestedVersion('@tensorflow/tfjs-core', tf.version_core);
  const engine = tf.engine() as unknown as EngineInternals;
  const outermost = engine.state.gradientDepth === 0;
  const value = recordForward(engine, f, outermost ? xs : undefined);
  if (!(value instanceof tf.Tensor)) throw new Error('tapeGradients: f must return a tensor');
  const tape = engine.state.activeTape ?? [];
  const path = nodesFromXToY(tape, xs, value);
  if (outermost) {
    const onPath = new Set(path.map((node) => node.id));
    for (const node of tape) if (!onPath.has(node.id)) disposeSaved(node);
  }
  const keep = new Set(xs.map((x) => x.id));
  const present: boolean[] = [];
  const found = tf.tidy(() => {
    const gradients = new Map<number, tf.Tensor>([[value.id, tf.onesLike(value)]]);
    for (let i = path.length - 1; i >= 0; i--) {
      const node = path[i] as TapeNode;
      if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const dys = node.outputs.map((output) => gradients.get(output.id) ?? null);
      const inputGradients = node.gradient(dys);
      for (const inputName in node.inputs) {
        const input = node.inputs[inputName] as tf.Tensor;
        const compute = inputGradients[inputName];
        if (!compute) throw new Error(`Cannot backprop through input ${inputName} of ${node.kernelName}.`);
        let dx = tf.tidy(compute);
        if (dx.dtype !== 'float32') throw new Error(`Error in gradient for op ${node.kernelName}: the gradient of input '${inputName}' has dtype ${dx.dtype}`);
        if (!tf.util.arraysEqual(dx.shape, input.shape)) {
          throw new Error(`Error in gradient for op ${node.kernelName}: the gradient of input '${inputName}' has shape [${dx.shape}], the input [${input.shape}]`);
        }
        // A gradient function may hand dy (or a saved tensor) through unchanged: own a separate reference.
        if (outermost && (dys.includes(dx) || node.saved?.includes(dx))) dx = tf.clone(dx);
        const current = gradients.get(input.id);
        if (current) {
          gradients.set(input.id, tf.add(current, dx));
          if (outermost) tf.dispose([current, dx]);
        } else gradients.set(input.id, dx);
      }
      if (outermost) {
        for (const output of node.outputs) {
          if (keep.has(output.id)) continue;
          gradients.get(output.id)?.dispose();
          gradients.delete(output.id);
        }
        disposeSaved(node);
      }
    }
    return xs.flatMap((x) => {
      const gradient = gradients.get(x.id);
      present.push(gradient !== undefined);
      return gradient ? [gradient] : [];
    });
  });
  if (outermost) {
    for (const node of tape) disposeSaved(node);
    engine.state.activeTape = null;
  }
  let next = 0;
  const grads = present.map((has) => (has ? found[next++] : undefined));
  return { value, grads };
}

/** What a forward pass keeps for its backward pass (see `savedForBackward`). */
export interface SavedForBackward {
  /** Bytes of the distinct tensors the backward pass reads (two saves of the same data count once). */
  bytes: number;
  /** How many distinct tensors. */
  tensors: number;
  /**
   * Bytes saved by nodes that derive from an x but do not lead to y: alive when the forward pass
   * ends — its peak — and freed before the backward pass starts. (Nodes that do not derive from
   * an x, a frozen prefix, are not recorded and count nowhere.)
   */
  freedBeforeBackward: number;
}

/**
 * The tensors `tapeGradients(f, xs)` keeps from its forward pass until the backward pass reads
 * them — those saved by the nodes on the x → y paths — and what it frees first: the memory each
 * example of a batch costs beyond the weights. A diagnostic: it runs `f` once on the tape,
 * differentiates nothing and frees everything it made.
 */
export function savedForBackward(f: () => tf.Tensor, xs: tf.Tensor[]): SavedForBackward {
  checkTestedVersion('@tensorflow/tfjs-core', tf.version_core);
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.state.gradientDepth !== 0) throw new Error('savedForBackward: not inside a gradient computation');
  const value = recordForward(engine, f, xs);
  const tape = engine.state.activeTape ?? [];
  const seen = new Set<object>();
  const tally = (nodes: TapeNode[]): number => {
    let bytes = 0;
    for (const tensor of nodes.flatMap((node) => node.saved ?? [])) {
      if (seen.has(tensor.dataId)) continue;
      seen.add(tensor.dataId);
      bytes += tensor.size * tf.util.bytesPerElement(tensor.dtype);
    }
    return bytes;
  };
  const path = nodesFromXToY(tape, xs, value);
  const bytes = tally(path);
  const tensors = seen.size;
  const onPath = new Set(path.map((node) => node.id));
  const freedBeforeBackward = tally(tape.filter((node) => !onPath.has(node.id)));
  for (const node of tape) disposeSaved(node);
  engine.state.activeTape = null;
  value.dispose();
  return { bytes, tensors, freedBeforeBackward };
}

/**
 * Run `f` on the tape. With `xs`, a node none of whose inputs derives from an x is left off the
 * tape and its saved tensors are freed at once: no gradient w.r.t. the xs passes through it, and
 * kept until the forward pass ends they would add to its peak. Nodes of a gradient computation
 * nested inside `f` (a deeper tape) are all recorded, as that computation needs them.
 */
function recordForward(engine: EngineInternals, f: () => tf.Tensor, xs?: tf.Tensor[]): tf.Tensor {
  const record = (): tf.Tensor => engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => tf.tidy(f));
  if (!xs) return record();
  const fromX = new Set(xs.map((x) => x.id));
  const addTapeNode = engine.addTapeNode;
  const depth = engine.state.gradientDepth + 1;
  engine.addTapeNode = (kernelName, inputs, outputs, gradientsFunc, saved, attrs) => {
    if (engine.state.gradientDepth === depth && !Object.values(inputs).some((input) => fromX.has(input.id))) {
      for (const tensor of saved ?? []) tensor.dispose();
      return;
    }
    for (const output of outputs) fromX.add(output.id);
    addTapeNode.call(engine, kernelName, inputs, outputs, gradientsFunc, saved, attrs);
  };
  try {
    return record();
  } finally {
    // The engine's own method is its prototype's: removing the wrapper restores it.
    delete (engine as Partial<EngineInternals>).addTapeNode;
    if (engine.addTapeNode !== addTapeNode) engine.addTapeNode = addTapeNode;
  }
}

function disposeSaved(node: TapeNode): void {
  for (const tensor of node.saved ?? []) tensor.dispose();
}

/**
 * The tape nodes on some path from an x to y, with each node's inputs pruned to those that depend
 * on an x (tfjs-core's `getFilteredNodesXToY`, which is not exported).
 */
function nodesFromXToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      nodesFromX.add(node.id);
      for (const output of node.outputs) fromX.add(output.id);
    }
  }
  const toY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (node.outputs.some((output) => toY.has(output.id))) {
      nodesToY.add(node.id);
      for (const input of Object.values(node.inputs)) toY.add(input.id);
    }
  }
  return tape
    .filter((node) => nodesFromX.has(node.id) && nodesToY.has(node.id))
    .map((node) => ({
      ...node,
      inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, input]) => fromX.has(input.id))),
    }));
}
