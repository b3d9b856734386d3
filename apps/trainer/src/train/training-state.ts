import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { loadSafetensors, writeSafetensors, type AdamW, type ModuleBuffer, type Parameter } from '@harma/core';

/** Progress of a run, enough to continue it exactly where it stopped. Epochs count from 1, as everywhere a person reads them. */
export interface RunProgress {
  /** Epochs completed; the one in progress is `epochsDone + 1`. */
  epochsDone: number;
  /** Steps of the epoch in progress already applied; when that is all of them, only its validation is left. */
  stepInEpoch: number;
  /** Optimiser steps applied since the start of the run. */
  globalStep: number;
  /** Best validation r_mean so far and the epoch (from 1) it came from (0: none yet; r_mean −1). */
  bestValRMean: number;
  bestEpoch: number;
  /** Fingerprint of the settings that must not change across a resume. */
  fingerprint: string;
}

/** Progress as states written before epochs counted from 1 recorded it (`epoch` and `bestEpoch` from 0). */
interface ZeroBasedProgress {
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  bestValRMean: number;
  bestEpoch: number;
  fingerprint: string;
}

function readProgress(json: string | undefined): RunProgress | null {
  const progress = JSON.parse(json ?? 'null') as RunProgress | ZeroBasedProgress | null;
  if (progress === null || 'epochsDone' in progress) return progress;
  const { epoch, bestEpoch, ...rest } = progress;
  return { ...rest, epochsDone: epoch, bestEpoch: bestEpoch + 1 };
}

const FORMAT = 'harma-js-training-state';

/**
 * Save what resuming needs — the trainable parameters, the optimiser moments and step count, the
 * model's buffers (a CLIP ResNet's BatchNorm running statistics, which every training step
 * updates), and the run's progress — in ONE safetensors file written atomically, so a kill at any
 * moment leaves either the previous complete state or the new one (never parameters from one step
 * with moments from another).
 */
export async function saveTrainingState(
  file: string,
  parameters: ReadonlyArray<readonly [string, Parameter]>,
  optimiser: AdamW,
  progress: RunProgress,
  buffers: ReadonlyArray<readonly [string, ModuleBuffer]> = [],
): Promise<void> {
  const state = optimiser.state();
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, parameter] of parameters) tensors.set(`param/${name}`, parameter.value);
  for (const [name, buffer] of buffers) tensors.set(`buffer/${name}`, buffer.value);
  for (const [name, { m, v }] of state.moments) {
    tensors.set(`adam_m/${name}`, m);
    tensors.set(`adam_v/${name}`, v);
  }
  try {
    await writeSafetensors(file, tensors, {
      metadata: { format: FORMAT, optimiser_step: String(state.step), progress: JSON.stringify(progress) },
    });
  } finally {
    for (const { m, v } of state.moments.values()) tf.dispose([m, v]);
  }
}

/**
 * Restore a saved state into the given parameters, buffers and optimiser; returns the progress.
 * Every trainable parameter and every buffer must be in the file with its shape, and the
 * fingerprint must match.
 */
export async function loadTrainingState(
  file: string,
  parameters: ReadonlyArray<readonly [string, Parameter]>,
  optimiser: AdamW,
  fingerprint: string,
  buffers: ReadonlyArray<readonly [string, ModuleBuffer]> = [],
): Promise<RunProgress> {
  const { metadata, tensors } = await loadSafetensors(file);
  try {
    if (metadata.format !== FORMAT) throw new Error(`${file}: not a training state (format ${metadata.format ?? 'missing'})`);
    const progress = readProgress(metadata.progress);
    if (progress === null) throw new Error(`${file}: no progress record`);
    if (progress.fingerprint !== fingerprint) {
      throw new Error(`${file}: saved by a run with other settings (model, data or schedule changed); start a new output folder instead of --resume`);
    }
    const moments = new Map<string, { m: tf.Tensor; v: tf.Tensor }>();
    for (const [name, parameter] of parameters) {
      const value = tensors.get(`param/${name}`);
      const m = tensors.get(`adam_m/${name}`);
      const v = tensors.get(`adam_v/${name}`);
      if (!value || !m || !v) throw new Error(`${file}: no saved value or moments for '${name}'`);
      if (!tf.util.arraysEqual(value.shape, parameter.shape)) {
        throw new Error(`${file}: '${name}' has shape [${value.shape}], the model's is [${parameter.shape}]`);
      }
      moments.set(name, { m, v });
    }
    for (const [name, buffer] of buffers) {
      const value = tensors.get(`buffer/${name}`);
      if (!value) throw new Error(`${file}: no saved value for the buffer '${name}'`);
      if (!tf.util.arraysEqual(value.shape, buffer.shape)) throw new Error(`${file}: buffer '${name}' has shape [${value.shape}], the model's is [${buffer.shape}]`);
    }
    for (const [name, parameter] of parameters) parameter.assign(tensors.get(`param/${name}`) as tf.Tensor);
    for (const [name, buffer] of buffers) buffer.assign(tensors.get(`buffer/${name}`) as tf.Tensor);
    optimiser.loadState({ step: Number(metadata.optimiser_step), moments });
    return progress;
  } finally {
    for (const tensor of tensors.values()) tensor.dispose();
  }
}

export function hasTrainingState(file: string): boolean {
  return existsSync(file);
}
