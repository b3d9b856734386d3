import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImagePreprocessSpec, TextTokenizer } from '@harma/core';
import { readEvalAnnotations } from '@harma/data';
import { createTfjsEncoder, evaluateSplit, loadExportedModel, type Encoder, type SplitEvaluation } from '@harma/inference';
import { formatMetricsTable, type MetricsRow } from '@harma/metrics';
import type { TrainConfig } from '../config/train-config';
import { buildTrainingModel } from '../model/build-model';
import { exportCommand } from './export';

export interface EvaluateOptions {
  /** Adapters file to evaluate (written by `harma train`). */
  adapters?: string;
  /** An exported model folder (`harma export`) to evaluate as the adapted model, on ONNX Runtime, with the tokenizer it saved. */
  model?: string;
  /** Which split(s). Default: test. */
  split?: 'val' | 'test' | 'both';
  /** Evaluate the plain backbone too. Default: true. */
  zeroShot?: boolean;
  /**
   * `tfjs`: the training-time model; `ort`: an ONNX export in onnxruntime-node (made on the fly
   * into a temporary folder when `model` is not given). Default: `ort` when `model` is given,
   * else `tfjs`.
   */
  engine?: 'tfjs' | 'ort';
}

export interface EvaluationRow {
  model: 'zero-shot' | 'adapted';
  engine: 'tfjs' | 'ort';
  split: 'val' | 'test';
  evaluation: SplitEvaluation;
}

interface PreparedEncoder {
  encoder: Encoder;
  tokenizer: TextTokenizer;
  preprocess: ImagePreprocessSpec;
  dispose(): Promise<void>;
}

/** An export opened with the one loader: its own tokenizer and preprocessing, ONNX Runtime. */
async function exportedEncoder(dir: string, cleanup?: () => Promise<void>): Promise<PreparedEncoder> {
  const model = await loadExportedModel(dir, { warmUp: false });
  return {
    encoder: model.encoder,
    tokenizer: model.tokenizer,
    preprocess: model.preprocess,
    dispose: async () => {
      await model.dispose();
      await cleanup?.();
    },
  };
}

async function prepare(config: TrainConfig, variant: 'zero-shot' | 'adapted', engine: 'tfjs' | 'ort', options: EvaluateOptions): Promise<PreparedEncoder> {
  if (variant === 'adapted' && options.model) return exportedEncoder(options.model);
  const adapters = variant === 'adapted' ? options.adapters : undefined;
  if (engine === 'ort') {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'harma-eval-export-'));
    await exportCommand(config, { adapters, out: dir, quantize: false, verify: false });
    return exportedEncoder(dir, () => rm(dir, { recursive: true, force: true }));
  }
  const model = await buildTrainingModel(config, adapters ? { adapters } : { adapterType: 'none' });
  return {
    encoder: createTfjsEncoder(model.backbone, { ownsBackbone: false }),
    tokenizer: model.tokenizer,
    preprocess: model.backbone.preprocess,
    dispose: async () => model.dispose(),
  };
}

/** Zero-shot and adapted recall of a config's model on its splits, on tfjs or ONNX Runtime. */
export async function evaluateCommand(config: TrainConfig, options: EvaluateOptions = {}): Promise<EvaluationRow[]> {
  const splits: Array<'val' | 'test'> = options.split === 'both' ? ['val', 'test'] : [options.split ?? 'test'];
  const engine = options.engine ?? (options.model ? 'ort' : 'tfjs');
  const variants: Array<'zero-shot' | 'adapted'> = [];
  if (options.zeroShot ?? true) variants.push('zero-shot');
  if (options.adapters !== undefined || options.model !== undefined) variants.push('adapted');
  if (variants.length === 0) throw new Error('nothing to evaluate: give --adapters or --model, or keep the zero-shot evaluation');
  const rows: EvaluationRow[] = [];
  for (const variant of variants) {
    const prepared = await prepare(config, variant, engine, options);
    try {
      for (const split of splits) {
        const annotations = await readEvalAnnotations(split === 'val' ? config.data.val : config.data.test, { maxWords: config.data.maxWords });
        const evaluation = await evaluateSplit(prepared.encoder, annotations, {
          imageRoot: config.data.images,
          tokenizer: prepared.tokenizer,
          preprocess: prepared.preprocess,
          batchSize: config.evaluation.batchSize,
          workers: config.data.workers,
          onMissingImage: config.data.missingImages,
        });
        rows.push({ model: variant, engine, split, evaluation });
      }
    } finally {
      await prepared.dispose();
    }
  }
  return rows;
}

export function formatEvaluationRows(rows: readonly EvaluationRow[]): string {
  const table: MetricsRow[] = rows.map((row) => ({ name: `${row.model} (${row.split}, ${row.engine})`, metrics: row.evaluation.metrics }));
  const notes = rows.map(
    (row) =>
      `${row.model} (${row.split}): modality gap ${row.evaluation.diagnostics.modalityGap.toFixed(3)}, alignment ${row.evaluation.diagnostics.alignment.toFixed(3)}, ` +
      `${row.evaluation.images} images / ${row.evaluation.captions} captions in ${row.evaluation.seconds.toFixed(1)} s`,
  );
  return `${formatMetricsTable(table)}\n${notes.join('\n')}`;
}
