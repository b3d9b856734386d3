import type { Backbone, Parameter } from '@harma/core';

export interface AttachmentCount {
  /** Scalars the attachment added to the backbone (its adapters and, when it created it, `temp`). */
  added: number;
  /** Trainable scalars of the whole backbone module now. */
  trainable: number;
  /** All scalars of the whole backbone module now. */
  total: number;
}

/**
 * What every attachment of this package offers: the options it was built with (JSON data, what
 * an adapters file records), the parameters it added under their full state-dict names, the
 * paper's freezing for its method, and detaching back to the plain backbone.
 */
export interface AdapterAttachment<Options = unknown, Kind extends string = string> {
  /** The name of its method in `ADAPTER_METHODS`. */
  readonly kind: Kind;
  readonly backbone: Backbone;
  /** Resolved options (every default filled in), JSON-serialisable. */
  readonly options: Options;
  /** The contrastive temperature `temp` on `backbone.module` (shared by attachments on one backbone). */
  readonly temperature: Parameter;
  /** False after `detach()`. */
  readonly attached: boolean;
  /**
   * The parameters this attachment added, by full name in `backbone.module`, in module order;
   * with `duplicates: true` a shared parameter appears under every name it has.
   */
  namedParameters(options?: { duplicates?: boolean }): Array<[string, Parameter]>;
  countParameters(): AttachmentCount;
  /** Freeze the backbone as the method trains: only this attachment's parameters and `temp` stay trainable. */
  freeze(): void;
  /** Remove every insertion and parameter it added (disposing them); the backbone is plain again. Idempotent. */
  detach(): void;
}

const liveAttachments = new WeakMap<Backbone, Set<AdapterAttachment>>();

/** Attachments currently on a backbone, in attachment order. */
export function attachmentsOf(backbone: Backbone): AdapterAttachment[] {
  return [...(liveAttachments.get(backbone) ?? [])];
}

export function trackAttachment(attachment: AdapterAttachment): void {
  const set = liveAttachments.get(attachment.backbone) ?? new Set<AdapterAttachment>();
  set.add(attachment);
  liveAttachments.set(attachment.backbone, set);
}

export function untrackAttachment(attachment: AdapterAttachment): void {
  liveAttachments.get(attachment.backbone)?.delete(attachment);
}

/** Parameters of every live attachment of a backbone. */
export function attachedParameters(backbone: Backbone): Set<Parameter> {
  const out = new Set<Parameter>();
  for (const attachment of attachmentsOf(backbone)) {
    for (const [, parameter] of attachment.namedParameters()) out.add(parameter);
  }
  return out;
}
