import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { getLogger, writeFileAtomic, type Logger } from '@harma/core';
import type { Batch } from '@harma/data';
import { batchGradients, type TrainingBatch } from '@harma/losses';
import type { RetrievalMetrics } from '@harma/metrics';
import { checkConfigFiles } from '../config/check-files';
import type { TrainConfig } from '../config/train-config';
import { createTfjsEncoder, evaluateSplit, type EvaluateSplitOptions, type SplitEvaluation } from '@harma/inference';
import { renderHtmlReport } from '../report/html-report';
import { startStepThreads } from '../parallel/training-threads';
import type { DataParallelGradients } from '../parallel/data-parallel';
import { MetricsLog, type EvaluationRecord } from './metrics-log';
import { optimiserStep, type OptimiserStepContext, type StepGradients } from './optimiser-step';
import { ProgressDisplay } from './progress-display';
import { checkBatchSize, readRunData } from './run-data';
import { RunInterrupted, interruptibleEncoder, stopRequested } from './run-interruption';
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
  /**
   * Stop gracefully once aborted (`harma train` aborts it on SIGINT and SIGTERM): a step in
   * progress finishes, a step not yet started and an evaluation in progress are abandoned, the
   * resumable state is saved atomically, and the run resolves with `interrupted: true`;
   * `resume` continues it to exactly the result of an uninterrupted run. Default: none.
   */
  signal?: AbortSignal;
}

export interface TrainRunResult {
  output: string;
  /** False when `stopAfterSteps` or `signal` ended the run early. */
  completed: boolean;
  /** True when `signal` stopped the run (its state is saved). */
  interrupted: boolean;
  /** Optimiser steps done, of `totalSteps`. */
  globalStep: number;
  totalSteps: number;
  /** Where the run stands: epochs completed, and steps done of the next one (of `stepsPerEpoch`). */
  epochsDone: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  /** The epoch (counted from 1) whose adapters validated best; absent before the first validation. */
  bestEpoch?: number;
  bestValidation?: RetrievalMetrics;
  test?: SplitEvaluation;
  parameters: { total: number; trainable: number };
  /** Images left out as missing or unreadable (`data.missingImages: skip`). */
  skippedImages: number;
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
  skippedImages: number;
  started: number;
}

/** How a stretch of training ended. */
type Outcome = 'done' | 'stopped' | 'interrupted';

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
 * not), and the test split evaluated once at the end with the best adapters. Before anything is
 * written, the files the config names and every image of every split are checked; an abort of
 * `options.signal` before the first step rejects with `RunInterrupted` and writes nothing. Everything
 * is written to `config.output`; `resume` continues a stopped or killed run to the same result.
 */
export async function runTraining(config: TrainConfig, options: TrainRunOptions = {}): Promise<TrainRunResult> {
  const started = performance.now();
  const logger = getLogger('train');
  const file = (name: keyof typeof RUN_FILES): string => path.join(config.output, RUN_FILES[name]);
  const adapterType = options.adapterType ?? config.adapter.type;
  const resuming = options.resume ?? false;
  // What can fail fails before the run folder exists: a failed start leaves nothing behind.
  checkConfigFiles(config, { splits: ['train', 'val', 'test'] });
  checkOutputFolder(config, file, resuming);
  const { signal } = options;
  const data = await readRunData(config, { splits: ['train', 'val', 'test'], progress: options.progress, ...(signal ? { signal } : {}) }).catch((error: unknown) => {
    throw signal?.aborted ? new RunInterrupted() : error;
  });
  const { train, val, test } = data as Required<typeof data>;
  checkBatchSize(config, train, data.skipped.length);
  const session = await openTrainingSession(config, adapterType, { train, val, test });
  let parallel: DataParallelGradients | undefined;
  try {
    parallel = await startStepThreads(config, adapterType, session.model, session.trainable);
    // Asked to stop while setting up: nothing has been written, and nothing will be.
    if (signal?.aborted) throw new RunInterrupted();
  } catch (error) {
    await parallel?.close();
    await session.close();
    throw error;
  }
  const run: Run = {
    config, options, file, session, logger, started, skippedImages: data.skipped.length,
    log: new MetricsLog(file('metrics')),
    display: new ProgressDisplay(options.progress ?? true),
    progress: { epochsDone: 0, stepInEpoch: 0, globalStep: 0, bestValRMean: -1, bestEpoch: 0, fingerprint: fingerprintOf(config, adapterType) },
  };
  const createdOutput = !existsSync(config.output);
  try {
    await writeRunConfig(config, adapterType, file);
    if (resuming) await resume(run);
    else await fs.rm(file('metrics'), { force: true });
    logStart(run, adapterType);
    run.display.start(session.totalSteps, run.progress.globalStep);
    const outcome = await trainEpochs(run, stepContext(run, parallel));
    run.display.stop();
    if (outcome !== 'done') return resultOf(run, outcome);
    let testEvaluation: SplitEvaluation | undefined;
    try {
      testEvaluation = options.skipTest ? undefined : await testWithBest(run);
    } catch (error) {
      // The state saved after the last epoch stays: a resumed run goes straight to the test.
      if (error instanceof RunInterrupted) return resultOf(run, 'interrupted');
      throw error;
    }
    const result = resultOf(run, 'done', testEvaluation);
    await writeFileAtomic(file('summary'), `${JSON.stringify({ ...result, test: testEvaluation?.metrics, testDiagnostics: testEvaluation?.diagnostics }, null, 2)}\n`);
    await writeFileAtomic(file('report'), renderHtmlReport(config.name, await run.log.read()));
    return result;
  } catch (error) {
    // A fresh run that fails before its first saved state leaves nothing to resume: remove what it wrote.
    if (!resuming && !hasTrainingState(file('state'))) await removeRunStart(config, file, createdOutput);
    throw error;
  } finally {
    run.display.stop();
    await parallel?.close();
    await session.close();
  }
}

/** Refuse to overwrite a run (or to resume none) before any work. */
function checkOutputFolder(config: TrainConfig, file: Run['file'], resuming: boolean): void {
  if (!resuming && hasTrainingState(file('state'))) {
    throw new Error(`${config.output} already holds a run (${RUN_FILES.state}); pass --resume to continue it or choose another output folder`);
  }
  if (resuming && !hasTrainingState(file('state'))) throw new Error(`--resume: ${file('state')} does not exist, so there is no run to continue in ${config.output}`);
}

/** Remove what a run that failed before its first saved state wrote: its files, and the folder when it made it and nothing else is there. */
async function removeRunStart(config: TrainConfig, file: Run['file'], createdOutput: boolean): Promise<void> {
  await Promise.all((['config', 'metrics', 'report'] as const).map((name) => fs.rm(file(name), { force: true })));
  if (createdOutput) await fs.rmdir(config.output).catch(() => undefined);
}

/** Create the output folder and record the config in it: the run starts now. */
async function writeRunConfig(config: TrainConfig, adapterType: string, file: Run['file']): Promise<void> {
  await fs.mkdir(config.output, { recursive: true });
  await writeFileAtomic(file('config'), `${JSON.stringify({ ...config, adapter: { ...config.adapter, type: adapterType } }, null, 2)}\n`);
}

/** `1 epoch`, `3 epochs`, `1,200 steps`. */
function count(n: number, noun: string): string {
  return `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}`;
}

function logStart(run: Run, adapterType: string): void {
  const { session, config } = run;
  const counts = session.model.countParameters();
  const percent = Number(((100 * counts.trainable) / counts.total).toFixed(3));
  const what = config.training.trainable === 'full' ? 'every parameter' : adapterType === 'none' ? 'the temperature alone' : `${adapterType} adapters`;
  run.logger.info(
    { details: { trainable: counts.trainable, total: counts.total, percent, steps: session.totalSteps, warmup: session.schedule.warmupSteps } },
    `training ${what}: ${counts.trainable.toLocaleString('en')} of ${counts.total.toLocaleString('en')} parameters (${percent} %), ` +
      `${count(config.training.epochs, 'epoch')} of ${count(session.loader.batchesPerEpoch, 'step')}, ${count(session.schedule.warmupSteps, 'warm-up step')}`,
  );
}

/** Restore the saved parameters, moments and progress; drop the metrics lines the stopped run logged after its state. */
async function resume(run: Run): Promise<void> {
  const { session, config } = run;
  run.progress = await loadTrainingState(run.file('state'), session.trainable, session.optimiser, run.progress.fingerprint, session.model.backbone.module.namedBuffers());
  const { epochsDone, stepInEpoch, globalStep, bestEpoch } = run.progress;
  await run.log.truncateTo(globalStep, epochsDone);
  const previous = (await run.log.read()).filter((r): r is EvaluationRecord => r.type === 'evaluation' && r.split === 'val' && r.epoch === bestEpoch);
  run.bestValidation = previous.at(-1)?.metrics;
  const perEpoch = session.loader.batchesPerEpoch;
  const where =
    epochsDone >= config.training.epochs
      ? 'after its last epoch: the test evaluation is next'
      : stepInEpoch >= perEpoch
        ? `after the steps of epoch ${epochsDone + 1}: its validation is next`
        : `at epoch ${epochsDone + 1}, step ${stepInEpoch + 1} of ${perEpoch.toLocaleString('en')}`;
  run.logger.info({ details: { epochsDone, stepInEpoch, globalStep } }, `resuming the run ${where} (${globalStep.toLocaleString('en')} of ${session.totalSteps.toLocaleString('en')} steps done)`);
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

/** The epochs from where the run stands, each with its validation. */
async function trainEpochs(run: Run, step: OptimiserStepContext): Promise<Outcome> {
  for (let epoch = run.progress.epochsDone + 1; epoch <= run.config.training.epochs; epoch++) {
    const outcome = await trainEpoch(run, epoch, step);
    if (outcome !== 'done') return outcome;
    try {
      await endEpoch(run, epoch);
    } catch (error) {
      // Validation was abandoned; the state saved before it stays, and a resumed run validates again.
      if (error instanceof RunInterrupted) return 'interrupted';
      throw error;
    }
  }
  return 'done';
}

/**
 * The optimiser steps of epoch `epoch` (from 1) from where the run stands; saves the state every
 * `checkpointEverySteps`, when `stopAfterSteps` is reached, when asked to stop (a batch that has
 * arrived but not been stepped on is abandoned), and once all its steps are done.
 */
async function trainEpoch(run: Run, epoch: number, step: OptimiserStepContext): Promise<Outcome> {
  const { session, options } = run;
  for await (const batch of session.loader.epoch(epoch - 1, { fromStep: run.progress.stepInEpoch })) {
    if (await stopRequested(options.signal)) {
      await saveState(run);
      return 'interrupted';
    }
    const k = run.progress.globalStep;
    const lr = run.config.training.lr * session.schedule.factor(k);
    const record = await optimiserStep(step, trainingBatch(batch), { epoch, step: run.progress.stepInEpoch + 1, globalStep: k + 1, lr });
    run.progress = { ...run.progress, stepInEpoch: run.progress.stepInEpoch + 1, globalStep: k + 1 };
    run.display.update(run.progress.globalStep, { epoch, loss: record.loss, lr });
    const every = options.checkpointEverySteps;
    if (every !== undefined && every > 0 && run.progress.globalStep % every === 0) await saveState(run);
    if (options.stopAfterSteps !== undefined && run.progress.globalStep >= options.stopAfterSteps) {
      await saveState(run);
      return 'stopped';
    }
  }
  // Saved before the validation, so that a stop or a kill during it loses no step.
  await saveState(run);
  return (await stopRequested(options.signal)) ? 'interrupted' : 'done';
}

/** What the optimiser step reads of a loader batch (which always has captions here). */
function trainingBatch(batch: Batch): TrainingBatch {
  return { pixels: batch.pixels, tokens: batch.tokens as Int32Array, imageIds: batch.imageIds, size: batch.size, imageSize: batch.imageSize };
}

/**
 * After the steps of epoch `epoch` (from 1): validation when due (every `evaluation.everyEpochs`
 * and after the last epoch), keeping `best` by r_mean; then `last`, the resumable state and the report.
 */
async function endEpoch(run: Run, epoch: number): Promise<void> {
  const { config, session, file } = run;
  if (epoch % config.evaluation.everyEpochs === 0 || epoch === config.training.epochs) await validate(run, epoch);
  await saveTrainedWeights(file('last'), session.model, config.training.trainable);
  run.progress = { ...run.progress, epochsDone: epoch, stepInEpoch: 0 };
  await saveState(run);
  await writeFileAtomic(file('report'), renderHtmlReport(config.name, await run.log.read()));
}

/** `r_mean 34.97 (R@1, R@5, R@10 image → caption 8.50, 35.00, 56.00; caption → image 8.00, 38.00, 64.30)`. */
function describeRecall(metrics: RetrievalMetrics): string {
  const f = (value: number): string => value.toFixed(2);
  return `r_mean ${f(metrics.r_mean)} (R@1, R@5, R@10 image → caption ${f(metrics.txt_r1)}, ${f(metrics.txt_r5)}, ${f(metrics.txt_r10)}; caption → image ${f(metrics.img_r1)}, ${f(metrics.img_r5)}, ${f(metrics.img_r10)})`;
}

async function validate(run: Run, epoch: number): Promise<void> {
  const { session } = run;
  const evaluation = await evaluate(run, session.validation, { loader: session.validationLoader });
  await run.log.append({ type: 'evaluation', split: 'val', epoch, globalStep: run.progress.globalStep, metrics: evaluation.metrics, diagnostics: evaluation.diagnostics, seconds: evaluation.seconds });
  run.logger.info({ details: { epoch, ...evaluation.metrics } }, `validation after epoch ${epoch}: ${describeRecall(evaluation.metrics)}`);
  if (evaluation.metrics.r_mean > run.progress.bestValRMean) {
    await saveTrainedWeights(run.file('best'), session.model, run.config.training.trainable);
    run.progress = { ...run.progress, bestValRMean: evaluation.metrics.r_mean, bestEpoch: epoch };
    run.bestValidation = evaluation.metrics;
  }
}

/** The test split, evaluated once with the best adapters (the last ones when no validation ran). */
async function testWithBest(run: Run): Promise<SplitEvaluation> {
  const { session, progress } = run;
  if (progress.bestEpoch > 0) await restoreTrainedWeights(run.file('best'), session.model);
  const test = await evaluate(run, session.test);
  await run.log.append({ type: 'evaluation', split: 'test', epoch: progress.bestEpoch, globalStep: progress.globalStep, metrics: test.metrics, diagnostics: test.diagnostics, seconds: test.seconds });
  // A full fine-tune saves every weight, not adapters: the sentence says which it evaluated.
  const saved = run.config.training.trainable === 'full' ? 'weights' : 'adapters';
  const which = progress.bestEpoch > 0 ? `the best ${saved} (epoch ${progress.bestEpoch})` : `the last ${saved}`;
  run.logger.info({ details: { bestEpoch: progress.bestEpoch, ...test.metrics } }, `test with ${which}: ${describeRecall(test.metrics)}`);
  return test;
}

function saveState(run: Run): Promise<void> {
  return saveTrainingState(run.file('state'), run.session.trainable, run.session.optimiser, run.progress, run.session.model.backbone.module.namedBuffers());
}

function resultOf(run: Run, outcome: Outcome, test?: SplitEvaluation): TrainRunResult {
  const { progress, session } = run;
  return {
    output: run.config.output,
    completed: outcome === 'done',
    interrupted: outcome === 'interrupted',
    globalStep: progress.globalStep,
    totalSteps: session.totalSteps,
    epochsDone: progress.epochsDone,
    stepInEpoch: progress.stepInEpoch,
    stepsPerEpoch: session.loader.batchesPerEpoch,
    ...(progress.bestEpoch > 0 ? { bestEpoch: progress.bestEpoch } : {}),
    bestValidation: run.bestValidation,
    ...(outcome === 'done' ? { test } : {}),
    parameters: session.model.countParameters(),
    skippedImages: run.skippedImages,
    seconds: (performance.now() - run.started) / 1000,
  };
}

/** One split on the training model, abandoned at the next batch when the run is asked to stop. */
async function evaluate(run: Run, annotations: Parameters<typeof evaluateSplit>[1], extra: Pick<EvaluateSplitOptions, 'loader'> = {}): Promise<SplitEvaluation> {
  const { config, session } = run;
  // The official `model.eval()`: a CLIP ResNet's BatchNorm reads its running statistics.
  session.model.backbone.setTraining?.(false);
  const encoder = interruptibleEncoder(createTfjsEncoder(session.model.backbone, { ownsBackbone: false }), run.options.signal);
  return evaluateSplit(encoder, annotations, {
    imageRoot: config.data.images,
    tokenizer: session.model.tokenizer,
    preprocess: session.model.backbone.preprocess,
    batchSize: config.evaluation.batchSize,
    workers: config.data.workers,
    onMissingImage: config.data.missingImages,
    ...extra,
  });
}
