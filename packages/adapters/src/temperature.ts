import * as tf from '@tensorflow/tfjs-core';
import { Parameter, type Module } from '@harma/core';

/** State-dict name of the contrastive temperature, at the top level as in the official model. */
export const TEMPERATURE_NAME = 'temp';

/** Initial contrastive temperature of the paper. */
export const DEFAULT_TEMPERATURE = 0.07;

interface Holding {
  parameter: Parameter;
  users: number;
}

const held = new WeakMap<Module, Holding>();

export interface TemperatureHandle {
  readonly parameter: Parameter;
  /** Give the temperature back; the last attachment that created it removes and disposes it. */
  release(): void;
}

/**
 * The learnable temperature `temp` on a backbone's root module: registered (with `initial`) by
 * the first attachment that needs it and shared by later ones; a `temp` the backbone already
 * had is used as it is and never removed.
 */
export function acquireTemperature(root: Module, initial: number): TemperatureHandle {
  if (!(initial > 0) || !Number.isFinite(initial)) throw new Error(`temperature ${initial} must be a positive number`);
  const existing = root.child(TEMPERATURE_NAME);
  if (existing !== undefined && !(existing instanceof Parameter)) {
    throw new Error(`the backbone module has a child module named '${TEMPERATURE_NAME}'; the temperature needs that name`);
  }
  let holding = held.get(root);
  if (holding === undefined || holding.parameter !== existing) {
    if (existing instanceof Parameter) {
      // Someone else's temperature: share it, never remove it.
      return { parameter: existing, release: () => undefined };
    }
    holding = { parameter: root.register(TEMPERATURE_NAME, new Parameter(tf.scalar(initial))), users: 0 };
    held.set(root, holding);
  }
  holding.users += 1;
  const current = holding;
  let released = false;
  return {
    parameter: current.parameter,
    release: () => {
      if (released) return;
      released = true;
      current.users -= 1;
      if (current.users === 0) {
        if (root.child(TEMPERATURE_NAME) === current.parameter) root.unregister(TEMPERATURE_NAME);
        current.parameter.dispose();
        held.delete(root);
      }
    },
  };
}
