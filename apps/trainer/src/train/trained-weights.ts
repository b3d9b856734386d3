import { loadSafetensors, writeSafetensors } from '@harma/core';
import { saveAdapters } from '@harma/adapters';
import type { TrainingModel } from '../model/build-model';

/**
 * Write what a run trained, atomically. With an attachment trained alone this is the
 * adapters-only file of `@harma/adapters` (loadable with `harma eval --adapters`); otherwise the
 * whole state dict (a full fine-tune), which loads as backbone weights.
 */
export async function saveTrainedWeights(file: string, model: TrainingModel, trainable: 'adapters' | 'full'): Promise<void> {
  if (model.attachment && trainable === 'adapters') {
    await saveAdapters(file, model.backbone, model.attachment);
    return;
  }
  // A full fine-tune is a new backbone: keep every parameter, so the file loads as backbone weights.
  await writeSafetensors(file, model.backbone.module.stateDict(), { metadata: { format: 'harma-js-trained-model', backbone: model.backbone.kind } });
}

/** Load a file written by `saveTrainedWeights` back into the same model (every name must exist with its shape). */
export async function restoreTrainedWeights(file: string, model: TrainingModel): Promise<void> {
  const { tensors } = await loadSafetensors(file);
  try {
    const report = model.backbone.module.loadStateDict(tensors, { strict: false, source: file });
    if (report.unexpected.length > 0 || report.mismatched.length > 0) {
      throw new Error(`${file}: does not fit the model (unexpected: ${report.unexpected.slice(0, 5).join(', ')}; mis-shaped: ${report.mismatched.map((m) => m.name).slice(0, 5).join(', ')})`);
    }
  } finally {
    for (const tensor of tensors.values()) tensor.dispose();
  }
}
