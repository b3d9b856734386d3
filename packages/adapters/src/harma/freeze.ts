import type { Backbone } from '@harma/core';
import { isAdapterParameterName } from '../adapter-parameter-name';
import { attachedParameters } from '../attachment';

/**
 * Freeze a backbone as HarMA trains: everything frozen except the parameters of attached adapter
 * modules (any attachment of this package) and every name `isAdapterParameterName` accepts
 * (inside a module named like an adapter, containing `gate`, or the temperature `temp`). Returns
 * the trainable and total scalar counts (for CLIP ViT-B/32 with HarMA's defaults: 5,934,397 of
 * 157,211,710).
 */
export function freezeForHarma(backbone: Backbone): { trainable: number; total: number } {
  const attached = attachedParameters(backbone);
  backbone.module.freeze();
  for (const [name, parameter] of backbone.module.namedParameters({ duplicates: true })) {
    if (attached.has(parameter) || isAdapterParameterName(name)) parameter.trainable = true;
  }
  return backbone.module.countParameters();
}
