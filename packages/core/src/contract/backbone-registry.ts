import type { Backbone } from './backbone';
import { Registry } from './registry';

/** Builds a backbone from options of the backbone's own (config, weights file, …). */
export type BackboneFactory<Options = Record<string, unknown>> = (options: Options) => Backbone | Promise<Backbone>;

/** The process-wide backbone registry the trainer and the server look names up in. */
export const backboneRegistry = new Registry<BackboneFactory<never>>('backbone');

/** Register a backbone kind by name; a taken name throws. */
export function registerBackbone<Options>(name: string, factory: BackboneFactory<Options>): void {
  backboneRegistry.register(name, factory as BackboneFactory<never>);
}

/** Build a registered backbone. */
export async function createBackbone<Options = Record<string, unknown>>(name: string, options: Options): Promise<Backbone> {
  const factory = backboneRegistry.get(name) as unknown as BackboneFactory<Options>;
  return factory(options);
}
