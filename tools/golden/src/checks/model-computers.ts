import { harmaForwardComputer } from './harma-forward';
import { harmaGradientsComputer } from './harma-gradients';
import type { ModelComputer } from './model-fixture';
import { plainBackboneComputer } from './plain-backbone';
import { optimizerStepsComputer } from './optimizer-steps';
import { trainingModeComputer } from './training-mode';

/**
 * Every computer the golden tool runs on a model fixture, in order. A computer may use what an
 * earlier one built (the model is rebuilt from the weights each time, so they stay independent).
 */
export const MODEL_COMPUTERS: ModelComputer[] = [plainBackboneComputer, harmaForwardComputer, trainingModeComputer, harmaGradientsComputer, optimizerStepsComputer];

/** Which part of the project computes an output, for the "not computed yet" notes. */
export function ownerOf(outputName: string): string {
  if (outputName.startsWith('plain.')) return 'backbone (@harma/backbones)';
  if (outputName.startsWith('grad.')) return 'gradients (@harma/adapters + @harma/losses)';
  if (outputName.startsWith('after.') || outputName.startsWith('after_buffer.') || outputName.startsWith('train.')) return 'optimiser steps (@harma/losses + @harma/core)';
  if (outputName.startsWith('train_mode.')) return 'training mode (@harma/backbones)';
  if (outputName.startsWith('loss_') || outputName.startsWith('eval.loss')) return 'losses (@harma/losses)';
  return 'HarMA forward (@harma/adapters)';
}
