import * as tf from '@tensorflow/tfjs-core';
import {
  Parameter,
  SeededRandom,
  createBackbone,
  importPlugin,
  requireTokenizer,
  type Backbone,
  type ParameterCount,
  type TextTokenizer,
} from '@harma/core';
import { ensureBuiltInBackbones } from '@harma/backbones';
import { TEMPERATURE_NAME, adapterMethod, isAdapterKind, isAdapterParameterName, type AdapterAttachment } from '@harma/adapters';
import { loadAdaptersFile, methodOptions } from './load-adapters-file';
import { checkConfigFiles } from '../config/check-files';
import type { TrainConfig } from '../config/train-config';

/** A backbone made ready to train or evaluate: tokenizer, attachment, temperature, freezing. */
export interface TrainingModel {
  readonly backbone: Backbone;
  readonly tokenizer: TextTokenizer;
  /** The adapter method attached, absent for `adapter.type: none`. */
  readonly attachment: AdapterAttachment | undefined;
  /** The contrastive temperature `temp` on the backbone's root module. */
  readonly temperature: Parameter;
  /** Parameters the optimiser updates, by full state-dict name. */
  trainableParameters(): Array<[string, Parameter]>;
  countParameters(): ParameterCount;
  dispose(): void;
}

export interface BuildModelOptions {
  /**
   * Load these adapters instead of fresh ones: a file written by `saveAdapters` (`best.safetensors`),
   * or any weight file holding them under the official names — an official HarMA checkpoint
   * (`checkpoint_best.pth`), an open_clip state dict, a safetensors file without HarMA.js metadata —
   * read with the config's adapter type and options.
   */
  adapters?: string;
  /** Override the config's `adapter.type` (`--adapter`). */
  adapterType?: TrainConfig['adapter']['type'];
}

/**
 * Make the config's backbone kind known in this thread: the built-in ones, and the module a config
 * names as `backbone.plugin` (each training thread runs this too, so a third-party kind is known
 * wherever a model is built).
 */
export async function registerConfigBackbone(backbone: TrainConfig['backbone']): Promise<void> {
  ensureBuiltInBackbones();
  if (backbone.plugin === undefined) return;
  try {
    await importPlugin(backbone.plugin, { backbone: backbone.kind });
  } catch (error) {
    throw new Error(`backbone.plugin: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Build the model a config describes: the backbone from its registry with its weights (HarMA
 * checkpoint extras such as adapters and `temp` are set aside, not treated as unknown) and the
 * tokenizer its factory builds from `backbone.vocabulary`, the adapter method, and the freezing
 * the config asks for.
 */
export async function buildTrainingModel(config: TrainConfig, options: BuildModelOptions = {}): Promise<TrainingModel> {
  // A missing weight or vocabulary file is named with its config key and where such files come from.
  checkConfigFiles(config);
  await registerConfigBackbone(config.backbone);
  const hasWeights = config.backbone.weights.length > 0;
  const backbone = await createBackbone(config.backbone.kind, {
    config: config.backbone.config,
    ...(config.backbone.vocabulary === undefined ? {} : { vocabulary: config.backbone.vocabulary }),
    ...(hasWeights ? { weights: config.backbone.weights, ignore: isAdapterParameterName } : { seed: `${config.seed}/backbone` }),
    // Only when asked: a factory of a backbone without BatchNorm knows no such option.
    ...(config.backbone.freezeBatchNorm ? { freezeBatchNorm: true } : {}),
  });
  try {
    if (config.backbone.freezeBatchNorm && backbone.module.namedBuffers().length === 0) {
      throw new Error(`backbone.freezeBatchNorm: the ${config.backbone.kind} backbone has no BatchNorm statistics to freeze`);
    }
    const tokenizer = requireTokenizer(backbone, `backbone ${config.backbone.kind}`);
    const type = options.adapterType ?? config.adapter.type;
    const rng = new SeededRandom(config.seed).derive('adapters');
    let attachment: AdapterAttachment | undefined;
    if (options.adapters !== undefined) {
      attachment = await loadAdaptersFile(options.adapters, backbone, config, type);
    } else if (isAdapterKind(type)) {
      attachment = adapterMethod(type).attach(backbone, { ...methodOptions(config, type), rng });
    }
    const temperatureParameter = attachment?.temperature ?? ownTemperature(backbone, config.training.temperature);
    applyFreezing(backbone, attachment, temperatureParameter, config.training.trainable);
    return {
      backbone,
      tokenizer,
      attachment,
      temperature: temperatureParameter,
      trainableParameters: () => backbone.module.trainableParameters(),
      countParameters: () => backbone.module.countParameters(),
      dispose: () => {
        attachment?.detach();
        backbone.dispose();
      },
    };
  } catch (error) {
    backbone.dispose();
    throw error;
  }
}

/** A `temp` for runs without an attachment (zero-shot evaluation, full training of a plain backbone). */
function ownTemperature(backbone: Backbone, initial: number): Parameter {
  const existing = backbone.module.child(TEMPERATURE_NAME);
  if (existing instanceof Parameter) return existing;
  return backbone.module.register(TEMPERATURE_NAME, new Parameter(tf.scalar(initial)));
}

/**
 * `adapters`: the method's own freezing (HarMA: adapters, gates and `temp` train). `full`: every
 * parameter trains except `logit_scale`, which HarMA's loss never reads (decaying it would only
 * change an unused value).
 */
function applyFreezing(backbone: Backbone, attachment: AdapterAttachment | undefined, temperature: Parameter, trainable: 'adapters' | 'full'): void {
  if (trainable === 'full') {
    backbone.module.unfreeze();
    backbone.module.freeze('logit_scale');
    return;
  }
  if (attachment) attachment.freeze();
  else {
    backbone.module.freeze();
    temperature.trainable = true;
  }
}
