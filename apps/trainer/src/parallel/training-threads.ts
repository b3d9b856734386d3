import os from 'node:os';
import { activeBackend, getLogger, type BackendName, type Parameter } from '@harma/core';
import type { TrainConfig } from '../config/train-config';
import type { TrainingModel } from '../model/build-model';
import { DataParallelGradients } from './data-parallel';
import { trainingWorkerScript } from './worker-script';

/**
 * Threads a training step uses when the config does not say: `HARMA_THREADS` when set; else
 * every core on the wasm and cpu backends, which compute on one thread each, and one on the
 * native backends (tfjs-node), whose TensorFlow already uses every core.
 */
export function defaultTrainingThreads(backend: BackendName | undefined = activeBackend(), environment: NodeJS.ProcessEnv = process.env): number {
  const forced = environment.HARMA_THREADS;
  if (forced !== undefined && forced !== '') {
    const threads = Number(forced);
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`HARMA_THREADS=${forced} is not a positive integer`);
    return threads;
  }
  return backend === 'wasm' || backend === 'cpu' ? os.availableParallelism() : 1;
}

export interface StepThreadsOptions {
  /** The built worker entry. Default: found next to the running bundle. */
  workerScript?: string;
}

/**
 * Start the data-parallel workers a training run asks for (`training.threads`, default
 * `defaultTrainingThreads()`), each building its own copy of `model` from the same config.
 * Undefined for one thread, or (with a warning) when the worker entry is not built, as when
 * running from the sources, or when a worker cannot build the model (e.g. a backbone kind that
 * only this thread registered and the config names no `backbone.plugin` for): the run then
 * computes every step on this thread.
 */
export async function startStepThreads(
  config: TrainConfig,
  adapterType: TrainConfig['adapter']['type'],
  model: TrainingModel,
  trainable: ReadonlyArray<readonly [string, Parameter]>,
  options: StepThreadsOptions = {},
): Promise<DataParallelGradients | undefined> {
  const logger = getLogger('train');
  const threads = config.training.threads ?? defaultTrainingThreads();
  if (threads <= 1) return undefined;
  const workerScript = options.workerScript ?? trainingWorkerScript();
  if (!workerScript) {
    logger.warn({ details: { threads } }, 'the training worker entry is not built (dist/parallel/training-worker.js): training on one thread');
    return undefined;
  }
  let pool: DataParallelGradients;
  try {
    pool = await DataParallelGradients.start({
      threads,
      workerScript,
      recipe: { kind: 'train-config', config, adapterType },
      model: { backbone: model.backbone, temperature: model.temperature, trainable, dispose: () => undefined },
    });
  } catch (error) {
    // Every step gives the same result on one thread, only slower: train rather than stop.
    const reason = ((error as Error).message.split('\n')[0] ?? '').trim();
    logger.warn(
      { details: { threads, reason } },
      `the training threads could not start (${reason}): training on one thread. A backbone kind registered in this thread only must be named in the config as backbone.plugin so that every thread imports it`,
    );
    return undefined;
  }
  logger.info({ details: { threads } }, `computing each step on ${threads} threads`);
  return pool;
}
