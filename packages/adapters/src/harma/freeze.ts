import type { Backbone } from '@harma/core';
import { attachedParameters } from '../attachment';
import { TEMPERATURE_NAME } from '../temperature';

/**
 * Whether a parameter trains under the paper's rule, by its full name: inside an adapter module
 * (the name has a path part containing `adapter`, as `mmadapter`, `BiShareAdapterxx`), a name
 * containing `gate`, or the temperature `temp`.
 */
export function isHarmaTrainableName(name: string): boolean {
  if (name === TEMPERATURE_NAME || name.includes('gate')) return true;
  return name.split('.').slice(0, -1).some((part) => part.toLowerCase().includes('adapter'));
}

/**
 * Freeze a backbone as HarMA trains: everything frozen except the parameters of attached adapter
 * modules (any attachment of this package), parameters whose name contains `gate` or lies inside
 * a module named like an adapter, and the temperature `temp`. Returns the trainable and total
 * scalar counts (for CLIP ViT-B/32 with HarMA's defaults: 5,934,397 of 157,211,710).
 */
export function freezeForHarma(backbone: Backbone): { trainable: number; total: number } {
  const attached = attachedParameters(backbone);
  backbone.module.freeze();
  for (const [name, parameter] of backbone.module.namedParameters({ duplicates: true })) {
    if (attached.has(parameter) || isHarmaTrainableName(name)) parameter.trainable = true;
  }
  return backbone.module.countParameters();
}
