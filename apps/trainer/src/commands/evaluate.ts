import { readEvalAnnotations } from '@harma/data';
import { formatMetricsTable, type MetricsRow } from '@harma/metrics';
import type { TrainConfig } from '../config/train-config';
import { buildTrainingModel } from '../model/build-model';
import { evaluateSplit, type SplitEvaluation } from '../evaluate/evaluate-split';
import { backboneEncoder } from '../evaluate/tfjs-backbone-encoder';

export interface EvaluateOptions {
  /** Adapters file to evaluate (written by `harma train`); without it only zero-shot is evaluated. */
  adapters?: string;
  /** Which split(s). Default: test. */
  split?: 'val' | 'test' | 'both';
  /** Evaluate the plain backbone too. Default: true. */
  zeroShot?: boolean;
}

export interface EvaluationRow {
  model: 'zero-shot' | 'adapted';
  split: 'val' | 'test';
  evaluation: SplitEvaluation;
}

/** Zero-shot and adapted recall of a config's model on its splits. */
export async function evaluateCommand(config: TrainConfig, options: EvaluateOptions = {}): Promise<EvaluationRow[]> {
  const splits: Array<'val' | 'test'> = options.split === 'both' ? ['val', 'test'] : [options.split ?? 'test'];
  const variants: Array<'zero-shot' | 'adapted'> = [];
  if (options.zeroShot ?? true) variants.push('zero-shot');
  if (options.adapters !== undefined) variants.push('adapted');
  if (variants.length === 0) throw new Error('nothing to evaluate: give --adapters or keep the zero-shot evaluation');
  const rows: EvaluationRow[] = [];
  for (const variant of variants) {
    const model = await buildTrainingModel(config, variant === 'zero-shot' ? { adapterType: 'none' } : { adapters: options.adapters });
    try {
      for (const split of splits) {
        const annotations = await readEvalAnnotations(split === 'val' ? config.data.val : config.data.test, { maxWords: config.data.maxWords });
        const { size, mean, std } = model.backbone.preprocess;
        const evaluation = await evaluateSplit(backboneEncoder(model.backbone), annotations, {
          imageRoot: config.data.images,
          tokenizer: model.tokenizer,
          imageSize: size,
          mean,
          std,
          batchSize: config.evaluation.batchSize,
          workers: Math.min(1, config.data.workers),
          onMissingImage: config.data.missingImages,
        });
        rows.push({ model: variant, split, evaluation });
      }
    } finally {
      model.dispose();
    }
  }
  return rows;
}

export function formatEvaluationRows(rows: readonly EvaluationRow[]): string {
  const table: MetricsRow[] = rows.map((row) => ({ name: `${row.model} (${row.split})`, metrics: row.evaluation.metrics }));
  const gaps = rows.map((row) => `${row.model} (${row.split}): modality gap ${row.evaluation.diagnostics.modalityGap.toFixed(3)}, alignment ${row.evaluation.diagnostics.alignment.toFixed(3)}`);
  return `${formatMetricsTable(table)}\n${gaps.join('\n')}`;
}
