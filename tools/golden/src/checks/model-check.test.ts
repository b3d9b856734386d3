import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, useBackend, writeSafetensors } from '@harma/core';
import { fixturePath } from '@harma/test-support';
import type { CheckLine } from '../report';
import { fixtureModel } from './fixture-config';
import { checkModelFixture } from './model-check';
import type { ModelComputer } from './model-fixture';
import { plainBackboneComputer } from './plain-backbone';

const PLAIN_OUTPUTS = [
  'plain.image_emb',
  'plain.image_tokens_block0',
  'plain.image_tokens_block1',
  'plain.text_emb',
  'plain.text_tokens_block0',
  'plain.text_tokens_block1',
];

/** Outputs of every model fixture, and those of the ViT and the ResNet ones. */
const COMMON_OUTPUTS = ['plain.text_', 'text_tokens_block', 'image_emb', 'text_emb', 'loss_', 'grad.', 'after.', 'train.loss_total'];
const VIT_OUTPUTS = [...COMMON_OUTPUTS, 'plain.image_', 'image_tokens_block'];
const RESNET_OUTPUTS = [...COMMON_OUTPUTS, 'image_stage', 'eval.loss_total', 'train_mode.image_emb', 'train_mode.buffer.', 'after_buffer.'];

/** Every output of the fixture computed and within tolerance: nothing left uncomputed. */
function expectAllOk(lines: CheckLine[], label: string, prefixes: readonly string[] = VIT_OUTPUTS): void {
  expect(lines.filter((line) => line.status !== 'ok').map((line) => `${line.name}: ${line.status} ${line.note ?? ''}`), label).toEqual([]);
  const names = lines.map((line) => line.name);
  for (const prefix of prefixes) {
    expect(names.some((name) => name.startsWith(prefix)), `${label}: ${prefix}* checked`).toBe(true);
  }
}

function expectPlainOk(lines: CheckLine[], label: string): void {
  const off = lines.filter((line) => line.status === 'off');
  expect(off, `${label}: lines off tolerance`).toEqual([]);
  const plain = lines.filter((line) => line.name.startsWith('plain.'));
  expect(plain.map((line) => line.name).sort(), label).toEqual(PLAIN_OUTPUTS);
  for (const line of plain) {
    expect(line.status, `${label} ${line.name}`).toBe('ok');
    expect(line.maxAbs, `${label} ${line.name}`).toBeLessThanOrEqual(1e-4);
  }
}

let dir: string;

beforeAll(async () => {
  await useBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-golden-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the golden model check (every computer) on the model fixtures', () => {
  it.each(['tiny-gelu', 'tiny-quickgelu'])('%s: every output computed and within tolerance', async (name) => {
    const lines = await checkModelFixture(fixturePath('golden', name));
    expectPlainOk(lines, name);
    expectAllOk(lines, name);
  });

  it.each([['weights.pt'], ['harma_checkpoint.pth'], ['weights.hf.safetensors', 'adapters.safetensors']])(
    'tiny-gelu with --weights %s: every output computed and within tolerance',
    async (...files) => {
      const lines = await checkModelFixture(fixturePath('golden', 'tiny-gelu'), files);
      expectPlainOk(lines, files.join(','));
      expectAllOk(lines, files.join(','));
    },
  );

  it.each([['weights.safetensors'], ['weights.pt']])('tiny-rn (CLIP ResNet) with --weights %s: every output computed and within tolerance', async (...files) => {
    const lines = await checkModelFixture(fixturePath('golden', 'tiny-rn'), files);
    expectAllOk(lines, `tiny-rn ${files.join(',')}`, RESNET_OUTPUTS);
    // Stage outputs, training-mode statistics after one pass and after three steps (one update each).
    expect(lines.filter((line) => /^image_stage\d$/.test(line.name))).toHaveLength(5);
    expect(lines.filter((line) => line.name.startsWith('train_mode.buffer.'))).toHaveLength(38);
    expect(lines.filter((line) => line.name.startsWith('after_buffer.'))).toHaveLength(38);
    expect(lines.filter((line) => line.name.startsWith('plain.image_'))).toEqual([]);
  });

  it('names what is not computed yet', async () => {
    const lines = await checkModelFixture(fixturePath('golden', 'tiny-gelu'), undefined, [plainBackboneComputer]);
    const rest = lines.filter((line) => !line.name.startsWith('plain.'));
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((line) => line.status === 'not-computed' && /^not computed yet: needs /.test(line.note ?? ''))).toBe(true);
  });
});

describe('the plain backbone computer refuses weights that are not the fixture backbone plus its adapters', () => {
  async function weightsWith(edit: (tensors: Map<string, tf.Tensor>) => void, file: string): Promise<string> {
    const tensors = (await loadSafetensors(fixturePath('golden', 'tiny-gelu', 'weights.safetensors'))).tensors;
    edit(tensors);
    const out = path.join(dir, file);
    await writeSafetensors(out, tensors);
    tf.dispose([...tensors.values()]);
    return out;
  }

  it('a left-over name that is neither an adapter nor temp', async () => {
    const file = await weightsWith((tensors) => tensors.set('visual.extra_head.weight', tf.zeros([2, 2])), 'extra.safetensors');
    const lines = await checkModelFixture(fixturePath('golden', 'tiny-gelu'), [file], [plainBackboneComputer]);
    expect(lines[0]).toMatchObject({ name: 'plain backbone', status: 'off' });
    expect(lines[0]?.note).toMatch(/extra\.safetensors does not match the model — unexpected 1: visual\.extra_head\.weight/);
  });

  it('a missing backbone tensor', async () => {
    const file = await weightsWith((tensors) => tensors.delete('visual.ln_post.weight'), 'missing.safetensors');
    const lines = await checkModelFixture(fixturePath('golden', 'tiny-gelu'), [file], [plainBackboneComputer]);
    expect(lines[0]?.note).toMatch(/missing 1: visual\.ln_post\.weight/);
    expect(lines.filter((line) => line.name.startsWith('plain.')).every((line) => line.status === 'not-computed')).toBe(true);
  });
});

describe('the check framework', () => {
  const constant = (label: string, names: string[]): ModelComputer => ({
    label,
    compute: async () => new Map(names.map((name) => [name, tf.zeros([1])])),
  });

  it('reports a failing computer, a doubly computed output and an output the fixture lacks as off', async () => {
    const failing: ModelComputer = { label: 'broken stage', compute: async () => { throw new Error('boom'); } };
    const lines = await checkModelFixture(fixturePath('golden', 'tiny-quickgelu'), undefined, [
      failing,
      constant('first', ['not_an_output']),
      constant('second', ['not_an_output']),
    ]);
    const off = lines.filter((line) => line.status === 'off');
    expect(off).toEqual([
      { name: 'broken stage', status: 'off', note: 'failed: boom' },
      { name: 'not_an_output', status: 'off', note: 'computed by both first and second' },
      { name: 'not_an_output', status: 'off', note: 'computed but absent from outputs.safetensors' },
    ]);
  });

  it('keeps the tensor count flat across checks', async () => {
    await checkModelFixture(fixturePath('golden', 'tiny-gelu'), undefined, [plainBackboneComputer]);
    const before = tf.memory().numTensors;
    await checkModelFixture(fixturePath('golden', 'tiny-gelu'), undefined, [plainBackboneComputer]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads the CLIP ResNet config of the ResNet fixture', async () => {
    const config = JSON.parse(await fs.readFile(fixturePath('golden', 'tiny-rn', 'config.json'), 'utf8')) as Record<string, unknown>;
    const model = fixtureModel(config);
    expect(model).toMatchObject({ kind: 'clip-resnet', clip: { embedDim: 32, vision: { imageSize: 64, layers: [1, 1, 1, 1], width: 8, heads: 4 }, batchNorm: { eps: 1e-5, momentum: 0.1 } } });
    expect(() => fixtureModel({ ...config, vision: { ...(config.vision as object), image_size: 48 } })).toThrow(/config\.json: invalid CLIP ResNet config — vision\.imageSize/);
  });

  it('reads the CLIP config and HarMA options of a fixture, naming a bad field', async () => {
    const config = JSON.parse(await fs.readFile(fixturePath('golden', 'tiny-gelu', 'config.json'), 'utf8')) as Record<string, unknown>;
    const model = fixtureModel(config);
    expect(model.clip).toMatchObject({ embedDim: 32, activation: 'gelu', vision: { imageSize: 32, patchSize: 8, heads: 4 } });
    expect(model.harma).toEqual({ vision: { bottleneck: 16, heads: 4 }, text: { bottleneck: 16, heads: 4 }, bishare: 'text', bishareHeads: 2 });
    const adapter = config.adapter as Record<string, unknown>;
    expect(fixtureModel({ ...config, adapter: { ...adapter, vision_bishare: true } }).harma.bishare).toBe('both');
    expect(() => fixtureModel({ ...config, act: 'relu' })).toThrow(/config\.json: act: Invalid enum value/);
    expect(() => fixtureModel({ ...config, text: undefined })).toThrow(/config\.json: text: Required/);
    expect(() => fixtureModel({ ...config, adapter: { ...adapter, heads: 0 } })).toThrow(/adapter\.heads/);
    expect(() => fixtureModel({ ...config, adapter: { ...adapter, share_width: 6 } })).toThrow(/adapter\.share_width: share_width is not bottleneck\/2/);
  });
});
