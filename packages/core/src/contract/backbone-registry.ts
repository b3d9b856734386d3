import type { Backbone, BackboneOptions } from './backbone';
import type { TextTokenizer } from './text-tokenizer';
import { Registry } from './registry';

/** Builds a backbone from the common options and any of the backbone's own. */
export type BackboneFactory<Options = BackboneOptions> = (options: Options) => Backbone | Promise<Backbone>;

/** The process-wide backbone registry the trainer and the server look names up in. */
export const backboneRegistry = new Registry<BackboneFactory<never>>('backbone');

/** Register a backbone kind by name; a taken name throws. */
export function registerBackbone<Options>(name: string, factory: BackboneFactory<Options>): void {
  backboneRegistry.register(name, factory as BackboneFactory<never>);
}

/** Build a registered backbone. */
export async function createBackbone<Options = BackboneOptions>(name: string, options: Options = {} as Options): Promise<Backbone> {
  const factory = backboneRegistry.get(name) as unknown as BackboneFactory<Options>;
  return factory(options);
}

/**
 * The backbone's tokenizer, or an error that says how to get one: `where` names what was being
 * done (`training`, `export`).
 */
export function requireTokenizer(backbone: Backbone, where: string): TextTokenizer {
  if (backbone.tokenizer) return backbone.tokenizer;
  throw new Error(`${where}: the ${backbone.kind} backbone was built without a tokenizer; give it its vocabulary (backbone.vocabulary in a run config, the vocabulary option of createBackbone)`);
}
