import { z } from 'zod';
import { ADAPTER_METHOD_NAMES, adapterMethod, attachingMethodNames, type ADAPTER_METHODS, type AdapterKind } from '@harma/adapters';
import { HARMA_LOSS_DEFAULTS, type HarmaLossSettings } from '@harma/losses';

const positiveInt = z.number().int().positive();
const probability = z.number().min(0).max(1);

/** The backbone to adapt: a registered kind, its architecture, its weights and vocabulary. */
export const backboneSchema = z
  .object({
    /** Registry name of the backbone kind. */
    kind: z.string().default('clip'),
    /**
     * The module that registers `kind` when it is not built in: a package specifier
     * (`@harma-examples/conv-dual-encoder/register`) or a path relative to the config. It is imported
     * before the model is built, in every training thread too. Default: none (`clip` is built in).
     */
    plugin: z.string().min(1).optional(),
    /**
     * A shipped architecture name (`ViT-B-32`), the path of an open_clip model config JSON, or
     * (kind `clip`) the path of a Hugging Face CLIP folder — `config.json`, `model.safetensors`,
     * tokenizer files — which also gives the weights and the vocabulary when they are not set.
     * Paths contain a `/` (`./clip-vit-base-patch32`) or end in `.json`.
     */
    config: z.string(),
    /**
     * Weight files in any supported format; empty for a Hugging Face folder's own weights, else for
     * random initialisation (tests, pretraining).
     */
    weights: z.array(z.string()).default([]),
    /**
     * The tokenizer's vocabulary, given to the backbone's factory (CLIP: open_clip .txt.gz,
     * Hugging Face vocab.json (+ merges.txt beside it) or tokenizer.json; a Hugging Face folder's
     * own when absent). Required by backbones whose tokenizer reads files; a plug-in may need none.
     */
    vocabulary: z.string().optional(),
    /**
     * Keep the backbone's BatchNorm layers in evaluation mode while training (open_clip's
     * `freeze_bn_stats`): they normalise with their running statistics, which never change.
     * Default: false — the official loop's `model.train()`: a CLIP ResNet's BatchNorm normalises
     * with each batch's statistics and updates the running ones every step, although the tower is
     * frozen. Only backbones with BatchNorm take it (`clip-resnet`); true for one without is an error.
     */
    freezeBatchNorm: z.boolean().optional(),
  })
  .strict();

type Methods = typeof ADAPTER_METHODS;

/** Each method's options under its config key (`harma`, `clipAdapter`, `lora`), defaulted as a whole. */
type MethodOptionShapes = { [Kind in AdapterKind as Methods[Kind]['config']['key']]: z.ZodDefault<Methods[Kind]['config']['schema']> };

function methodOptionShapes(): MethodOptionShapes {
  const entries = attachingMethodNames().map((kind) => {
    const { key, schema } = adapterMethod(kind).config;
    return [key, schema.default({})] as const;
  });
  return Object.fromEntries(entries) as MethodOptionShapes;
}

/**
 * The adapter method (`type`, a name of @harma/adapters' `ADAPTER_METHODS`) and the options of
 * every method under its config key, each from the method's own schema in that table.
 */
export const adapterSchema = z
  .object({
    type: z.enum(ADAPTER_METHOD_NAMES).default('harma'),
    ...methodOptionShapes(),
  })
  .strict();

export const dataSchema = z
  .object({
    /** Training annotation files (HarMA/PIR format, one entry per caption); concatenated. */
    train: z.array(z.string()).min(1),
    /** Validation annotation file (one entry per image): picks the best checkpoint. */
    val: z.string(),
    /** Test annotation file: evaluated once at the end with the best adapters. */
    test: z.string(),
    /** Folder holding the images the annotations name (with train/, val/, test/ inside for RSITMD). */
    images: z.string(),
    /**
     * What identifies an image across the training files: `image_id` (the paper's default; an id
     * naming two image paths is an error) or `image`, the path (for files whose ids overlap, e.g.
     * two data sets concatenated).
     */
    imageKey: z.enum(['image_id', 'image']).default('image_id'),
    /**
     * What to do with a missing or unreadable image: every image of every split is checked before
     * the first step; `fail` stops listing them all, `skip` leaves them (and their captions) out.
     */
    missingImages: z.enum(['fail', 'skip']).default('fail'),
    /** Captions are cut to this many words, as the paper does. */
    maxWords: positiveInt.default(30),
    /** The paper's train transform (random resized crop, flip, RandAugment) or none. */
    augment: z.enum(['paper', 'none']).default('paper'),
    /** Decoding/augmentation worker threads (0: on the training thread). */
    workers: z.number().int().min(0).default(2),
    /** Keep decoded images in memory between epochs (small data sets). */
    cacheImages: z.boolean().default(false),
  })
  .strict();

/** `training.loss`: parses to `@harma/losses`' `HarmaLossSettings`, which the objective takes as is. */
export const lossSchema = z
  .object({
    contrastive: z.number().min(0).default(HARMA_LOSS_DEFAULTS.contrastive),
    triplet: z.number().min(0).default(HARMA_LOSS_DEFAULTS.triplet),
    uniformity: z.number().min(0).default(HARMA_LOSS_DEFAULTS.uniformity),
    margin: z.number().default(HARMA_LOSS_DEFAULTS.margin),
    gamma: z.number().default(HARMA_LOSS_DEFAULTS.gamma),
  })
  .strict() satisfies z.ZodType<Required<HarmaLossSettings>, z.ZodTypeDef, unknown>;

export const trainingSchema = z
  .object({
    epochs: positiveInt,
    /** Pairs per optimiser step (the paper: 214). */
    batchSize: positiveInt.default(214),
    /**
     * Pairs encoded at once. Smaller than batchSize accumulates exactly: the loss still sees the
     * whole batch (embeddings cached, gradients pushed back micro-batch by micro-batch).
     */
    microBatchSize: positiveInt.optional(),
    /**
     * Threads computing each step, data parallel and exact (every thread holds a copy of the
     * model; the batch is split between them, the loss still sees the whole batch). Default: every
     * core on the wasm and cpu backends, 1 on the native ones (tfjs-node uses every core itself).
     */
    threads: positiveInt.optional(),
    lr: z.number().positive(),
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.98]),
    eps: z.number().positive().default(1e-8),
    weightDecay: z.number().min(0).default(0.04),
    warmupFraction: probability.default(0.1),
    /** Initial contrastive temperature `temp`. */
    temperature: z.number().positive().default(0.07),
    /** Clip the global gradient norm to this value; off when absent. */
    gradientClip: z.number().positive().optional(),
    /** Which parameters train: the adapter's (the paper) or everything (full fine-tune). */
    trainable: z.enum(['adapters', 'full']).default('adapters'),
    loss: lossSchema.default({}),
  })
  .strict();

export const evaluationSchema = z
  .object({
    /** Evaluate on the validation split every this many epochs (and after the last). */
    everyEpochs: positiveInt.default(1),
    /** Captions/images encoded at once during evaluation. */
    batchSize: positiveInt.default(64),
  })
  .strict();

export const trainConfigSchema = z
  .object({
    name: z.string().min(1),
    seed: z.number().int().default(42),
    backbone: backboneSchema,
    adapter: adapterSchema.default({}),
    data: dataSchema,
    training: trainingSchema,
    evaluation: evaluationSchema.default({}),
    /**
     * Run folder: checkpoints, metrics.jsonl, report.html. `loadTrainConfig` fills in `runs/<name>`
     * under the working directory when a config leaves it out (as the shipped ones do).
     */
    output: z.string(),
  })
  .strict();

export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;
