import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@harma/core';
import { MissingImagesError, readEvalAnnotations, readTrainAnnotations, syntheticDatasetFiles } from '@harma/data';
import { ConfigFilesError } from '../src/config/check-files';
import { loadTrainConfig } from '../src/config/load-config';
import { renderHtmlReport } from '../src/report/html-report';
import { MetricsLog, type EvaluationRecord, type StepRecord } from '../src/train/metrics-log';
import { readRunData } from '../src/train/run-data';
import { NonFiniteLossError } from '../src/train/optimiser-step';
import { RunInterrupted } from '../src/train/run-interruption';
import { runTraining } from '../src/train/run-training';
import { writeTinyRun } from './tiny-run';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
let root: string;

beforeAll(async () => {
  await initBackend();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-start-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A tiny run in a folder of its own (its data can be spoilt without touching the others'). */
async function tinyRun(name: string): Promise<{ dir: string; config: string; data: ReturnType<typeof syntheticDatasetFiles> }> {
  const dir = path.join(root, name);
  await fs.mkdir(dir);
  return { dir, config: await writeTinyRun(dir), data: syntheticDatasetFiles(path.join(dir, 'data')) };
}

describe('a run that cannot start says why, and leaves no run folder behind', () => {
  it('names a missing weight file by its config key, says where weights come from and which docs tell', async () => {
    const { dir, config } = await tinyRun('weights');
    const loaded = await loadTrainConfig(config, ['backbone.weights=[pretrained/clip.safetensors]', 'output=runs/weights'], { cwd: dir });
    const error = (await runTraining(loaded, { progress: false }).catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(ConfigFilesError);
    expect(error.message).toContain(`backbone.weights[0]: ${path.join(dir, 'pretrained/clip.safetensors')} does not exist`);
    expect(error.message).toMatch(/HarMA\.js downloads no weights/);
    expect(error.message).toMatch(/docs\/reproduce\.md, section "1\. Files and where they go"/);
    expect(error.message).toMatch(/`npm run demo` writes runs\/demo\/pretrain\/best\.safetensors/);
    expect(existsSync(loaded.output)).toBe(false);
    // The CLI says which config file the key is in, and how its paths resolve.
    const cliRun = spawnSync(process.execPath, [cli, 'train', '--config', config, '--set', 'backbone.vocabulary=gone.txt.gz', '--output', 'runs/cli', '--no-progress'], { cwd: dir, encoding: 'utf8' });
    expect(cliRun.status).toBe(1);
    expect(cliRun.stderr).toContain(`harma: a file the run needs is missing (run config ${config};`);
    expect(cliRun.stderr).toContain(`backbone.vocabulary: ${path.join(dir, 'gone.txt.gz')} does not exist`);
    expect(cliRun.stderr).toMatch(/bpe_simple_vocab_16e6\.txt\.gz, ships with open_clip/);
    expect(existsSync(path.join(dir, 'runs'))).toBe(false);
  });

  it('asked to stop before its first step, writes nothing', async () => {
    const { dir, config } = await tinyRun('abort');
    const loaded = await loadTrainConfig(config, ['output=runs/abort'], { cwd: dir });
    const controller = new AbortController();
    controller.abort();
    await expect(runTraining(loaded, { progress: false, signal: controller.signal })).rejects.toThrow(RunInterrupted);
    expect(existsSync(loaded.output)).toBe(false);
  });

  it('refuses a batch larger than the training set, saying which value to lower and to what', async () => {
    const { dir, config } = await tinyRun('batch');
    const loaded = await loadTrainConfig(config, ['training.batchSize=1000'], { cwd: dir });
    const train = await readTrainAnnotations(loaded.data.train);
    await expect(runTraining(loaded, { progress: false })).rejects.toThrow(
      `training.batchSize is 1000, but the training annotations (data.train) hold ${train.captions.length} captions: a step needs a full batch, so no step would run. ` +
        `Set a smaller training.batchSize — at most ${train.captions.length}, e.g. --set training.batchSize=128 — or add training data.`,
    );
    expect(existsSync(loaded.output)).toBe(false);
  });

  it('checks every image of every split before the first step and reports all the bad ones at once', async () => {
    const { dir, config, data } = await tinyRun('images');
    const train = await readTrainAnnotations(data.train);
    const val = await readEvalAnnotations(data.val);
    // A truncated validation image (only a full decode finds it) and a missing training image.
    const truncated = path.join(data.imageRoot, val.images[0] as string);
    const bytes = await fs.readFile(truncated);
    await fs.writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await fs.rm(path.join(data.imageRoot, train.images[0] as string));
    const loaded = await loadTrainConfig(config, ['output=runs/fail'], { cwd: dir });
    const error = (await runTraining(loaded, { progress: false }).catch((caught: unknown) => caught)) as MissingImagesError;
    expect(error).toBeInstanceOf(MissingImagesError);
    expect(error.problems.map((p) => p.image).sort()).toEqual([train.images[0], val.images[0]].sort());
    expect(error.message).toMatch(/^2 of the \d+ images the annotations name are missing or unreadable \(data\.images: .*\); fix or remove them, or set data\.missingImages: skip/);
    expect(error.message).toMatch(/corrupt or truncated/);
    expect(existsSync(loaded.output)).toBe(false);

    // Under `skip` both are left out, with their captions, and the run trains, validates and tests.
    const skipping = await loadTrainConfig(config, ['output=runs/skip', 'data.missingImages=skip'], { cwd: dir });
    const result = await runTraining(skipping, { progress: false });
    expect(result.completed).toBe(true);
    expect(result.skippedImages).toBe(2);
    const records = await new MetricsLog(path.join(skipping.output, 'metrics.jsonl')).read();
    const steps = records.filter((r): r is StepRecord => r.type === 'step');
    const captions = train.captions.filter((c) => c.image !== train.images[0]).length;
    expect(steps).toHaveLength(2 * Math.floor(captions / skipping.training.batchSize));
    const evaluations = records.filter((r): r is EvaluationRecord => r.type === 'evaluation');
    expect(evaluations.find((r) => r.split === 'val')).toBeDefined();

    // One convention for epochs and steps: from 1, in metrics.jsonl, summary.json, the report and on screen.
    expect(steps[0]).toMatchObject({ epoch: 1, step: 1, globalStep: 1 });
    expect(steps.at(-1)).toMatchObject({ epoch: 2, step: steps.length / 2, globalStep: steps.length });
    expect(evaluations.filter((r) => r.split === 'val').map((r) => r.epoch)).toEqual([1, 2]);
    const summary = JSON.parse(await fs.readFile(path.join(skipping.output, 'summary.json'), 'utf8')) as { bestEpoch: number };
    expect([1, 2]).toContain(summary.bestEpoch);
    expect(evaluations.find((r) => r.split === 'test')?.epoch).toBe(summary.bestEpoch);
    expect(renderHtmlReport('run', records)).toContain('<tr><td>val</td><td>1</td>');
  });
});

describe("the advice on image ids can be followed in a run config", () => {
  it('data.imageKey: image identifies images by path, as the error message says', async () => {
    const { dir, config, data } = await tinyRun('image-key');
    // A second training file whose ids overlap the first's for other images.
    const entries = JSON.parse(await fs.readFile(data.train, 'utf8')) as Array<{ image: string; image_id: number }>;
    const other = entries.filter((e) => e.image !== entries[0]?.image).slice(0, 5).map((e) => ({ ...e, image_id: entries[0]?.image_id }));
    const second = path.join(dir, 'more_train.json');
    await fs.writeFile(second, JSON.stringify(other));
    const both = `data.train=[${data.train}, ${second}]`;
    const byId = await loadTrainConfig(config, [both], { cwd: dir });
    await expect(readRunData(byId, { splits: ['train'], progress: false })).rejects.toThrow(/\(in a harma run config: data\.imageKey: image\)/);
    const byPath = await loadTrainConfig(config, [both, 'data.imageKey=image'], { cwd: dir });
    const { train } = await readRunData(byPath, { splits: ['train'], progress: false });
    expect(train?.captions).toHaveLength(entries.length + other.length);
  });
});

describe('a fresh run that fails before its first saved state', () => {
  it('removes what it wrote: no folder holding only config.json', async () => {
    const { dir, config } = await tinyRun('diverges');
    // A learning rate that makes the loss overflow within the first epoch, before any state is saved.
    const loaded = await loadTrainConfig(config, ['output=runs/diverges', 'training.lr=1e30', 'training.warmupFraction=0'], { cwd: dir });
    await expect(runTraining(loaded, { progress: false })).rejects.toThrow(NonFiniteLossError);
    expect(existsSync(loaded.output)).toBe(false);
    // A folder that was there before keeps what else it holds.
    await fs.mkdir(path.join(dir, 'runs/kept'), { recursive: true });
    await fs.writeFile(path.join(dir, 'runs/kept/notes.txt'), 'mine');
    const into = await loadTrainConfig(config, ['output=runs/kept', 'training.lr=1e30', 'training.warmupFraction=0'], { cwd: dir });
    await expect(runTraining(into, { progress: false })).rejects.toThrow(NonFiniteLossError);
    expect(await fs.readdir(into.output)).toEqual(['notes.txt']);
  });
});
