import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@harma/core';
import { formatDemoSummary } from '../src/demo/run-demo';
import { DEMO_TEST_PRESET } from '../src/demo/demo-preset';
import { MetricsLog, type EvaluationRecord } from '../src/train/metrics-log';
import { sharedDemoRun, type DemoRun } from './demo-run';

let demo: DemoRun;
let dir: string;
beforeAll(async () => {
  await initBackend();
  // The demo runs once per vitest run (transformers-js.test.ts opens the model it exports): this may wait for another file's run.
  demo = await sharedDemoRun();
  dir = demo.dir;
}, 600_000);

async function validation(run: string): Promise<number[]> {
  const records = await new MetricsLog(path.join(dir, run, 'metrics.jsonl')).read();
  return records.filter((r): r is EvaluationRecord => r.type === 'evaluation' && r.split === 'val').map((r) => r.metrics.r_mean);
}

describe('the demo path in miniature', () => {
  it('pretrains, adapts, evaluates and writes the summary; validation recall rises', async () => {
    const { summary } = demo;
    const written = JSON.parse(await fs.readFile(path.join(dir, 'summary.json'), 'utf8'));
    expect(Object.keys(written.methods)).toEqual(['zero-shot', 'harma', 'clip-adapter']);
    for (const method of Object.values(written.methods) as Array<Record<string, number>>) {
      for (const field of ['r_mean', 'txt_r1', 'img_r1', 'trainable', 'total']) expect(typeof method[field]).toBe('number');
    }
    expect(written.seconds).toBeGreaterThan(0);
    expect(summary.methods['zero-shot'].trainable).toBe(0);
    expect(summary.methods.harma.trainable).toBeGreaterThan(0);
    expect(summary.methods.harma.trainable).toBeLessThan(summary.methods.harma.total);

    // Pretraining from random weights must learn: validation r_mean after the last epoch beats the first.
    const pretrain = await validation('pretrain');
    expect(pretrain).toHaveLength(DEMO_TEST_PRESET.pretrain.epochs);
    expect(pretrain.at(-1)!).toBeGreaterThan(pretrain[0]!);
    // HarMA's adapters learn the target style: a later epoch beats the first on validation.
    const harma = await validation('harma');
    expect(harma).toHaveLength(DEMO_TEST_PRESET.harma.epochs);
    expect(Math.max(...harma.slice(1))).toBeGreaterThan(harma[0]!);
    expect(formatDemoSummary(summary)).toMatch(/HarMA gains -?\d+\.\d\d points of r_mean over zero-shot/);
  });
});
