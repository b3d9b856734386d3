import type * as tf from '@tensorflow/tfjs-core';
import type { Backbone, LoadReport, TextTokenizer } from '@harma/core';
import { loadWeights } from '../weights/load-weights';
import { createClip, type ClipModel } from './clip-model';
import type { ClipConfig } from './config';
import { loadModelConfig } from './model-configs';

/** Names to select: a list of exact names, a RegExp, or a predicate. */
export type NameFilter = readonly string[] | RegExp | ((name: string) => boolean);

export interface LoadClipOptions {
  /** Throw on any missing, unexpected (and not ignored) or mis-shaped name; nothing is loaded then. Default: true. */
  strict?: boolean;
  /**
   * Names in the weights that are not the backbone's and may be left over instead of being
   * "unexpected" (for a HarMA checkpoint, e.g. @harma/adapters' rule `isAdapterParameterName`). A
   * name the model has is always loaded. Default: none.
   */
  ignore?: NameFilter;
  /** The tokenizer the model gets (see `CreateClipOptions.tokenizer`). Default: none. */
  tokenizer?: TextTokenizer;
}

export interface ClipStateDictResult {
  /** What matched; `unexpected` lists only names that were not ignored. */
  report: LoadReport;
  /** The ignored tensors by name (the caller's, e.g. to load into adapters later). */
  ignored: Map<string, tf.Tensor>;
}

/** A backbone built and loaded from weight files, with the load report and the ignored tensors. */
export interface LoadedBackbone<Model> extends ClipStateDictResult {
  model: Model;
}

export type LoadedClip = LoadedBackbone<ClipModel>;

function matches(filter: NameFilter | undefined, name: string): boolean {
  if (filter === undefined) return false;
  if (filter instanceof RegExp) return filter.test(name);
  if (typeof filter === 'function') return filter(name);
  return filter.includes(name);
}

/**
 * Load a state dict under open_clip names into a CLIP of either image tower (strict by default):
 * parameters and buffers (a ResNet's BatchNorm statistics). Tensors are copied; the dict stays the
 * caller's.
 */
export function loadClipStateDict(
  model: Pick<Backbone, 'module'>,
  tensors: ReadonlyMap<string, tf.Tensor>,
  options: LoadClipOptions & { source?: string } = {},
): ClipStateDictResult {
  const own = new Set(model.module.stateDict().keys());
  const ignored = new Map<string, tf.Tensor>();
  const wanted = new Map<string, tf.Tensor>();
  for (const [name, tensor] of tensors) {
    if (!own.has(name) && matches(options.ignore, name)) ignored.set(name, tensor);
    else wanted.set(name, tensor);
  }
  const report = model.module.loadStateDict(wanted, { strict: options.strict ?? true, source: options.source });
  return { report, ignored };
}

/**
 * Build a CLIP from a config (object, shipped name such as `ViT-B-32-quickgelu`, or open_clip JSON
 * path) and load it from weight files of any format `loadWeights` reads. Strict by default:
 * missing, unexpected or mis-shaped names throw a `StateDictError` naming the files. Returns the
 * model, the load report and the ignored tensors (owned by the caller).
 */
export async function loadClip(config: ClipConfig | string, files: string | readonly string[], options: LoadClipOptions = {}): Promise<LoadedClip> {
  const resolved = typeof config === 'string' ? loadModelConfig(config) : config;
  return loadBackboneWeights(() => createClip(resolved, { tokenizer: options.tokenizer }), files, options);
}

/**
 * Build a backbone with `create` and load it from weight files of any format `loadWeights` reads
 * (see `loadClip`); on failure the model and every tensor read are freed.
 */
export async function loadBackboneWeights<Model extends Pick<Backbone, 'module' | 'dispose'>>(
  create: () => Model,
  files: string | readonly string[],
  options: LoadClipOptions = {},
): Promise<LoadedBackbone<Model>> {
  const tensors = await loadWeights(files);
  let model: Model | undefined;
  try {
    model = create();
    const result = loadClipStateDict(model, tensors, { ...options, source: typeof files === 'string' ? files : files.join(', ') });
    for (const [name, tensor] of tensors) if (!result.ignored.has(name)) tensor.dispose();
    return { model, ...result };
  } catch (error) {
    model?.dispose();
    for (const tensor of tensors.values()) tensor.dispose();
    throw error;
  }
}
