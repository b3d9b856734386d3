import { existsSync, promises as fs } from 'node:fs';
import { writeFileAtomic } from '@harma/core';
import type { EmbeddingDiagnostics, RetrievalMetrics } from '@harma/metrics';

/** One optimiser step. */
export interface StepRecord {
  type: 'step';
  epoch: number;
  step: number;
  globalStep: number;
  lr: number;
  temp: number;
  loss: number;
  contrastive: number;
  triplet: number;
  uniformity?: number;
  gradNorm: number;
  seconds: number;
}

/** An evaluation (validation after an epoch, test at the end). */
export interface EvaluationRecord {
  type: 'evaluation';
  split: 'val' | 'test';
  epoch: number;
  globalStep: number;
  metrics: RetrievalMetrics;
  diagnostics: EmbeddingDiagnostics;
  seconds: number;
}

export type MetricsRecord = StepRecord | EvaluationRecord;

/** `metrics.jsonl` of a run: one JSON object per line, appended as the run goes. */
export class MetricsLog {
  constructor(readonly file: string) {}

  async append(record: MetricsRecord): Promise<void> {
    await fs.appendFile(this.file, `${JSON.stringify(record)}\n`);
  }

  async read(): Promise<MetricsRecord[]> {
    if (!existsSync(this.file)) return [];
    const text = await fs.readFile(this.file, 'utf8');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, index) => {
        try {
          return JSON.parse(line) as MetricsRecord;
        } catch {
          throw new Error(`${this.file}:${index + 1}: not a JSON line`);
        }
      });
  }

  /**
   * Keep only what happened up to a resumed state (steps numbered below `globalStep`, evaluations of finished
   * epochs), so a resumed run does not log the killed run's lost steps twice. A torn last line
   * from the kill is dropped too.
   */
  async truncateTo(globalStep: number, completedEpochs: number): Promise<void> {
    if (!existsSync(this.file)) return;
    const kept: string[] = [];
    for (const line of (await fs.readFile(this.file, 'utf8')).split('\n')) {
      if (line.trim() === '') continue;
      let record: MetricsRecord;
      try {
        record = JSON.parse(line) as MetricsRecord;
      } catch {
        continue;
      }
      const keep = record.type === 'step' ? record.globalStep < globalStep : record.split === 'val' && record.epoch < completedEpochs;
      if (keep) kept.push(line);
    }
    await writeFileAtomic(this.file, kept.length > 0 ? `${kept.join('\n')}\n` : '');
  }
}
