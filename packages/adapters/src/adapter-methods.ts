import { z } from 'zod';
import type { Backbone, SeededRandom } from '@harma/core';
import type { AdapterAttachment } from './attachment';
import { attachClipAdapter, resolveClipAdapterOptions, type ClipAdapterOptions } from './baselines/clip-adapter';
import { attachLora, resolveLoraOptions, type LoraOptions } from './baselines/lora';
import { attachHarma } from './harma/attach-harma';
import { BISHARE_PLACEMENTS, resolveHarmaOptions, type HarmaOptions } from './harma/harma-options';
import { describeIssues } from './options-validation';

/** What a run gives every method besides the method's own options. */
export interface AdapterRunSettings {
  /** Initial contrastive temperature `temp` (a training config's `training.temperature`). */
  temperature: number;
}

/**
 * One adapter method: everything the trainer, the CLI and adapters files need to know about it.
 * `Options` are its attach options as JSON data (what an adapters file records, without `rng`).
 */
export interface AdapterMethod<
  Name extends string = string,
  Key extends string = string,
  Schema extends z.ZodTypeAny = z.ZodTypeAny,
  Options extends object = object,
  Attachment extends AdapterAttachment<unknown, Name> = AdapterAttachment<unknown, Name>,
> {
  readonly name: Name;
  /** One line for CLI help. */
  readonly description: string;
  /**
   * The method's options as a training config writes them: under `adapter.<key>`, validated by a
   * strict zod schema that gives every field a default (so `{}` parses).
   */
  readonly config: { readonly key: Key; readonly schema: Schema };
  /** Attach options from a config's parsed options and the run's settings. */
  attachOptions(config: z.output<Schema>, run: AdapterRunSettings): Options;
  /**
   * Validate attach options against a backbone and fill in every default: what an adapters file
   * records, and what two option sets are compared by. `source` names them in errors.
   */
  resolveOptions(backbone: Backbone, options: Options, source: string): unknown;
  /** Attach the method to a backbone; `rng` draws the initial weights (each method has a default stream). */
  attach(backbone: Backbone, options: Options & { rng?: SeededRandom }): Attachment;
}

/** The `none` entry: the plain backbone, nothing attached. */
export interface PlainBackboneMethod {
  readonly name: 'none';
  readonly description: string;
  readonly config?: undefined;
  readonly attach?: undefined;
}

/** `defineAdapterMethod` keeps the entry's literal name and config key in its type. */
function defineAdapterMethod<const Name extends string, const Key extends string, Schema extends z.ZodTypeAny, Options extends object, Attachment extends AdapterAttachment<unknown, Name>>(
  method: AdapterMethod<Name, Key, Schema, Options, Attachment>,
): AdapterMethod<Name, Key, Schema, Options, Attachment> {
  return method;
}

const positiveInt = z.number().int().positive();

const harma = defineAdapterMethod({
  name: 'harma',
  description: "HarMA's gated multimodal adapters in every block, BiShareAdapters in the text tower (the paper)",
  config: {
    key: 'harma',
    schema: z
      .object({
        bottleneck: positiveInt.default(128),
        heads: positiveInt.default(8),
        /** Heads of the BiShareAdapter attention (width bottleneck / 2). */
        shareHeads: positiveInt.default(8),
        /** Towers whose adapters carry a BiShareAdapter: the official default is the text tower only. */
        share: z.enum(BISHARE_PLACEMENTS).default('text'),
      })
      .strict(),
  },
  attachOptions: (config, run): Omit<HarmaOptions, 'rng'> => ({
    vision: { bottleneck: config.bottleneck, heads: config.heads },
    text: { bottleneck: config.bottleneck, heads: config.heads },
    bishare: config.share,
    bishareHeads: config.shareHeads,
    temperature: run.temperature,
  }),
  resolveOptions: (backbone, options, source) => resolveHarmaOptions(backbone, options, source),
  attach: (backbone, options) => attachHarma(backbone, options),
});

const clipAdapter = defineAdapterMethod({
  name: 'clip-adapter',
  description: "a residual MLP on each tower's output features (CLIP-Adapter baseline)",
  config: {
    key: 'clipAdapter',
    schema: z
      .object({
        /** Hidden width of the residual MLP = embedDim / reduction. */
        reduction: positiveInt.default(4),
        /** Residual ratio α: features ← α·mlp(f) + (1 − α)·f. */
        ratio: z.number().min(0).max(1).default(0.2),
      })
      .strict(),
  },
  attachOptions: (config, run): Omit<ClipAdapterOptions, 'rng'> => ({ ...config, temperature: run.temperature }),
  resolveOptions: (_backbone, options, source) => resolveClipAdapterOptions(options, source),
  attach: (backbone, options) => attachClipAdapter(backbone, options),
});

const lora = defineAdapterMethod({
  name: 'lora',
  description: 'low-rank updates of the attention q and v projections (LoRA baseline)',
  config: {
    key: 'lora',
    schema: z
      .object({
        rank: positiveInt.default(8),
        alpha: z.number().positive().default(16),
      })
      .strict(),
  },
  attachOptions: (config, run): Omit<LoraOptions, 'rng'> => ({ ...config, temperature: run.temperature }),
  resolveOptions: (backbone, options, source) => resolveLoraOptions(backbone, options, source),
  attach: (backbone, options) => attachLora(backbone, options),
});

const none: PlainBackboneMethod = {
  name: 'none',
  description: 'the plain backbone: nothing attached, only temp trains',
};

/**
 * Every adapter method by name, in the order help lists them. Adding a method is adding an entry
 * here: the training config's `adapter` section, the CLI's `--adapter` choices, adapters files
 * and `harma info` all read this table.
 */
export const ADAPTER_METHODS = { harma, 'clip-adapter': clipAdapter, lora, none } as const;

/** A name in `ADAPTER_METHODS` (`none` included). */
export type AdapterMethodName = keyof typeof ADAPTER_METHODS;

/** The names of the methods that attach something (every one but `none`). */
export type AdapterKind = {
  [Name in AdapterMethodName]: (typeof ADAPTER_METHODS)[Name] extends AdapterMethod ? Name : never;
}[AdapterMethodName];

/** The attach options (JSON data) of any method that attaches. */
export type AdapterOptions = {
  [Kind in AdapterKind]: (typeof ADAPTER_METHODS)[Kind] extends AdapterMethod<string, string, z.ZodTypeAny, infer Options> ? Options : never;
}[AdapterKind];

/** Any attachment a method of `ADAPTER_METHODS` makes. */
export type AnyAttachment = ReturnType<(typeof ADAPTER_METHODS)[AdapterKind]['attach']>;

/** A method entry seen through its name at run time. */
export type AnyAdapterMethod = AdapterMethod<AdapterKind, string, z.ZodTypeAny, AdapterOptions, AnyAttachment>;

/** Every name of `ADAPTER_METHODS`, in table order (for enums and CLI choices). */
export const ADAPTER_METHOD_NAMES = Object.keys(ADAPTER_METHODS) as [AdapterMethodName, ...AdapterMethodName[]];

/** Whether a name (from a file, a config, a command line) is a method that attaches. */
export function isAdapterKind(name: string): name is AdapterKind {
  return Object.hasOwn(ADAPTER_METHODS, name) && ADAPTER_METHODS[name as AdapterMethodName].attach !== undefined;
}

/** The entry of a method that attaches; throws for `none` or an unknown name, listing the methods that attach. */
export function adapterMethod(name: string): AnyAdapterMethod {
  if (!isAdapterKind(name)) throw new Error(`'${name}' is not an adapter method that attaches (${attachingMethodNames().join(', ')})`);
  const method: AnyAdapterMethod = ADAPTER_METHODS[name];
  return method;
}

/** The names of the methods that attach, in table order. */
export function attachingMethodNames(): AdapterKind[] {
  return ADAPTER_METHOD_NAMES.filter(isAdapterKind);
}

/**
 * The attach options a training config's `adapter` section gives a method: the options under the
 * method's config key (parsed again, so a missing key means the defaults), mapped by its
 * `attachOptions` with the run's settings.
 */
export function configuredAdapterOptions(kind: AdapterKind, section: Readonly<Record<string, unknown>>, run: AdapterRunSettings): AdapterOptions {
  const method = adapterMethod(kind);
  const parsed = method.config.schema.safeParse(section[method.config.key] ?? {});
  if (!parsed.success) throw new Error(describeIssues(parsed.error, `adapter.${method.config.key}`));
  return method.attachOptions(parsed.data, run);
}
