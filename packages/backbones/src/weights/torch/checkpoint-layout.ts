import { describe } from '../pickle/unpickler';
import { WeightFileError } from '../weight-file-error';
import { ScriptObject, TorchTensorRef } from './torch-globals';
import { scriptModuleState, type ScriptClassState } from './torchscript';

/** How the state dict sat inside the checkpoint. */
export type CheckpointLayout =
  /** `torch.save(model.state_dict())` (open_clip, GeoRSCLIP). */
  | 'state-dict'
  /** `{'state_dict': ..., 'optimizer': ...}` (open_clip training checkpoints), DDP `module.` stripped. */
  | 'training-checkpoint'
  /** `{'model': ..., 'config': ...}` (the HarMA trainer), `model.` stripped from every name but `temp`. */
  | 'harma-checkpoint'
  /** `torch.jit.save` archive (OpenAI's original CLIP files): parameters and buffers of the module tree. */
  | 'torchscript';

export interface SelectedStateDict {
  layout: CheckpointLayout;
  tensors: Map<string, TorchTensorRef>;
}

function isDict(value: unknown): value is Map<unknown, unknown> {
  return value instanceof Map;
}

/** Strip `prefix` from every name when all of them carry it (DistributedDataParallel's `module.`). */
function stripCommonPrefix(tensors: Map<string, TorchTensorRef>, prefix: string): Map<string, TorchTensorRef> {
  const names = [...tensors.keys()];
  if (names.length === 0 || !names.every((name) => name.startsWith(prefix))) return tensors;
  return new Map([...tensors].map(([name, ref]) => [name.slice(prefix.length), ref]));
}

function tensorDict(dict: Map<unknown, unknown>, file: string, where: string): Map<string, TorchTensorRef> {
  const out = new Map<string, TorchTensorRef>();
  for (const [key, value] of dict) {
    const name = String(key);
    if (!(value instanceof TorchTensorRef)) {
      throw new WeightFileError(file, `${where} entry '${name}' is ${describe(value)}, not a tensor: this is not a state dict`);
    }
    out.set(name, value);
  }
  return out;
}

/**
 * Find the state dict inside an unpickled checkpoint: a plain state dict, `{'state_dict': …}`,
 * HarMA's `{'model': …}`, or a TorchScript module tree. Other layouts are errors naming the
 * top-level keys found.
 */
export function selectStateDict(root: unknown, file: string, scriptClasses: ReadonlyMap<string, ScriptClassState> = new Map()): SelectedStateDict {
  if (root instanceof ScriptObject) {
    return { layout: 'torchscript', tensors: scriptModuleState(root, scriptClasses) };
  }
  if (!isDict(root)) throw new WeightFileError(file, `the checkpoint holds ${describe(root)}, not a dict of tensors`);
  const stateDict = root.get('state_dict');
  if (isDict(stateDict)) {
    return { layout: 'training-checkpoint', tensors: stripCommonPrefix(tensorDict(stateDict, file, "'state_dict'"), 'module.') };
  }
  const model = root.get('model');
  if (isDict(model)) {
    const tensors = tensorDict(model, file, "'model'");
    // The HarMA trainer saves model.state_dict() of a wrapper: every CLIP name gains `model.`, `temp` does not.
    const stripped = new Map([...tensors].map(([name, ref]) => [name.startsWith('model.') ? name.slice('model.'.length) : name, ref]));
    if (stripped.size !== tensors.size) throw new WeightFileError(file, "'model' holds the same name with and without the 'model.' prefix");
    return { layout: 'harma-checkpoint', tensors: stripped };
  }
  const values = [...root.values()];
  if (values.length > 0 && values.every((value) => !(value instanceof TorchTensorRef))) {
    const keys = [...root.keys()].map(String);
    throw new WeightFileError(
      file,
      `no state dict found: top-level keys are ${keys.slice(0, 12).join(', ')}${keys.length > 12 ? ', …' : ''} ` +
        `(expected tensors, 'state_dict' or 'model')`,
    );
  }
  return { layout: 'state-dict', tensors: stripCommonPrefix(tensorDict(root, file, 'top-level'), 'module.') };
}
