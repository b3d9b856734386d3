import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, type Backbone, type Parameter } from '@harma/core';
import { createClip, createClipResNet, loadModelConfig, loadResNetModelConfig, type ClipConfig, type ClipResNetConfig } from '@harma/backbones';
import { attachHarma, type HarmaOptions } from '@harma/adapters';
import type { TrainConfig } from '../config/train-config';
import { buildTrainingModel } from '../model/build-model';

/**
 * How to build a model, as data a worker thread can receive: every thread builds its own copy
 * from the same recipe (tensors cannot cross threads), and the frozen weights must come out the
 * same everywhere — the trainable ones are sent from the main thread before every step.
 */
export type ModelRecipe = TrainConfigRecipe | RandomClipHarmaRecipe | RandomClipResNetHarmaRecipe;

/** The model `buildTrainingModel` makes from a training config (weights files, seeded init, freezing). */
export interface TrainConfigRecipe {
  kind: 'train-config';
  config: TrainConfig;
  adapterType: TrainConfig['adapter']['type'];
}

/**
 * A randomly initialised CLIP with HarMA attached and frozen as the paper trains it, the
 * up-projections drawn non-zero so that the adapters matter: benchmarks and tests.
 */
export interface RandomClipHarmaRecipe {
  kind: 'random-clip-harma';
  /** A shipped model config name (`ViT-B-32-quickgelu`) or a full config. */
  clip: string | ClipConfig;
  /** Random CLIP weights (open_clip's initialisation) when true; zeros (fast to build) otherwise. */
  randomBackbone: boolean;
  harma: Omit<HarmaOptions, 'rng'>;
  seed: number;
  /** Standard deviation of the up-projections (`img_proj_up`, `l2`), which HarMA starts at zero. */
  upProjectionStd: number;
}

/** The same with a CLIP ResNet backbone (HarMA then adapts its text tower only). */
export interface RandomClipResNetHarmaRecipe extends Omit<RandomClipHarmaRecipe, 'kind' | 'clip'> {
  kind: 'random-clip-resnet-harma';
  /** A shipped CLIP ResNet config name (`RN50-quickgelu`) or a full config. */
  clip: string | ClipResNetConfig;
}

/** What a thread trains: the backbone, its `temp` and its trainable parameters in a fixed order. */
export interface ShardModel {
  readonly backbone: Backbone;
  readonly temperature: Parameter;
  /** Trainable parameters by full name, in module order (the same in every copy). */
  readonly trainable: ReadonlyArray<readonly [string, Parameter]>;
  dispose(): void;
}

/** Build the model a recipe describes. */
export async function buildFromRecipe(recipe: ModelRecipe): Promise<ShardModel> {
  if (recipe.kind === 'train-config') {
    const model = await buildTrainingModel(recipe.config, { adapterType: recipe.adapterType });
    return { backbone: model.backbone, temperature: model.temperature, trainable: model.trainableParameters(), dispose: () => model.dispose() };
  }
  return buildRandomClipHarma(recipe);
}

export function buildRandomClipHarma(recipe: RandomClipHarmaRecipe | RandomClipResNetHarmaRecipe): ShardModel {
  const rng = new SeededRandom(recipe.seed);
  const init = recipe.randomBackbone ? { rng: rng.derive('backbone') } : {};
  const clip =
    recipe.kind === 'random-clip-resnet-harma'
      ? createClipResNet(typeof recipe.clip === 'string' ? loadResNetModelConfig(recipe.clip) : recipe.clip, init)
      : createClip(typeof recipe.clip === 'string' ? loadModelConfig(recipe.clip) : recipe.clip, init);
  const attachment = attachHarma(clip, { ...recipe.harma, rng: rng.derive('adapters') });
  const up = rng.derive('up-projections');
  for (const [name, parameter] of attachment.namedParameters()) {
    if (name.includes('img_proj_up') || name.includes('.l2.')) {
      tf.tidy(() => parameter.assign(tf.tensor(up.fillNormal(parameter.size, 0, recipe.upProjectionStd), parameter.shape)));
    }
  }
  attachment.freeze();
  return {
    backbone: clip,
    temperature: attachment.temperature,
    trainable: clip.module.trainableParameters(),
    dispose: () => {
      attachment.detach();
      clip.dispose();
    },
  };
}
