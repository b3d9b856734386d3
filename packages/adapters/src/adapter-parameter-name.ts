import { TEMPERATURE_NAME } from './temperature';

/**
 * Whether a state-dict name is an adapter parameter rather than a backbone weight, by the naming
 * of the official HarMA code: a parameter inside an adapter module (a path part containing
 * `adapter`, as `mmadapter`, `BiShareAdapterxx` or CLIP-Adapter's `image_adapter`), a name
 * containing `gate` (`gate1`), or the temperature `temp`.
 *
 * It is the paper's rule of what trains (`freezeForHarma`), and so also what a HarMA checkpoint
 * holds beyond its backbone: pass it as the `ignore` filter when loading backbone weights that may
 * carry adapters. Adapter and gate names match with the `model.` prefix of a HarMA training
 * checkpoint too, though the weight loaders strip it. LoRA's `lora.*` modules are not named like
 * adapters: their attachment lists them.
 */
export function isAdapterParameterName(name: string): boolean {
  if (name === TEMPERATURE_NAME || name.includes('gate')) return true;
  // Only module path parts count: a parameter merely named like an adapter is not inside one.
  return name.split('.').slice(0, -1).some((part) => part.toLowerCase().includes('adapter'));
}
