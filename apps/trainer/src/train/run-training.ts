import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, LinearSchedule, clipGradientNorm, getLogger, writeFileAtomic } from '@harma/core';
import { BatchLoader, readEvalAnnotations, readTrainAnnotations, trainSamples, type EvalAnnotations } from '@harma/data';
import type { RetrievalMetrics } from '@harma/metrics';
import type { TrainConfig } from '../config/train-config';
import { buildTrainingModel, type TrainingModel } from '../model/build-model';
import { createTfjsEncoder, evaluateSplit, evaluationLoader, type SplitEvaluation } from '@harma/inference';
import { renderHtmlReport } from '../report/html-report';
import { startStepThreads } from '../parallel/training-threads';
import type { DataParallelGradients } from '../parallel/data-parallel';
import { batchGradients } from './batch-gradients';
import { MetricsLog, type EvaluationRecord } from './metrics-log';
import { ProgressDisplay } from './progress-display';
import { restoreTrainedWeights, saveTrainedWeights } from './trained-weights';
import { hasTrainingState, loadTrainingState, saveTrainingState, type RunProgress } from './training-state';

/** Files a run writes into its output folder. */
export const RUN_FILES = {
  state: 'state.safetensors',
  best: 'best.safetensors',
  last: 'last.safetensors',
  metrics: 'metrics.jsonl',
  report: 'report.html',
  summary: 'summary.json',
  config: 'config.json',
} as const;

/** A loss that is not a finite number: the run stops, the last checkpoint stays as it was. */
export class NonFiniteLossError extends Error {
  constructor(readonly epoch: number, readonly step: number, readonly value: number) {
    super(`loss is ${value} at epoch ${epoch + 1}, step ${step + 1}; the last checkpoint is kept (lower the learning rate or set training.gradientClip)`);
    this.name = 'NonFiniteLossError';
  }
}

export interface TrainRunOptions {
  /** Continue from the output folder's saved state (error when it has none). */
  resume?: boolean;
  /** Override the config's adapter method. */
  adapterType?: TrainConfig['adapter']['type'];
  /** Stop (after saving the state) once this many optimiser steps are done: for tests and time-boxed runs. */
  stopAfterSteps?: number;
  /** Save the resumable state every this many steps, besides every epoch end. Default: epoch ends only. */
  checkpointEverySteps?: number;
  /** Progress bar / periodic log lines. Default: true. */
  progress?: boolean;
  /** Skip the final test evaluation. */
  skipTest?: boolean;
}

export interface TrainRunResult {
  output: string;
  /** False when `stopAfterSteps` ended the run early. */
  completed: boolean;
  globalStep: number;
  bestEpoch: number;
  bestValidation?: RetrievalMetrics;
  test?: SplitEvaluation;
  parameters: { total: number; trainable: number };
  seconds: number;
}

function fingerprintOf(config: TrainConfig, adapterType: string): string {
  const { output: _output, evaluation: _evaluation, ...rest } = config;
  // Threads do not change what is computed: a run may resume on another number of them.
  const { threads: _threads, ...training } = rest.training;
  return createHash('sha256').update(JSON.stringify({ ...rest, training, adapterType })).digest('hex').slice(0, 16);
}

/**
 * Train as the paper does: AdamW with a linear warm-up schedule over epochs × batches, the HarMA
 * objective on every batch (accumulated exactly when micro-batched), validation after every epoch
 * keeping the best adapters by validation r_mean (the original picks it on the test split; we do
 * not), and the test split evaluated once at the end with the best adapters. Everything is written
 * to `config.output`; `resume` continues a killed run to the same result.
 */
export async function runTraining(config: TrainConfig, options: TrainRunOptions = {}): Promise<TrainRunResult> {
  const started = performance.now();
  const logger = getLogger('train');
  const output = config.output;
  await fs.mkdir(output, { recursive: true });
  const file = (name: keyof typeof RUN_FILES): string => path.join(output, RUN_FILES[name]);
  const adapterType = options.adapterType ?? config.adapter.type;
  const fingerprint = fingerprintOf(config, adapterType);
  if (!options.resume && hasTrainingState(file('state'))) {
    throw new Error(`${output} already holds a run (${RUN_FILES.state}); pass --resume to continue it or choose another output folder`);
  }
  if (options.resume && !hasTrainingState(file('state'))) throw new Error(`--resume: ${file('state')} does not exist`);
  await writeFileAtomic(file('config'), `${JSON.stringify({ ...config, adapter: { ...config.adapter, type: adapterType } }, null, 2)}\n`);

  const model = await buildTrainingModel(config, { adapterType });
  const train = await readTrainAnnotations(config.data.train, { maxWords: config.data.maxWords });
  const validation = await readEvalAnnotations(config.data.val, { maxWords: config.data.maxWords });
  const imageSize = model.backbone.preprocess.size;
  const { mean, std } = model.backbone.preprocess;
  const loader = new BatchLoader({
    samples: trainSamples(train),
    imageRoot: config.data.images,
    tokenizer: model.tokenizer,
    batchSize: config.training.batchSize,
    transform: { mode: config.data.augment === 'paper' ? 'train' : 'test', size: imageSize, mean, std },
    shuffle: true,
    dropLast: true,
    seed: config.seed,
    workers: config.data.workers,
    cache: config.data.cacheImages,
    onMissingImage: config.data.missingImages,
  });
  const validationLoader = evaluationLoader(validation, {
    imageRoot: config.data.images,
    preprocess: model.backbone.preprocess,
    batchSize: config.evaluation.batchSize,
    workers: config.data.workers,
    cacheImages: config.data.cacheImages,
    onMissingImage: config.data.missingImages,
  });
  const trainable = model.trainableParameters();
  const optimiser = new AdamW(trainable, {
    lr: config.training.lr,
    betas: config.training.betas,
    eps: config.training.eps,
    weightDecay: config.training.weightDecay,
  });
  const totalSteps = config.training.epochs * loader.batchesPerEpoch;
  const schedule = new LinearSchedule({ totalSteps, warmupFraction: config.training.warmupFraction });
  const log = new MetricsLog(file('metrics'));
  let progress: RunProgress = { epoch: 0, stepInEpoch: 0, globalStep: 0, bestValRMean: -1, bestEpoch: -1, fingerprint };
  let bestValidation: RetrievalMetrics | undefined;
  const display = new ProgressDisplay(options.progress ?? true);
  let parallel: DataParallelGradients | undefined;
  try {
    if (options.resume) {
      progress = await loadTrainingState(file('state'), trainable, optimiser, fingerprint);
      await log.truncateTo(progress.globalStep, progress.epoch);
      const previous = (await log.read()).filter((r): r is EvaluationRecord => r.type === 'evaluation' && r.split === 'val' && r.epoch === progress.bestEpoch);
      bestValidation = previous.at(-1)?.metrics;
      logger.info({ epoch: progress.epoch + 1, step: progress.stepInEpoch, globalStep: progress.globalStep }, 'resuming');
    } else {
      await fs.rm(file('metrics'), { force: true });
    }
    const counts = model.countParameters();
    logger.info(
      { trainable: counts.trainable, total: counts.total, percent: Number(((100 * counts.trainable) / counts.total).toFixed(3)), steps: totalSteps, warmup: schedule.warmupSteps },
      `training ${adapterType}: ${counts.trainable.toLocaleString('en')} of ${counts.total.toLocaleString('en')} parameters`,
    );
    parallel = await startStepThreads(config, adapterType, model, trainable);
    display.start(totalSteps, progress.globalStep);

    for (let epoch = progress.epoch; epoch < config.training.epochs; epoch++) {
      for await (const batch of loader.epoch(epoch, { fromStep: progress.stepInEpoch })) {
        const stepStarted = performance.now();
        const k = progress.globalStep;
        const lr = config.training.lr * schedule.factor(k);
        const stepBatch = { pixels: batch.pixels, tokens: batch.tokens as Int32Array, imageIds: batch.imageIds, size: batch.size, imageSize: batch.imageSize };
        const stepOptions = { microBatchSize: config.training.microBatchSize, objective: { weights: config.training.loss, margin: config.training.loss.margin, gamma: config.training.loss.gamma } };
        const { terms, gradients } = parallel
          ? parallel.batchGradients(stepBatch, stepOptions)
          : batchGradients(model.backbone, model.temperature, trainable, stepBatch, stepOptions);
        if (!Number.isFinite(terms.total)) {
          tf.dispose([...gradients.values()]);
          throw new NonFiniteLossError(epoch, progress.stepInEpoch, terms.total);
        }
        let applied = gradients;
        let gradNorm: number;
        if (config.training.gradientClip !== undefined) {
          const clipped = clipGradientNorm(gradients, config.training.gradientClip);
          tf.dispose([...gradients.values()]);
          applied = clipped.gradients;
          gradNorm = clipped.norm;
        } else {
          gradNorm = Math.sqrt(tf.tidy(() => tf.addN([...gradients.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0] as number);
        }
        if (!Number.isFinite(gradNorm)) {
          tf.dispose([...applied.values()]);
          throw new NonFiniteLossError(epoch, progress.stepInEpoch, gradNorm);
        }
        optimiser.step(applied, { lr });
        tf.dispose([...applied.values()]);
        progress = { ...progress, stepInEpoch: progress.stepInEpoch + 1, globalStep: k + 1 };
        await log.append({
          type: 'step', epoch, step: progress.stepInEpoch - 1, globalStep: k, lr,
          temp: model.temperature.value.dataSync()[0] as number,
          loss: terms.total, contrastive: terms.contrastive, triplet: terms.triplet,
          ...(terms.uniformity !== undefined ? { uniformity: terms.uniformity } : {}),
          gradNorm, seconds: (performance.now() - stepStarted) / 1000,
        });
        display.update(progress.globalStep, { epoch, loss: terms.total, lr });
        const every = options.checkpointEverySteps;
        if (every !== undefined && every > 0 && progress.globalStep % every === 0) await saveTrainingState(file('state'), trainable, optimiser, progress);
        if (options.stopAfterSteps !== undefined && progress.globalStep >= options.stopAfterSteps) {
          await saveTrainingState(file('state'), trainable, optimiser, progress);
          display.stop();
          return {
            output, completed: false, globalStep: progress.globalStep, bestEpoch: progress.bestEpoch, bestValidation,
            parameters: model.countParameters(), seconds: (performance.now() - started) / 1000,
          };
        }
      }
      const lastEpoch = epoch === config.training.epochs - 1;
      if ((epoch + 1) % config.evaluation.everyEpochs === 0 || lastEpoch) {
        const evaluation = await evaluate(model, validation, validationLoader, config);
        await log.append({ type: 'evaluation', split: 'val', epoch, globalStep: progress.globalStep, metrics: evaluation.metrics, diagnostics: evaluation.diagnostics, seconds: evaluation.seconds });
        logger.info({ epoch: epoch + 1, ...evaluation.metrics }, `validation after epoch ${epoch + 1}: r_mean ${evaluation.metrics.r_mean.toFixed(2)}`);
        if (evaluation.metrics.r_mean > progress.bestValRMean) {
          await saveTrainedWeights(file('best'), model, config.training.trainable);
          progress = { ...progress, bestValRMean: evaluation.metrics.r_mean, bestEpoch: epoch };
          bestValidation = evaluation.metrics;
        }
      }
      await saveTrainedWeights(file('last'), model, config.training.trainable);
      progress = { ...progress, epoch: epoch + 1, stepInEpoch: 0 };
      await saveTrainingState(file('state'), trainable, optimiser, progress);
      await writeFileAtomic(file('report'), renderHtmlReport(config.name, await log.read()));
    }
    display.stop();

    let test: SplitEvaluation | undefined;
    if (!options.skipTest) {
      if (progress.bestEpoch >= 0) await restoreTrainedWeights(file('best'), model);
      const testAnnotations = await readEvalAnnotations(config.data.test, { maxWords: config.data.maxWords });
      test = await evaluate(model, testAnnotations, undefined, config);
      await log.append({ type: 'evaluation', split: 'test', epoch: progress.bestEpoch, globalStep: progress.globalStep, metrics: test.metrics, diagnostics: test.diagnostics, seconds: test.seconds });
      logger.info({ bestEpoch: progress.bestEpoch + 1, ...test.metrics }, `test with the best adapters (epoch ${progress.bestEpoch + 1}): r_mean ${test.metrics.r_mean.toFixed(2)}`);
    }
    const result: TrainRunResult = {
      output, completed: true, globalStep: progress.globalStep, bestEpoch: progress.bestEpoch, bestValidation, test,
      parameters: model.countParameters(), seconds: (performance.now() - started) / 1000,
    };
    await writeFileAtomic(file('summary'), `${JSON.stringify({ ...result, test: test?.metrics, testDiagnostics: test?.diagnostics }, null, 2)}\n`);
    await writeFileAtomic(file('report'), renderHtmlReport(config.name, await log.read()));
    return result;
  } finally {
    display.stop();
    await parallel?.close();
    optimiser.dispose();
    await loader.close();
    await validationLoader.close();
    model.dispose();
  }
}

async function evaluate(model: TrainingModel, annotations: EvalAnnotations, loader: BatchLoader | undefined, config: TrainConfig): Promise<SplitEvaluation> {
  return evaluateSplit(createTfjsEncoder(model.backbone, { ownsBackbone: false }), annotations, {
    imageRoot: config.data.images,
    tokenizer: model.tokenizer,
    preprocess: model.backbone.preprocess,
    batchSize: config.evaluation.batchSize,
    workers: config.data.workers,
    onMissingImage: config.data.missingImages,
    ...(loader ? { loader } : {}),
  });
}
