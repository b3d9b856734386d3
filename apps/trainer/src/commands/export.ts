import path from 'node:path';
import { getLogger } from '@harma/core';
import { exportOnnx, verifyExport, type OnnxExport } from '@harma/inference';
import type { TrainConfig } from '../config/train-config';
import { buildTrainingModel } from '../model/build-model';

export interface ExportOptions {
  /** Adapters file to bake in (written by `harma train`); without it the plain backbone is exported. */
  adapters?: string;
  out: string;
  /** Also write int8 weight-quantised graphs. Default: true. */
  quantize?: boolean;
  /** Check the graphs against the tfjs model in onnxruntime-node. Default: true. */
  verify?: boolean;
}

export interface ExportResult {
  export: OnnxExport;
  /** Largest |ORT − tfjs| of the fp32 graphs when verified. */
  maxDifference?: number;
}

/**
 * `harma export`: the adapted model as a Hugging Face model folder — `onnx/vision_model.onnx` +
 * `onnx/text_model.onnx` (adapters baked in), `config.json`, `preprocessor_config.json` and the
 * backbone's tokenizer — that `harma serve`, `harma eval --model` and transformers.js load on their
 * own (a plug-in backbone's module is recorded and imported).
 */
export async function exportCommand(config: TrainConfig, options: ExportOptions): Promise<ExportResult> {
  const model = await buildTrainingModel(config, options.adapters ? { adapters: options.adapters } : { adapterType: 'none' });
  try {
    const exported = await exportOnnx(model.backbone, options.out, {
      quantize: options.quantize ?? true,
      tokenizer: model.tokenizer,
      ...(config.backbone.plugin === undefined ? {} : { plugin: config.backbone.plugin }),
      metadata: { run: config.name, adapters: options.adapters ? path.basename(options.adapters) : null, adapter: model.attachment?.kind ?? 'none' },
    });
    let maxDifference: number | undefined;
    if (options.verify ?? true) {
      const parity = await verifyExport(options.out, model.backbone);
      maxDifference = Math.max(parity.vision.maxAbsDifference, parity.text.maxAbsDifference);
      getLogger('export').info({ details: { maxDifference } }, `verified in onnxruntime-node: the graphs differ from the tfjs model by at most ${maxDifference.toExponential(2)}`);
    }
    return { export: exported, maxDifference };
  } finally {
    model.dispose();
  }
}
