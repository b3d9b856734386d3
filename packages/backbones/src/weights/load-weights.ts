import { promises as fs } from 'node:fs';
import type * as tf from '@tensorflow/tfjs-core';
import { SafetensorsError, hostToTensor, loadSafetensors } from '@harma/core';
import { huggingFaceClipToOpenClip, isHuggingFaceClip } from './hugging-face-clip';
import { selectStateDict, type CheckpointLayout } from './torch/checkpoint-layout';
import { TorchCheckpoint } from './torch/torch-checkpoint';
import { WeightFileError } from './weight-file-error';

/** Container format of a weight file. */
export type WeightFileFormat = 'safetensors' | 'pytorch-zip';

/** What `readWeightFile` found in a file. */
export interface WeightFileInfo {
  file: string;
  format: WeightFileFormat;
  /** Where the state dict sat in a PyTorch checkpoint; `flat` for safetensors. */
  layout: CheckpointLayout | 'flat';
  /** Names were Hugging Face `CLIPModel` names, converted to open_clip's. */
  convertedFromHuggingFace: boolean;
  /** Names dropped because they are never parameters (OpenAI's `attn_mask`, `input_resolution`, …). */
  dropped: string[];
}

export interface WeightFile {
  /** Tensors under open_clip names (floats as float32, integers as int32); the caller owns them. */
  tensors: Map<string, tf.Tensor>;
  info: WeightFileInfo;
}

/** Tensors OpenAI's CLIP files carry that are not parameters of any CLIP (open_clip drops them too). */
function isNeverAParameter(name: string): boolean {
  return name === 'input_resolution' || name === 'context_length' || name === 'vocab_size' || name === 'attn_mask' || name.endsWith('.attn_mask');
}

async function sniff(file: string): Promise<WeightFileFormat> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    throw new WeightFileError(file, `cannot open (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    const head = new Uint8Array(9);
    const { bytesRead } = await handle.read(head, 0, 9, 0);
    if (bytesRead === 0) throw new WeightFileError(file, 'the file is empty');
    // Safetensors first: its 8-byte header length may begin with any byte (0x80, "PK"), but its JSON header follows at once.
    if (bytesRead === 9 && head[8] === 0x7b) return 'safetensors';
    if (head[0] === 0x50 && head[1] === 0x4b) return 'pytorch-zip';
    if (head[0] === 0x80) {
      throw new WeightFileError(
        file,
        "a bare pickle: PyTorch's legacy format (saved before 1.6 or with _use_new_zipfile_serialization=False), which is not read; " +
          're-save it with torch.save(state_dict, path) from PyTorch ≥ 1.6, or convert it to safetensors',
      );
    }
    return 'safetensors';
  } finally {
    await handle.close();
  }
}

async function readTorchFile(file: string): Promise<{ tensors: Map<string, tf.Tensor>; layout: CheckpointLayout; dropped: string[] }> {
  const checkpoint = await TorchCheckpoint.open(file);
  try {
    const { layout, tensors: refs } = selectStateDict(checkpoint.root, file, checkpoint.scriptClasses);
    // Dropped before reading: their bytes are never needed.
    const dropped = [...refs.keys()].filter(isNeverAParameter);
    const hosts = await checkpoint.readTensors(new Map([...refs].filter(([name]) => !isNeverAParameter(name))));
    const tensors = new Map<string, tf.Tensor>();
    try {
      for (const [name, host] of hosts) tensors.set(name, hostToTensor(host, `${file}: ${name}`));
    } catch (error) {
      for (const tensor of tensors.values()) tensor.dispose();
      throw error instanceof WeightFileError ? error : new WeightFileError(file, (error as Error).message);
    }
    return { tensors, layout, dropped };
  } finally {
    checkpoint.close();
  }
}

/** One file's tensors under the names it stores (never-parameters dropped), before any renaming. */
async function readStoredTensors(file: string): Promise<{ tensors: Map<string, tf.Tensor>; format: WeightFileFormat; layout: WeightFileInfo['layout']; dropped: string[] }> {
  const format = await sniff(file);
  let tensors: Map<string, tf.Tensor>;
  let layout: WeightFileInfo['layout'] = 'flat';
  const dropped: string[] = [];
  if (format === 'pytorch-zip') {
    const read = await readTorchFile(file);
    ({ tensors, layout } = read);
    dropped.push(...read.dropped);
  } else {
    try {
      tensors = (await loadSafetensors(file)).tensors;
    } catch (error) {
      if (error instanceof SafetensorsError) {
        throw new WeightFileError(file, `not a weight file HarMA.js reads (safetensors or a PyTorch zip checkpoint): ${error.message.slice(file.length + 2)}`);
      }
      throw error;
    }
  }
  for (const name of [...tensors.keys()].filter(isNeverAParameter)) {
    tensors.get(name)?.dispose();
    tensors.delete(name);
    dropped.push(name);
  }
  return { tensors, format, layout, dropped };
}

/** Hugging Face `CLIPModel` names → open_clip's; other state dicts are returned as they are. Consumes `tensors`. */
function toOpenClipNames(tensors: Map<string, tf.Tensor>, source: string): { tensors: Map<string, tf.Tensor>; converted: boolean } {
  if (!isHuggingFaceClip(tensors.keys())) return { tensors, converted: false };
  try {
    return { tensors: huggingFaceClipToOpenClip(tensors, source), converted: true };
  } catch (error) {
    for (const tensor of tensors.values()) tensor.dispose();
    throw error;
  }
}

/**
 * Read one weight file into tensors under open_clip names, whatever format users hold: safetensors
 * (open_clip, HarMA, or Hugging Face `CLIPModel` names, converted), or a PyTorch zip checkpoint
 * (`.pt`/`.pth`/`.bin`; plain state dict, `{'state_dict': …}`, HarMA's `{'model': …}`, or a
 * TorchScript archive) read without Python.
 */
export async function readWeightFile(file: string): Promise<WeightFile> {
  const { tensors: stored, format, layout, dropped } = await readStoredTensors(file);
  const { tensors, converted } = toOpenClipNames(stored, file);
  return { tensors, info: { file, format, layout, convertedFromHuggingFace: converted, dropped } };
}

/**
 * Read one or several weight files into one state dict under open_clip names (see
 * `readWeightFile` for the formats). Files are merged in order; a name given by two files is an
 * error naming both. Hugging Face names are converted after the merge, so the shards of a
 * checkpoint (`model-00001-of-00002.safetensors`, …) may split a layer's q/k/v projections between
 * them. The caller owns (and disposes) the tensors.
 */
export async function loadWeights(files: string | readonly string[]): Promise<Map<string, tf.Tensor>> {
  const list = typeof files === 'string' ? [files] : [...files];
  if (list.length === 0) throw new Error('loadWeights: no weight file given');
  const merged = new Map<string, tf.Tensor>();
  const origin = new Map<string, string>();
  try {
    for (const file of list) {
      const { tensors } = await readStoredTensors(file);
      for (const [name, tensor] of tensors) {
        if (merged.has(name)) {
          for (const t of tensors.values()) t.dispose();
          throw new WeightFileError(file, `also given by ${origin.get(name)}: a name may come from one file only`, name);
        }
        merged.set(name, tensor);
        origin.set(name, file);
      }
    }
  } catch (error) {
    for (const tensor of merged.values()) tensor.dispose();
    throw error;
  }
  return toOpenClipNames(merged, list.join(', ')).tensors;
}
