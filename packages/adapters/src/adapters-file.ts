import { promises as fs } from 'node:fs';
import type * as tf from '@tensorflow/tfjs-core';
import { StateDictError, loadSafetensors, readSafetensorsHeader, writeSafetensors, type Backbone, type ModuleBuffer, type Parameter } from '@harma/core';
import { adapterMethod, attachingMethodNames, isAdapterKind, type AdapterKind, type AdapterOptions, type AnyAttachment } from './adapter-methods';
import { attachmentsOf, type AdapterAttachment } from './attachment';
import { diffOptions } from './options-validation';

/** `__metadata__.format` of an adapters-only file written by this package. */
export const ADAPTERS_FILE_FORMAT = 'harma-js-adapters';
const FORMAT_VERSION = '1';

export interface SaveAdaptersOptions {
  /** Store the float32 parameters in this dtype. Default: `F32`. */
  floatDtype?: 'F32' | 'F16' | 'BF16';
}

export interface SavedAdapters {
  file: string;
  /** Parameter tensors written (each parameter once). */
  tensors: number;
  /** Scalars written. */
  parameters: number;
  /** The backbone's buffers written beside them (BatchNorm running statistics; 0 for a ViT). */
  buffers: number;
  /** Size of the file in bytes. */
  bytes: number;
}

/**
 * Write only what an attachment added (adapters, gates, `temp`) as safetensors under their full
 * state-dict names, with the method, its resolved options and the backbone kind in `__metadata__`:
 * about 24 MB for HarMA on ViT-B/32 instead of 600 MB for the whole model.
 *
 * The backbone's buffers go in too, under their state-dict names: a frozen backbone's BatchNorm
 * running statistics change while training (the official loop's `model.train()`), and the official
 * code saves them with its checkpoints, so the best epoch's adapters are evaluated with that
 * epoch's statistics. A backbone without buffers (CLIP ViT) writes the adapters alone.
 */
export async function saveAdapters(file: string, backbone: Backbone, attachment: AdapterAttachment, options: SaveAdaptersOptions = {}): Promise<SavedAdapters> {
  if (attachment.backbone !== backbone) throw new Error(`saveAdapters ${file}: the attachment belongs to another backbone`);
  if (!attachment.attached) throw new Error(`saveAdapters ${file}: the ${attachment.kind} attachment is detached`);
  const named = attachment.namedParameters();
  const buffers = backbone.module.namedBuffers();
  const tensors = new Map<string, tf.Tensor>([...named.map(([name, parameter]) => [name, parameter.value] as const), ...buffers.map(([name, buffer]) => [name, buffer.value] as const)]);
  const metadata = {
    format: ADAPTERS_FILE_FORMAT,
    format_version: FORMAT_VERSION,
    adapter: attachment.kind,
    options: JSON.stringify(attachment.options),
    backbone: backbone.kind,
  };
  await writeSafetensors(file, tensors, { metadata, floatDtype: options.floatDtype === 'F32' ? undefined : options.floatDtype });
  const { size } = await fs.stat(file);
  return { file, tensors: named.length, parameters: named.reduce((sum, [, parameter]) => sum + parameter.size, 0), buffers: buffers.length, bytes: size };
}

export interface LoadAdaptersOptions {
  /** Load into this attachment (its options must match the file's). Default: the backbone's live attachment of the file's method, else a new one. */
  attachment?: AnyAttachment;
  /**
   * For files without this package's metadata (official HarMA exports, hand-made files): the
   * method and options they were made with. With metadata, they must agree with it.
   */
  adapter?: AdapterKind;
  options?: AdapterOptions;
}

interface FileDescription {
  kind: AdapterKind;
  /** Options as the file (or the caller, for files without metadata) gives them. */
  options: AdapterOptions;
}

/** What the caller says tensors without metadata hold: the method, and its options or the attachment's. */
function givenDescription(kind: AdapterKind, given: Pick<LoadAdaptersOptions, 'options' | 'attachment'>): FileDescription {
  return { kind, options: (given.options ?? given.attachment?.options ?? {}) as AdapterOptions };
}

function describeFile(file: string, metadata: Record<string, string>, backbone: Backbone, given: LoadAdaptersOptions): FileDescription {
  if (metadata.format === undefined) {
    const kind = given.adapter ?? given.attachment?.kind;
    if (kind === undefined) {
      throw new Error(`${file}: no HarMA.js adapter metadata (__metadata__.format); pass { adapter, options } to say what the file holds`);
    }
    return givenDescription(kind, given);
  }
  if (metadata.format !== ADAPTERS_FILE_FORMAT) {
    throw new Error(`${file}: __metadata__.format is '${metadata.format}', expected '${ADAPTERS_FILE_FORMAT}'`);
  }
  if (metadata.format_version !== FORMAT_VERSION) {
    throw new Error(`${file}: __metadata__.format_version '${metadata.format_version}' is not supported (this version reads '${FORMAT_VERSION}')`);
  }
  const kind = metadata.adapter ?? '';
  if (!isAdapterKind(kind)) throw new Error(`${file}: __metadata__.adapter '${metadata.adapter}' is not one of ${attachingMethodNames().join(', ')}`);
  if (metadata.backbone !== backbone.kind) {
    throw new Error(`${file}: __metadata__.backbone is '${metadata.backbone}' but the backbone is '${backbone.kind}'`);
  }
  if (given.adapter !== undefined && given.adapter !== kind) throw new Error(`${file}: holds ${kind} adapters, not ${given.adapter}`);
  let options: unknown;
  try {
    options = JSON.parse(metadata.options ?? '');
  } catch (error) {
    throw new Error(`${file}: __metadata__.options is not JSON (${(error as Error).message})`);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new Error(`${file}: __metadata__.options is not a JSON object`);
  // The method's resolveOptions validates every field before anything uses them.
  return { kind, options: options as AdapterOptions };
}

/**
 * Load an adapters-only file into a backbone: into its attachment of the file's method (whose
 * options must equal the file's), or attaching one built from the file's options. Names and
 * shapes must match the attachment's parameters exactly (a `StateDictError` lists what differs,
 * and nothing is loaded). The backbone buffers the file holds (`saveAdapters` writes them) are
 * loaded too; a file without them leaves the backbone's as they are. Returns the attachment.
 */
export async function loadAdapters(file: string, backbone: Backbone, given: LoadAdaptersOptions = {}): Promise<AnyAttachment> {
  const header = await readSafetensorsHeader(file);
  const description = describeFile(file, header.metadata, backbone, given);
  const method = adapterMethod(description.kind);
  const fileOptions = method.resolveOptions(backbone, description.options, `${file} options`);
  if (given.options !== undefined && header.metadata.format !== undefined) {
    const differences = diffOptions(method.resolveOptions(backbone, given.options, 'loadAdapters options'), fileOptions);
    if (differences.length > 0) throw new Error(`${file}: the options given differ from the file's — ${differences.join('; ')}`);
  }
  const { tensors } = await loadSafetensors(file);
  try {
    return assignInto(backbone, description, fileOptions, tensors, { source: file, attachment: given.attachment });
  } finally {
    for (const tensor of tensors.values()) tensor.dispose();
  }
}

export interface LoadAdapterTensorsOptions {
  /** The method the tensors belong to. */
  adapter: AdapterKind;
  /** Its options (as for `attachHarma` and the baselines, without `rng`). Default: the method's defaults. */
  options?: AdapterOptions;
  /** Load into this attachment (its options must match). Default: the backbone's live one of the method, else a new one. */
  attachment?: AnyAttachment;
  /**
   * Take the attachment's names from `tensors` and leave every other one alone — for a whole
   * training checkpoint (backbone and adapters) such as the official HarMA `checkpoint_best.pth`.
   * Default: false (a name the attachment does not have is an error).
   */
  ignoreOthers?: boolean;
  /** Names the tensors' origin in errors. Default: 'adapter tensors'. */
  source?: string;
}

/**
 * Load adapter parameters from tensors already read (any weight file, under the official
 * state-dict names: `visual.transformer.resblocks.{i}.mmadapter.…`, `gate1`, `temp`), as
 * `loadAdapters` does for its own files. The tensors stay the caller's. Returns the attachment.
 */
export function loadAdapterTensors(tensors: ReadonlyMap<string, tf.Tensor>, backbone: Backbone, given: LoadAdapterTensorsOptions): AnyAttachment {
  const source = given.source ?? 'adapter tensors';
  if (given.attachment !== undefined && given.attachment.kind !== given.adapter) throw new Error(`${source}: the attachment is ${given.attachment.kind}, not ${given.adapter}`);
  const description = givenDescription(given.adapter, given);
  const options = adapterMethod(description.kind).resolveOptions(backbone, description.options, `${source} options`);
  return assignInto(backbone, description, options, tensors, { source, attachment: given.attachment, ignoreOthers: given.ignoreOthers });
}

/** Into the given or live attachment of the method (options must agree), or a new one detached again on failure. */
function assignInto(
  backbone: Backbone,
  description: FileDescription,
  resolvedOptions: unknown,
  tensors: ReadonlyMap<string, tf.Tensor>,
  context: { source: string; attachment: AnyAttachment | undefined; ignoreOthers?: boolean | undefined },
): AnyAttachment {
  const { source } = context;
  const existing = context.attachment ?? (attachmentsOf(backbone).find((a) => a.kind === description.kind) as AnyAttachment | undefined);
  if (existing !== undefined) {
    if (existing.backbone !== backbone) throw new Error(`loadAdapters ${source}: the attachment belongs to another backbone`);
    if (existing.kind !== description.kind) throw new Error(`${source}: holds ${description.kind} adapters but the attachment is ${existing.kind}`);
    const differences = diffOptions(existing.options, resolvedOptions);
    if (differences.length > 0) throw new Error(`${source}: adapter options differ from the attached ${existing.kind} — ${differences.join('; ')}`);
  }
  const attachment = existing ?? adapterMethod(description.kind).attach(backbone, description.options);
  try {
    assignByName(attachment, new Map(backbone.module.namedBuffers()), tensors, source, context.ignoreOthers === true);
  } catch (error) {
    if (existing === undefined) attachment.detach();
    throw error;
  }
  return attachment;
}

/**
 * Assign every parameter of the attachment from `tensors` (any of a shared parameter's names), and
 * every backbone buffer `tensors` holds, all or nothing.
 */
function assignByName(attachment: AdapterAttachment, buffers: ReadonlyMap<string, ModuleBuffer>, tensors: ReadonlyMap<string, tf.Tensor>, source: string, ignoreOthers: boolean): void {
  const byName = new Map(attachment.namedParameters({ duplicates: true }));
  const namesOf = new Map<Parameter, string[]>();
  for (const [name, parameter] of byName) namesOf.set(parameter, [...(namesOf.get(parameter) ?? []), name]);
  const unexpected = ignoreOthers ? [] : [...tensors.keys()].filter((name) => !byName.has(name) && !buffers.has(name));
  const missing: string[] = [];
  const mismatched: Array<{ name: string; expected: number[]; actual: number[] }> = [];
  const plan: Array<[Parameter, tf.Tensor, string]> = [];
  for (const [parameter, names] of namesOf) {
    const name = names.find((candidate) => tensors.has(candidate));
    if (name === undefined) {
      missing.push(names[0] as string);
      continue;
    }
    const tensor = tensors.get(name) as tf.Tensor;
    if (tensor.shape.join(',') !== parameter.shape.join(',')) mismatched.push({ name, expected: parameter.shape, actual: tensor.shape });
    else plan.push([parameter, tensor, name]);
  }
  const bufferPlan: Array<[ModuleBuffer, tf.Tensor]> = [];
  for (const [name, buffer] of buffers) {
    const tensor = tensors.get(name);
    if (tensor === undefined) continue;
    if (tensor.shape.join(',') !== buffer.shape.join(',')) mismatched.push({ name, expected: buffer.shape, actual: tensor.shape });
    else bufferPlan.push([buffer, tensor]);
  }
  if (missing.length > 0 || unexpected.length > 0 || mismatched.length > 0) {
    throw new StateDictError({ missing, unexpected, mismatched, loaded: [] }, source);
  }
  for (const [parameter, tensor] of plan) parameter.assign(tensor);
  for (const [buffer, tensor] of bufferPlan) buffer.assign(tensor);
}
