/** The insertion points of the backbone contract; each holds one transform at a time. */
export type SlotName = 'mlp' | 'attention-projection' | 'output';

const owners = new WeakMap<object, Map<SlotName, string>>();

/**
 * Reserve an insertion point (a block's MLP branch, its attention projections, a tower's output)
 * for one attachment, so that two methods never silently overwrite each other's transform.
 * `where` names the point in the error (`visual.transformer.resblocks.3`).
 */
export function claimSlot(site: object, slot: SlotName, owner: string, where: string): () => void {
  const slots = owners.get(site) ?? new Map<SlotName, string>();
  const holder = slots.get(slot);
  if (holder !== undefined) {
    throw new Error(`${where}: the ${slot} insertion point already carries a ${holder} attachment; detach it before attaching ${owner}`);
  }
  slots.set(slot, owner);
  owners.set(site, slots);
  return () => {
    slots.delete(slot);
  };
}
