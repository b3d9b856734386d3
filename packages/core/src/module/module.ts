import * as tf from '@tensorflow/tfjs-core';
import { ModuleBuffer } from './module-buffer';
import { Parameter } from './parameter';
import { StateDictError, type LoadReport, type ShapeMismatch } from './state-dict-error';

/** Tensors by full dotted name, as a PyTorch `state_dict`. */
export type StateDict = Map<string, tf.Tensor>;
/** Either form of a state dict a caller may hold. */
export type StateDictInput = Map<string, tf.Tensor> | Record<string, tf.Tensor>;

/**
 * Selects parameters by full name: a string matches that name or everything under that dotted
 * prefix (`'visual.transformer'`), a RegExp is tested against the name, a function decides.
 */
export type ParameterFilter = string | RegExp | ((name: string, parameter: Parameter) => boolean);

/** A node of the tree that holds a tensor of the state dict. */
type StateTensor = Parameter | ModuleBuffer;

export interface LoadStateDictOptions {
  /** Throw (loading nothing) on any missing, unexpected or mis-shaped name. Default: true. */
  strict?: boolean;
  /** Where the dict came from, named in errors (a file path). */
  source?: string;
}

export interface ParameterCount {
  total: number;
  trainable: number;
}

export function matchesFilter(filter: ParameterFilter, name: string, parameter: Parameter): boolean {
  return typeof filter === 'function' ? filter(name, parameter) : nameMatches(filter, name);
}

/** A name filter: the name itself or everything under it as a dotted prefix, or a RegExp test. */
function nameMatches(filter: string | RegExp, name: string): boolean {
  if (typeof filter === 'string') return name === filter || name.startsWith(`${filter}.`);
  return filter.test(name);
}

/**
 * A node of the parameter tree. A parameter's full name is the dotted path of registration names
 * from the root, exactly like a PyTorch `state_dict` key; numeric names stand for list entries
 * (`visual.transformer.resblocks.3.mlp.c_fc.weight`). The same parameter or module may be
 * registered in several places (weight sharing): it is listed, counted and updated once, under the
 * first name met, as PyTorch's `named_parameters` does. Buffers (`ModuleBuffer`: BatchNorm's
 * running statistics) are named the same way and belong to the state dict, but are not parameters:
 * never counted, frozen or trained.
 */
export class Module {
  readonly #parameters = new Map<string, Parameter>();
  readonly #buffers = new Map<string, ModuleBuffer>();
  readonly #modules = new Map<string, Module>();

  /** Register a child parameter, buffer or module under `name`; registering a taken name throws. */
  register<T extends Module | Parameter | ModuleBuffer>(name: string, child: T): T {
    if (name === '' || name.includes('.')) throw new Error(`invalid child name '${name}': non-empty, no dots`);
    if (this.child(name) !== undefined) {
      throw new Error(`'${name}' is already registered on ${this.constructor.name}`);
    }
    if (child instanceof Parameter) this.#parameters.set(name, child);
    else if (child instanceof ModuleBuffer) this.#buffers.set(name, child);
    else if (child instanceof Module) this.#modules.set(name, child);
    else throw new Error(`'${name}': only a Parameter, a ModuleBuffer or a Module can be registered`);
    return child;
  }

  /** Remove a child by name (it is not disposed) and return it. */
  unregister(name: string): Module | Parameter | ModuleBuffer | undefined {
    const child = this.child(name);
    this.#parameters.delete(name);
    this.#buffers.delete(name);
    this.#modules.delete(name);
    return child;
  }

  /** A direct child by name. */
  child(name: string): Module | Parameter | ModuleBuffer | undefined {
    return this.#parameters.get(name) ?? this.#buffers.get(name) ?? this.#modules.get(name);
  }

  /** A descendant by dotted path (`'transformer.resblocks.0.attn'`). */
  get(path: string): Module | Parameter | ModuleBuffer | undefined {
    const [first, ...rest] = path.split('.');
    let node = this.child(first as string);
    for (const part of rest) {
      if (!(node instanceof Module)) return undefined;
      node = node.child(part);
    }
    return node;
  }

  /** The descendant parameter at a dotted path; throws when there is none. */
  parameter(path: string): Parameter {
    const node = this.get(path);
    if (!(node instanceof Parameter)) throw new Error(`no parameter named '${path}'`);
    return node;
  }

  /** The descendant buffer at a dotted path; throws when there is none. */
  buffer(path: string): ModuleBuffer {
    const node = this.get(path);
    if (!(node instanceof ModuleBuffer)) throw new Error(`no buffer named '${path}'`);
    return node;
  }

  /** Direct child modules, in registration order. */
  namedChildren(): Array<[string, Module]> {
    return [...this.#modules.entries()];
  }

  /** Every module of the tree with its dotted path (the root is `''`), each module once. */
  namedModules(prefix = ''): Array<[string, Module]> {
    const seen = new Set<Module>();
    const out: Array<[string, Module]> = [];
    const visit = (module: Module, path: string): void => {
      if (seen.has(module)) return;
      seen.add(module);
      out.push([path, module]);
      for (const [name, child] of module.#modules) visit(child, path === '' ? name : `${path}.${name}`);
    };
    visit(this, prefix);
    return out;
  }

  /**
   * Every parameter with its full name; with `duplicates: false` (default) a shared parameter is
   * listed once, under the first name met (own parameters before children, registration order).
   */
  namedParameters(options: { prefix?: string; duplicates?: boolean } = {}): Array<[string, Parameter]> {
    return this.#namedState(options).filter((entry): entry is [string, Parameter] => entry[1] instanceof Parameter);
  }

  /** Every buffer with its full name, as `namedParameters` lists parameters. */
  namedBuffers(options: { prefix?: string; duplicates?: boolean } = {}): Array<[string, ModuleBuffer]> {
    return this.#namedState(options).filter((entry): entry is [string, ModuleBuffer] => entry[1] instanceof ModuleBuffer);
  }

  /** Parameters and buffers in PyTorch's `state_dict` order: a module's parameters, its buffers, then its children. */
  #namedState(options: { prefix?: string; duplicates?: boolean }): Array<[string, StateTensor]> {
    const seen = new Set<StateTensor>();
    const out: Array<[string, StateTensor]> = [];
    const visit = (module: Module, path: string, visiting: Set<Module>): void => {
      if (visiting.has(module)) return;
      visiting.add(module);
      for (const [name, tensor] of [...module.#parameters, ...module.#buffers]) {
        if (!options.duplicates && seen.has(tensor)) continue;
        seen.add(tensor);
        out.push([path === '' ? name : `${path}.${name}`, tensor]);
      }
      for (const [name, child] of module.#modules) visit(child, path === '' ? name : `${path}.${name}`, visiting);
      visiting.delete(module);
    };
    visit(this, options.prefix ?? '', new Set());
    return out;
  }

  /** Unique parameters, in `namedParameters` order. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, parameter]) => parameter);
  }

  /** Unique trainable parameters with their names. */
  trainableParameters(): Array<[string, Parameter]> {
    return this.namedParameters().filter(([, parameter]) => parameter.trainable);
  }

  /** Total and trainable scalar counts, each shared parameter once. */
  countParameters(): ParameterCount {
    let total = 0;
    let trainable = 0;
    for (const [, parameter] of this.namedParameters()) {
      total += parameter.size;
      if (parameter.trainable) trainable += parameter.size;
    }
    return { total, trainable };
  }

  /** Mark parameters untrainable: all of them, or those the filter selects. Returns how many changed. */
  freeze(filter?: ParameterFilter): number {
    return this.setTrainable(false, filter);
  }

  /** Mark parameters trainable: all of them, or those the filter selects. Returns how many changed. */
  unfreeze(filter?: ParameterFilter): number {
    return this.setTrainable(true, filter);
  }

  private setTrainable(trainable: boolean, filter?: ParameterFilter): number {
    let changed = 0;
    for (const [name, parameter] of this.namedParameters()) {
      if (filter !== undefined && !matchesFilter(filter, name, parameter)) continue;
      if (parameter.trainable !== trainable) changed += 1;
      parameter.trainable = trainable;
    }
    return changed;
  }

  /**
   * Tensors by full name — parameters and buffers, in PyTorch's order — shared ones under every
   * name they have (as PyTorch). A string or RegExp filter selects parameters and buffers by name;
   * a function filter selects parameters only. The tensors are the live values: clone them to keep
   * a snapshot across optimiser steps.
   */
  stateDict(filter?: ParameterFilter): StateDict {
    const out: StateDict = new Map();
    for (const [name, tensor] of this.#namedState({ duplicates: true })) {
      const selected =
        filter === undefined ||
        (tensor instanceof Parameter ? matchesFilter(filter, name, tensor) : typeof filter !== 'function' && nameMatches(filter, name));
      if (selected) out.set(name, tensor.value);
    }
    return out;
  }

  /**
   * Load tensors by full name, into parameters and buffers. A shared one is satisfied by any of
   * its names. Strict (default): any missing, unexpected or mis-shaped name throws a
   * `StateDictError` and nothing is loaded. Non-strict: what matches is loaded and the report lists
   * the rest (mis-shaped names are never loaded). Values are cast to the target's dtype (int64
   * counters read as int32 land in an int32 buffer).
   */
  loadStateDict(dict: StateDictInput, options: LoadStateDictOptions = {}): LoadReport {
    const entries = dict instanceof Map ? dict : new Map(Object.entries(dict));
    const byName = new Map(this.#namedState({ duplicates: true }));
    const namesOf = new Map<StateTensor, string[]>();
    for (const [name, target] of byName) namesOf.set(target, [...(namesOf.get(target) ?? []), name]);

    const unexpected = [...entries.keys()].filter((name) => !byName.has(name));
    const mismatched: ShapeMismatch[] = [];
    const plan: Array<[string, StateTensor, tf.Tensor]> = [];
    const missing: string[] = [];
    for (const [target, names] of namesOf) {
      const present = names.filter((name) => entries.has(name));
      if (present.length === 0) {
        missing.push(names[0] as string);
        continue;
      }
      const name = present[0] as string;
      const tensor = entries.get(name) as tf.Tensor;
      if (!tf.util.arraysEqual(tensor.shape, target.shape)) {
        mismatched.push({ name, expected: target.shape, actual: tensor.shape });
        continue;
      }
      plan.push([name, target, tensor]);
    }
    const report: LoadReport = { missing, unexpected, mismatched, loaded: plan.map(([name]) => name) };
    const strict = options.strict ?? true;
    if (strict && (missing.length > 0 || unexpected.length > 0 || mismatched.length > 0)) {
      throw new StateDictError(report, options.source);
    }
    for (const [, target, tensor] of plan) target.assign(tensor);
    return report;
  }

  /** Dispose every parameter and buffer of the tree (each shared one once). */
  dispose(): void {
    for (const [, tensor] of this.#namedState({})) tensor.dispose();
  }
}
