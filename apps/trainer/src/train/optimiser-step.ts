import * as tf from '@tensorflow/tfjs-core';
import { clipGradientNorm, globalGradientNorm, type AdamW, type Parameter } from '@harma/core';
import type { BatchGradients, BatchGradientsOptions, TrainingBatch } from '@harma/losses';
import type { TrainConfig } from '../config/train-config';
import type { MetricsLog, StepRecord } from './metrics-log';

/** A loss that is not a finite number: the run stops, the last checkpoint stays as it was. Epoch and step count from 1. */
export class NonFiniteLossError extends Error {
  constructor(readonly epoch: number, readonly step: number, readonly value: number) {
    super(`loss is ${value} at epoch ${epoch}, step ${step}; the last checkpoint is kept (lower the learning rate or set training.gradientClip)`);
    this.name = 'NonFiniteLossError';
  }
}

/** Loss terms and gradients of one batch: `batchGradients` on this thread, or the data-parallel threads'. */
export type StepGradients = (batch: TrainingBatch, options: BatchGradientsOptions) => BatchGradients;

/** What every optimiser step of a run uses. */
export interface OptimiserStepContext {
  gradients: StepGradients;
  optimiser: AdamW;
  /** The objective's `temp`, whose value each metrics line records. */
  temperature: Parameter;
  training: TrainConfig['training'];
  log: MetricsLog;
}

/** Where a step falls in the run (counted from 1), and its learning rate (the schedule's value for `globalStep − 1`). */
export interface StepPosition {
  epoch: number;
  /** The step's number within its epoch. */
  step: number;
  /** The step's number within the run. */
  globalStep: number;
  lr: number;
}

/**
 * One optimiser step: the batch's loss and gradients, a check that both are finite (else
 * `NonFiniteLossError`, before anything changes), the optional global-norm clipping, AdamW at
 * `position.lr`, and the step's line in `metrics.jsonl`, which it returns.
 */
export async function optimiserStep(context: OptimiserStepContext, batch: TrainingBatch, position: StepPosition): Promise<StepRecord> {
  const started = performance.now();
  const { training } = context;
  const { terms, gradients } = context.gradients(batch, { loss: training.loss, microBatchSize: training.microBatchSize });
  if (!Number.isFinite(terms.total)) {
    tf.dispose([...gradients.values()]);
    throw new NonFiniteLossError(position.epoch, position.step, terms.total);
  }
  const { applied, gradNorm } = clipped(gradients, training.gradientClip);
  if (!Number.isFinite(gradNorm)) {
    tf.dispose([...applied.values()]);
    throw new NonFiniteLossError(position.epoch, position.step, gradNorm);
  }
  context.optimiser.step(applied, { lr: position.lr });
  tf.dispose([...applied.values()]);
  const record: StepRecord = {
    type: 'step', epoch: position.epoch, step: position.step, globalStep: position.globalStep, lr: position.lr,
    temp: context.temperature.value.dataSync()[0] as number,
    loss: terms.total, contrastive: terms.contrastive, triplet: terms.triplet,
    ...(terms.uniformity !== undefined ? { uniformity: terms.uniformity } : {}),
    gradNorm, seconds: (performance.now() - started) / 1000,
  };
  await context.log.append(record);
  return record;
}

/** The gradients to apply (clipped to `maxNorm` when set; the given ones are then disposed) and their global norm before clipping. */
function clipped(gradients: Map<string, tf.Tensor>, maxNorm: number | undefined): { applied: Map<string, tf.Tensor>; gradNorm: number } {
  if (maxNorm === undefined) return { applied: gradients, gradNorm: globalGradientNorm(gradients) };
  const result = clipGradientNorm(gradients, maxNorm);
  tf.dispose([...gradients.values()]);
  return { applied: result.gradients, gradNorm: result.norm };
}
