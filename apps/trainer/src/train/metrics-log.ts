import { existsSync, promises as fs } from 'node:fs';
import { writeFileAtomic } from '@harma/core';
import type { EmbeddingDiagnostics, RetrievalMetrics } from '@harma/metrics';

/** One optimiser step. Epochs and steps count from 1, in this file as on the screen. */
export interface StepRecord {
  type: 'step';
  epoch: number;
  /** The step's number within its epoch. */
  step: number;
  /** The step's number within the run (it ran at the schedule's λ(globalStep − 1)). */
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
  /** Validation: the epoch (from 1) just trained. Test: the epoch whose adapters were best (0: no validation ran, the last ones). */
  epoch: number;
  /** Optimiser steps done by then. */
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
   * Keep only what happened up to a resumed state — the first `stepsDone` steps, the validations of
   * the first `epochsDone` epochs — so a resumed run does not log the stopped run's lost steps
   * twice. A torn last line from a kill is dropped too.
   */
  async truncateTo(stepsDone: number, epochsDone: number): Promise<void> {
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
      const keep = record.type === 'step' ? record.globalStep <= stepsDone : record.split === 'val' && record.epoch <= epochsDone;
      if (keep) kept.push(line);
    }
    await writeFileAtomic(this.file, kept.length > 0 ? `${kept.join('\n')}\n` : '');
  }
}
