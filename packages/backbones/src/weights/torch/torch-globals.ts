import type { SafetensorsDtype } from '@harma/core';
import { PickleTuple, describe, type PickleBuildable, type PickleGlobal } from '../pickle/unpickler';

/** PyTorch storage classes and the element type each holds. */
const STORAGE_DTYPES: Record<string, SafetensorsDtype> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** A storage named by a persistent id: its bytes are the archive entry `data/<key>`. */
export interface TorchStorageRef {
  readonly key: string;
  readonly dtype: SafetensorsDtype;
  /** Elements the storage holds. */
  readonly numel: number;
  /** Device it was saved from (`cpu`, `cuda:0`); the bytes are the same. */
  readonly location: string;
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view into a storage, read later. */
export class TorchTensorRef {
  constructor(
    readonly storage: TorchStorageRef,
    /** In elements. */
    readonly offset: number,
    readonly shape: readonly number[],
    /** In elements, one per dimension. */
    readonly stride: readonly number[],
  ) {}
}

/** A TorchScript module or class instance: its class name and attributes, as data (no code is run). */
export class ScriptObject implements PickleBuildable {
  readonly attributes = new Map<string, unknown>();

  constructor(readonly className: string) {}

  setState(state: unknown): void {
    if (!(state instanceof Map)) throw new Error(`state of ${this.className} is ${describe(state)}, expected a dict of attributes`);
    for (const [name, value] of state) this.attributes.set(String(name), value);
  }
}

interface StorageType extends PickleGlobal {
  readonly dtype: SafetensorsDtype;
}

function isStorageType(value: unknown): value is StorageType {
  return typeof value === 'object' && value !== null && typeof (value as StorageType).dtype === 'string' && (value as StorageType).module === 'torch';
}

function integer(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new Error(`${what} is ${String(value)}, not a non-negative integer`);
  return value;
}

function integers(value: unknown, what: string): number[] {
  if (!(value instanceof PickleTuple) && !Array.isArray(value)) throw new Error(`${what} is ${describe(value)}, not a tuple`);
  const items = value instanceof PickleTuple ? value.items : (value as unknown[]);
  return items.map((item, i) => integer(item, `${what}[${i}]`));
}

function rebuildTensor(args: readonly unknown[]): TorchTensorRef {
  const [storage, offset, size, stride] = args;
  if (!(typeof storage === 'object' && storage !== null && 'key' in storage && 'dtype' in storage)) {
    throw new Error(`first argument is ${describe(storage)}, not a storage`);
  }
  const shape = integers(size, 'size');
  const strides = integers(stride, 'stride');
  if (strides.length !== shape.length) throw new Error(`size has ${shape.length} dimensions but stride ${strides.length}`);
  return new TorchTensorRef(storage as TorchStorageRef, integer(offset, 'storage offset'), shape, strides);
}

function unwrapParameter(args: readonly unknown[]): unknown {
  if (!(args[0] instanceof TorchTensorRef)) throw new Error(`data is ${describe(args[0])}, not a tensor`);
  return args[0];
}

function orderedDict(args: readonly unknown[]): Map<unknown, unknown> {
  const dict = new Map<unknown, unknown>();
  const items = args[0];
  if (items === undefined) return dict;
  if (!Array.isArray(items)) throw new Error(`expects a list of pairs, got ${describe(items)}`);
  for (const pair of items) {
    if (!(pair instanceof PickleTuple) || pair.items.length !== 2) throw new Error('expects (key, value) pairs');
    dict.set(pair.items[0], pair.items[1]);
  }
  return dict;
}

const identity = (args: readonly unknown[]): unknown => args[0];

/** The only callables a state dict needs (plus TorchScript's list and type-tag helpers). */
const CALLABLES: Record<string, (args: readonly unknown[]) => unknown> = {
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_tensor': rebuildTensor,
  'torch._utils._rebuild_parameter': unwrapParameter,
  'torch._utils._rebuild_parameter_with_state': unwrapParameter,
  'collections.OrderedDict': orderedDict,
  'torch.device': (args) => String(args[0]),
};

const TORCHSCRIPT_CALLABLES: Record<string, (args: readonly unknown[]) => unknown> = {
  'torch.jit._pickle.build_intlist': identity,
  'torch.jit._pickle.build_doublelist': identity,
  'torch.jit._pickle.build_boollist': identity,
  'torch.jit._pickle.build_tensorlist': identity,
  'torch.jit._pickle.build_genericlist': identity,
  'torch.jit._pickle.restore_type_tag': identity,
};

export interface TorchGlobalsOptions {
  /** Accept TorchScript's `__torch__.*` classes as attribute records and its list helpers. Default: false. */
  torchScript?: boolean;
}

/**
 * The allow-list of globals for PyTorch checkpoints: tensor and parameter rebuilds, storage
 * classes, `OrderedDict`, `torch.device`. Every other global is refused with an error saying what
 * to do; nothing named by the file is ever imported or executed.
 */
export function resolveTorchGlobal(module: string, name: string, options: TorchGlobalsOptions = {}): PickleGlobal {
  const qualified = `${module}.${name}`;
  if (module === 'torch' && name in STORAGE_DTYPES) {
    const storageType: StorageType = { module, name, dtype: STORAGE_DTYPES[name] as SafetensorsDtype };
    return storageType;
  }
  const callable = CALLABLES[qualified] ?? (options.torchScript ? TORCHSCRIPT_CALLABLES[qualified] : undefined);
  if (callable) return { module, name, call: callable };
  if (options.torchScript && (module === '__torch__' || module.startsWith('__torch__.'))) {
    return { module, name, construct: () => new ScriptObject(qualified), call: () => new ScriptObject(qualified) };
  }
  if (module === 'torch' && name.endsWith('Storage')) {
    throw new Error(`refused storage type '${qualified}': only real and integer storages (${Object.keys(STORAGE_DTYPES).join(', ')}) are read`);
  }
  throw new Error(
    `refused the global '${qualified}': a state-dict checkpoint needs only tensor-rebuild globals, and HarMA.js never runs code ` +
      `from a checkpoint. If the file pickles a whole model or other Python objects, load it in Python and save ` +
      `model.state_dict() (torch.save or safetensors) instead`,
  );
}

/**
 * Resolves a PyTorch persistent id `('storage', StorageType, key, location, numel)` to a storage
 * reference; a storage named twice is the same object (shared storages).
 */
export function storageLoader(): (pid: unknown) => TorchStorageRef {
  const storages = new Map<string, TorchStorageRef>();
  return (pid) => {
    const items = pid instanceof PickleTuple ? pid.items : undefined;
    if (!items || items[0] !== 'storage' || items.length < 5) throw new Error(`persistent id ${describe(pid)} is not a ('storage', type, key, location, numel) tuple`);
    const [, type, key, location, numel] = items;
    if (!isStorageType(type)) throw new Error(`persistent id names ${describe(type)}, not a storage type`);
    if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) throw new Error(`storage key ${String(key)} is not a plain name`);
    const known = storages.get(key);
    if (known) return known;
    const storage: TorchStorageRef = { key, dtype: type.dtype, numel: integer(numel, `numel of storage ${key}`), location: String(location) };
    storages.set(key, storage);
    return storage;
  };
}
