import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { getLogger, writeFileAtomic, type Logger } from '@harma/core';
import { readEvalAnnotations, type Batch, type BatchLoader, type EvalAnnotations } from '@harma/data';
import { batchGradients, type TrainingBatch } from '@harma/losses';
import type { RetrievalMetrics } from '@harma/metrics';
import type { TrainConfig } from '../config/train-config';
import type { TrainingModel } from '../model/build-model';
import { createTfjsEncoder, evaluateSplit, type SplitEvaluation } from '@harma/inference';
import { renderHtmlReport } from '../report/html-report';
import { startStepThreads } from '../parallel/training-threads';
import type { DataParallelGradients } from '../parallel/data-parallel';
import { MetricsLog, type EvaluationRecord } from './metrics-log';
import { optimiserStep, type OptimiserStepContext, type StepGradients } from './optimiser-step';
import { ProgressDisplay } from './progress-display';
import { restoreTrainedWeights, saveTrainedWeights } from './trained-weights';
import { openTrainingSession, type TrainingSession } from './training-session';
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

/** One run as its parts see it; `progress` and `bestValidation` change as it goes. */
interface Run {
  config: TrainConfig;
  options: TrainRunOptions;
  file: (name: keyof typeof RUN_FILES) => string;
  session: TrainingSession;
  log: MetricsLog;
  display: ProgressDisplay;
  logger: Logger;
  /** What the state file records: where the run is and its best validation r_mean. */
  progress: RunProgress;
  bestValidation?: RetrievalMetrics;
  started: number;
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
  const file = (name: keyof typeof RUN_FILES): string => path.join(config.output, RUN_FILES[name]);
  const adapterType = options.adapterType ?? config.adapter.type;
  const fingerprint = fingerprintOf(config, adapterType);
  await prepareOutput(config, adapterType, file, options.resume ?? false);
  const session = await openTrainingSession(config, adapterType);
  const run: Run = {
    config, options, file, session, logger, started,
    log: new MetricsLog(file('metrics')),
    display: new ProgressDisplay(options.progress ?? true),
    progress: { epoch: 0, stepInEpoch: 0, globalStep: 0, bestValRMean: -1, bestEpoch: -1, fingerprint },
  };
  let parallel: DataParallelGradients | undefined;
  try {
    if (options.resume) await resume(run);
    else await fs.rm(file('metrics'), { force: true });
    const counts = session.model.countParameters();
    logger.info(
      { trainable: counts.trainable, total: counts.total, percent: Number(((100 * counts.trainable) / counts.total).toFixed(3)), steps: session.totalSteps, warmup: session.schedule.warmupSteps },
      `training ${adapterType}: ${counts.trainable.toLocaleString('en')} of ${counts.total.toLocaleString('en')} parameters`,
    );
    parallel = await startStepThreads(config, adapterType, session.model, session.trainable);
    const step = stepContext(run, parallel);
    run.display.start(session.totalSteps, run.progress.globalStep);
    for (let epoch = run.progress.epoch; epoch < config.training.epochs; epoch++) {
      if (!(await trainEpoch(run, epoch, step))) {
        run.display.stop();
        return resultOf(run, false);
      }
      await endEpoch(run, epoch);
    }
    run.display.stop();
    const test = options.skipTest ? undefined : await testWithBest(run);
    const result = resultOf(run, true, test);
    await writeFileAtomic(file('summary'), `${JSON.stringify({ ...result, test: test?.metrics, testDiagnostics: test?.diagnostics }, null, 2)}\n`);
    await writeFileAtomic(file('report'), renderHtmlReport(config.name, await run.log.read()));
    return result;
  } finally {
    run.display.stop();
    await parallel?.close();
    await session.close();
  }
}

/** Create the output folder, refuse to overwrite a run (or to resume none), record the config. */
async function prepareOutput(config: TrainConfig, adapterType: string, file: Run['file'], resuming: boolean): Promise<void> {
  await fs.mkdir(config.output, { recursive: true });
  if (!resuming && hasTrainingState(file('state'))) {
    throw new Error(`${config.output} already holds a run (${RUN_FILES.state}); pass --resume to continue it or choose another output folder`);
  }
  if (resuming && !hasTrainingState(file('state'))) throw new Error(`--resume: ${file('state')} does not exist`);
  await writeFileAtomic(file('config'), `${JSON.stringify({ ...config, adapter: { ...config.adapter, type: adapterType } }, null, 2)}\n`);
}

/** Restore the saved parameters, moments and progress; drop the metrics lines the killed run logged after its state. */
async function resume(run: Run): Promise<void> {
  const { session } = run;
  run.progress = await loadTrainingState(run.file('state'), session.trainable, session.optimiser, run.progress.fingerprint, session.model.backbone.module.namedBuffers());
  const { epoch, stepInEpoch, globalStep, bestEpoch } = run.progress;
  await run.log.truncateTo(globalStep, epoch);
  const previous = (await run.log.read()).filter((r): r is EvaluationRecord => r.type === 'evaluation' && r.split === 'val' && r.epoch === bestEpoch);
  run.bestValidation = previous.at(-1)?.metrics;
  run.logger.info({ epoch: epoch + 1, step: stepInEpoch, globalStep }, 'resuming');
}

/**
 * The optimiser step's context: gradients from the data-parallel threads when there are any, else
 * from this thread, with the backbone in training mode as the official loop's `model.train()`
 * (evaluation switches it back, see `evaluate`).
 */
function stepContext(run: Run, parallel: DataParallelGradients | undefined): OptimiserStepContext {
  const { model, trainable, optimiser } = run.session;
  const gradients: StepGradients = (batch, options) => {
    model.backbone.setTraining?.(true);
    return parallel ? parallel.batchGradients(batch, options) : batchGradients(model.backbone, model.temperature, trainable, batch, options);
  };
  return { gradients, optimiser, temperature: model.temperature, training: run.config.training, log: run.log };
}

/**
 * The optimiser steps of one epoch from where the run stands; saves the state every
 * `checkpointEverySteps`. False when `stopAfterSteps` is reached (the state is saved first).
 */
async function trainEpoch(run: Run, epoch: number, step: OptimiserStepContext): Promise<boolean> {
  const { session, options } = run;
  for await (const batch of session.loader.epoch(epoch, { fromStep: run.progress.stepInEpoch })) {
    const k = run.progress.globalStep;
    const lr = run.config.training.lr * session.schedule.factor(k);
    const record = await optimiserStep(step, trainingBatch(batch), { epoch, step: run.progress.stepInEpoch, globalStep: k, lr });
    run.progress = { ...run.progress, stepInEpoch: run.progress.stepInEpoch + 1, globalStep: k + 1 };
    run.display.update(run.progress.globalStep, { epoch, loss: record.loss, lr });
    const every = options.checkpointEverySteps;
    if (every !== undefined && every > 0 && run.progress.globalStep % every === 0) await saveState(run);
    if (options.stopAfterSteps !== undefined && run.progress.globalStep >= options.stopAfterSteps) {
      await saveState(run);
      return false;
    }
  }
  return true;
}

/** What the optimiser step reads of a loader batch (which always has captions here). */
function trainingBatch(batch: Batch): TrainingBatch {
  return { pixels: batch.pixels, tokens: batch.tokens as Int32Array, imageIds: batch.imageIds, size: batch.size, imageSize: batch.imageSize };
}

/**
 * After an epoch: validation when due (every `evaluation.everyEpochs` and after the last epoch),
 * keeping `best` by r_mean; then `last`, the resumable state and the report.
 */
async function endEpoch(run: Run, epoch: number): Promise<void> {
  const { config, session, file } = run;
  const lastEpoch = epoch === config.training.epochs - 1;
  if ((epoch + 1) % config.evaluation.everyEpochs === 0 || lastEpoch) await validate(run, epoch);
  await saveTrainedWeights(file('last'), session.model, config.training.trainable);
  run.progress = { ...run.progress, epoch: epoch + 1, stepInEpoch: 0 };
  await saveState(run);
  await writeFileAtomic(file('report'), renderHtmlReport(config.name, await run.log.read()));
}

async function validate(run: Run, epoch: number): Promise<void> {
  const { config, session } = run;
  const evaluation = await evaluate(session.model, session.validation, session.validationLoader, config);
  await run.log.append({ type: 'evaluation', split: 'val', epoch, globalStep: run.progress.globalStep, metrics: evaluation.metrics, diagnostics: evaluation.diagnostics, seconds: evaluation.seconds });
  run.logger.info({ epoch: epoch + 1, ...evaluation.metrics }, `validation after epoch ${epoch + 1}: r_mean ${evaluation.metrics.r_mean.toFixed(2)}`);
  if (evaluation.metrics.r_mean > run.progress.bestValRMean) {
    await saveTrainedWeights(run.file('best'), session.model, config.training.trainable);
    run.progress = { ...run.progress, bestValRMean: evaluation.metrics.r_mean, bestEpoch: epoch };
    run.bestValidation = evaluation.metrics;
  }
}

/** The test split, evaluated once with the best adapters (the last ones when no validation ran). */
async function testWithBest(run: Run): Promise<SplitEvaluation> {
  const { config, session, progress } = run;
  if (progress.bestEpoch >= 0) await restoreTrainedWeights(run.file('best'), session.model);
  const annotations = await readEvalAnnotations(config.data.test, { maxWords: config.data.maxWords });
  const test = await evaluate(session.model, annotations, undefined, config);
  await run.log.append({ type: 'evaluation', split: 'test', epoch: progress.bestEpoch, globalStep: progress.globalStep, metrics: test.metrics, diagnostics: test.diagnostics, seconds: test.seconds });
  run.logger.info({ bestEpoch: progress.bestEpoch + 1, ...test.metrics }, `test with the best adapters (epoch ${progress.bestEpoch + 1}): r_mean ${test.metrics.r_mean.toFixed(2)}`);
  return test;
}

function saveState(run: Run): Promise<void> {
  return saveTrainingState(run.file('state'), run.session.trainable, run.session.optimiser, run.progress, run.session.model.backbone.module.namedBuffers());
}

function resultOf(run: Run, completed: boolean, test?: SplitEvaluation): TrainRunResult {
  const { progress } = run;
  return {
    output: run.config.output, completed, globalStep: progress.globalStep, bestEpoch: progress.bestEpoch, bestValidation: run.bestValidation,
    ...(completed ? { test } : {}),
    parameters: run.session.model.countParameters(), seconds: (performance.now() - run.started) / 1000,
  };
}

async function evaluate(model: TrainingModel, annotations: EvalAnnotations, loader: BatchLoader | undefined, config: TrainConfig): Promise<SplitEvaluation> {
  // The official `model.eval()`: a CLIP ResNet's BatchNorm reads its running statistics.
  model.backbone.setTraining?.(false);
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
