import { AdamW, LinearSchedule, type Parameter } from '@harma/core';
import { BatchLoader, trainSamples, type EvalAnnotations } from '@harma/data';
import type { TrainConfig } from '../config/train-config';
import { buildTrainingModel, type TrainingModel } from '../model/build-model';
import { evaluationLoader } from '@harma/inference';
import type { RunData } from './run-data';

/** Everything a run trains with, built once from its config; `close` frees it all. */
export interface TrainingSession {
  model: TrainingModel;
  /** The model's trainable parameters, in module order (what the optimiser and the state file hold). */
  trainable: ReadonlyArray<readonly [string, Parameter]>;
  /** Training batches: seeded shuffle per epoch, the last incomplete batch dropped. */
  loader: BatchLoader;
  validation: EvalAnnotations;
  validationLoader: BatchLoader;
  test: EvalAnnotations;
  optimiser: AdamW;
  schedule: LinearSchedule;
  totalSteps: number;
  close(): Promise<void>;
}

/** Build the model, and set up the loaders of the checked data, AdamW and the schedule. */
export async function openTrainingSession(config: TrainConfig, adapterType: TrainConfig['adapter']['type'], data: Required<Omit<RunData, 'skipped'>>): Promise<TrainingSession> {
  const model = await buildTrainingModel(config, { adapterType });
  const imageSize = model.backbone.preprocess.size;
  const { mean, std } = model.backbone.preprocess;
  let loader: BatchLoader | undefined;
  try {
    loader = new BatchLoader({
      samples: trainSamples(data.train),
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
    const validationLoader = evaluationLoader(data.val, {
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
    const trainLoader = loader;
    return {
      model, trainable, loader: trainLoader, validation: data.val, validationLoader, test: data.test, optimiser, schedule, totalSteps,
      async close() {
        optimiser.dispose();
        await trainLoader.close();
        await validationLoader.close();
        model.dispose();
      },
    };
  } catch (error) {
    await loader?.close();
    model.dispose();
    throw error;
  }
}
