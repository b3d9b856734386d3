import { ScriptObject, TorchTensorRef } from './torch-globals';

/** Which attributes of a TorchScript module class are parameters and buffers (its state dict). */
export interface ScriptClassState {
  parameters: Set<string>;
  buffers: Set<string>;
}

const CLASS_DECLARATION =
  /^class\s+(\w+)\s*\(\s*Module\s*\)\s*:\s*\n\s+__parameters__\s*=\s*\[([^\]]*)\]\s*\n\s+__buffers__\s*=\s*\[([^\]]*)\]/gm;

function names(list: string): Set<string> {
  return new Set([...list.matchAll(/"([^"]*)"|'([^']*)'/g)].map((match) => match[1] ?? match[2] ?? ''));
}

/**
 * Read the `__parameters__` / `__buffers__` declarations of the module classes in a TorchScript
 * archive's `code/__torch__/<path>.py` files. This is text matching on declarations only: the
 * code is never run.
 */
export function parseScriptClassStates(files: ReadonlyMap<string, string>): Map<string, ScriptClassState> {
  const states = new Map<string, ScriptClassState>();
  for (const [relativePath, source] of files) {
    // `torch/nn/modules/linear.py` declares classes of module `__torch__.torch.nn.modules.linear`.
    const module = `__torch__.${relativePath.replace(/\.py$/, '').split('/').join('.')}`;
    for (const match of source.matchAll(CLASS_DECLARATION)) {
      states.set(`${module}.${match[1]}`, { parameters: names(match[2] ?? ''), buffers: names(match[3] ?? '') });
    }
  }
  return states;
}

/**
 * The state dict of a TorchScript module tree: every parameter and buffer tensor under its dotted
 * attribute path. Attributes that are plain tensors but neither parameter nor buffer (OpenAI
 * CLIP's `attn_mask`) are left out when the class declarations are known; for a class whose
 * declarations were not found, every tensor attribute is kept.
 */
export function scriptModuleState(root: ScriptObject, classes: ReadonlyMap<string, ScriptClassState>): Map<string, TorchTensorRef> {
  const out = new Map<string, TorchTensorRef>();
  const visit = (object: ScriptObject, prefix: string, seen: Set<ScriptObject>): void => {
    if (seen.has(object)) return;
    seen.add(object);
    const state = classes.get(object.className);
    for (const [name, value] of object.attributes) {
      const path = prefix === '' ? name : `${prefix}.${name}`;
      if (value instanceof TorchTensorRef) {
        if (!state || state.parameters.has(name) || state.buffers.has(name)) out.set(path, value);
      } else if (value instanceof ScriptObject) {
        visit(value, path, seen);
      }
    }
    seen.delete(object);
  };
  visit(root, '', new Set());
  return out;
}
