import { Module, type Backbone, type Parameter } from '@harma/core';
import { trackAttachment, untrackAttachment, type AdapterAttachment, type AttachmentCount } from './attachment';
import { acquireTemperature, type TemperatureHandle } from './temperature';

/** What an attach function does while building: registers what it adds and how to undo it. */
export interface AttachContext {
  /** Record parameters the attachment created (a module's, or one parameter). */
  own(owned: Module | Parameter): void;
  /** Run on detach, in reverse order of registration (and on a failed attach). */
  onDetach(undo: () => void): void;
}

/**
 * The shared machinery of every attachment: ownership of the added parameters, the shared
 * temperature, undo on detach, and the list of live attachments of a backbone.
 */
export class BaseAttachment<Options, Kind extends string> implements AdapterAttachment<Options, Kind> {
  readonly #owned = new Set<Parameter>();
  readonly #undo: Array<() => void> = [];
  readonly #temperature: TemperatureHandle;
  #attached = true;

  protected constructor(
    readonly kind: Kind,
    readonly backbone: Backbone,
    readonly options: Options,
    temperatureInit: number,
    build: (context: AttachContext) => void,
  ) {
    this.#temperature = acquireTemperature(backbone.module, temperatureInit);
    const context: AttachContext = {
      own: (owned) => {
        for (const parameter of owned instanceof Module ? owned.parameters() : [owned]) this.#owned.add(parameter);
      },
      onDetach: (undo) => {
        this.#undo.push(undo);
      },
    };
    try {
      build(context);
    } catch (error) {
      this.#teardown();
      throw error;
    }
    trackAttachment(this);
  }

  get temperature(): Parameter {
    return this.#temperature.parameter;
  }

  get attached(): boolean {
    return this.#attached;
  }

  namedParameters(options: { duplicates?: boolean } = {}): Array<[string, Parameter]> {
    if (!this.#attached) return [];
    return this.backbone.module
      .namedParameters({ duplicates: options.duplicates ?? false })
      .filter(([, parameter]) => this.#owned.has(parameter) || parameter === this.temperature);
  }

  countParameters(): AttachmentCount {
    const added = this.namedParameters().reduce((sum, [, parameter]) => sum + parameter.size, 0);
    return { added, ...this.backbone.module.countParameters() };
  }

  freeze(): void {
    this.backbone.module.freeze();
    for (const [, parameter] of this.namedParameters()) parameter.trainable = true;
  }

  detach(): void {
    if (!this.#attached) return;
    untrackAttachment(this);
    this.#teardown();
  }

  #teardown(): void {
    this.#attached = false;
    for (const undo of this.#undo.reverse()) undo();
    this.#undo.length = 0;
    this.#temperature.release();
    for (const parameter of this.#owned) parameter.dispose();
    this.#owned.clear();
  }
}
