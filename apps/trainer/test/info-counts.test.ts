import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { SHIPPED_MODEL_CONFIG_NAMES, SHIPPED_RESNET_CONFIG_NAMES, modelConfigsDirectory } from '@harma/backbones';
import { harmaParameterCount, openClipParameterCount } from '@harma/test-support';
import { infoCommand } from '../src/commands/info';
import type { ParameterCounts } from '../src/model/count-parameters';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');

/** `harma info …` in a fresh process, as a user runs it. */
async function harmaInfo(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [cli, 'info', ...args]);
}

/** The exit message of a `harma info` that fails. */
async function harmaInfoError(args: string[]): Promise<string> {
  return harmaInfo(args).then(
    () => 'exited 0',
    (error: { stderr: string }) => error.stderr,
  );
}

type OpenClipJson<Layers = number> = { vision_cfg: { layers: Layers }; text_cfg: { layers: number } };

async function openClipJson<Layers = number>(name: string): Promise<OpenClipJson<Layers>> {
  return JSON.parse(await readFile(path.join(modelConfigsDirectory(), `${name}.json`), 'utf8')) as OpenClipJson<Layers>;
}

function group(counts: ParameterCounts, name: string): number | undefined {
  return counts.groups.find((entry) => entry.name === name)?.parameters;
}

describe('harma info on CLIP ViT-B/32', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('prints the official counts in the same table as before --backbone', async () => {
    expect(await infoCommand({})).toBe(
      [
        'ViT-B-32 + harma (adapters)',
        '  text backbone                    63,428,096  frozen',
        '  logit_scale                               1  frozen',
        '  temperature (temp)                        1  trainable',
        '  vision backbone                  87,849,216  frozen',
        '  vision gates                             24  trainable',
        '  vision adapters                   3,162,624  trainable',
        '  text gates                               36  trainable',
        '  text adapters                     2,373,120  trainable',
        '  text BiShareAdapters                398,592  trainable',
        '  total                           157,211,710',
        '  trainable                         5,934,397  (3.77 %)',
      ].join('\n'),
    );
    const counts = JSON.parse(await infoCommand({ backbone: 'ViT-B-32', json: true })) as ParameterCounts;
    expect(counts).toMatchObject({ backbone: 'ViT-B-32', kind: 'clip', adapter: 'harma', trainableMode: 'adapters', total: 157_211_710, trainable: 5_934_397 });
  });
});

// One process per config: a process that builds one model leaves its zero weights untouched (see
// countFor), so even ViT-bigG-14 takes about 2 s and 250 MB; in one process the later builds
// would reuse, and touch, the memory of the earlier ones. The official HarMA attaches nothing to a
// ResNet image tower: there, its trainable parameters are the text tower's adapters and gates, and temp.
const SHIPPED = [...SHIPPED_MODEL_CONFIG_NAMES.map((name) => [name, 'clip'] as const), ...SHIPPED_RESNET_CONFIG_NAMES.map((name) => [name, 'clip-resnet'] as const)];

describe('harma info --backbone NAME --json: every shipped config with HarMA, against the closed-form counts', () => {
  it.concurrent.each(SHIPPED)('%s (%s)', async (name, kind) => {
    const json = await openClipJson<number | number[]>(name);
    const plain = openClipParameterCount(json);
    const harma = harmaParameterCount(json);
    const counts = JSON.parse((await harmaInfo(['--backbone', name, '--json'])).stdout) as ParameterCounts;
    expect(counts).toMatchObject({ backbone: name, kind, adapter: 'harma', trainable: harma, total: plain.total + harma });
    expect(group(counts, 'vision backbone')).toBe(plain.vision);
    expect(group(counts, 'text backbone')).toBe(plain.text);
    // A block gate and the MMadapter's gate per block; text MMadapters hold a BiShareAdapter with its own gate.
    expect(group(counts, 'vision gates')).toBe(kind === 'clip' ? 2 * (json.vision_cfg.layers as number) : undefined);
    expect(group(counts, 'text gates')).toBe(3 * json.text_cfg.layers);
    if (name === 'ViT-B-32') expect([counts.trainable, counts.total]).toEqual([5_934_397, 157_211_710]);
    if (name === 'RN50') expect([counts.trainable, counts.total]).toEqual([2_771_749, 104_778_886]);
  });
});

describe('harma info arguments', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'harma-info-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads an open_clip ModifiedResNet config file as a CLIP ResNet', async () => {
    const file = path.join(dir, 'RN50-two-stages-deep.json');
    const rn50 = await openClipJson<number[]>('RN50');
    const json = { ...rn50, vision_cfg: { ...rn50.vision_cfg, layers: [1, 1, 2, 1] } };
    await writeFile(file, JSON.stringify(json));
    const counts = JSON.parse((await harmaInfo(['--backbone', file, '--json'])).stdout) as ParameterCounts;
    expect(counts).toMatchObject({ backbone: file, kind: 'clip-resnet', trainable: 2_771_749, total: openClipParameterCount(json).total + 2_771_749 });
  });

  it('reads an open_clip config file, and --arch still names the backbone', async () => {
    const file = path.join(dir, 'ViT-H-14-two-blocks.json');
    const vitH14 = await openClipJson('ViT-H-14');
    const json = { ...vitH14, vision_cfg: { ...vitH14.vision_cfg, layers: 2 } };
    await writeFile(file, JSON.stringify(json));
    const counts = JSON.parse((await harmaInfo(['--backbone', file, '--json', '--adapter', 'none'])).stdout) as ParameterCounts;
    expect(counts).toMatchObject({ backbone: file, kind: 'clip', adapter: 'none', trainable: 0, total: openClipParameterCount(json).total });
    const alias = JSON.parse((await harmaInfo(['--arch', 'ViT-S-32', '--json'])).stdout) as ParameterCounts;
    expect(alias.backbone).toBe('ViT-S-32');
    expect(await harmaInfoError(['--arch', 'ViT-S-32', '--backbone', 'ViT-B-32'])).toContain("option '--arch <name>' cannot be used with option '--backbone <name>'");
  });

  it('names what it cannot read', async () => {
    expect(await harmaInfoError(['--backbone', 'RN49'])).toMatch(/^harma: unknown backbone 'RN49': give a shipped config name \(clip: ViT-S-32, .*; clip-resnet: RN50, /);
    expect(await harmaInfoError(['--backbone', dir])).toContain(`harma: '${dir}' is a folder without a config.json`);
    const resnet = path.join(dir, 'RN50-like.json');
    // open_clip's RN50.json vision tower with an odd stem width: the clip-resnet parser names it.
    await writeFile(resnet, JSON.stringify({ embed_dim: 1024, vision_cfg: { image_size: 224, layers: [3, 4, 6, 3], width: 63, patch_size: null }, text_cfg: {} }));
    expect(await harmaInfoError(['--backbone', resnet])).toContain(`${resnet}: the ResNet's feature width 2016 (vision_cfg.width · 32) is not a multiple of head_width 64`);
    expect(await harmaInfoError(['--backbone', path.join(dir, 'absent.json')])).toContain('absent.json: model config file not found');
  });

  it('lists the shipped configs in its help', async () => {
    const help = (await harmaInfo(['--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain(`Shipped backbone configs: clip: ${SHIPPED_MODEL_CONFIG_NAMES.join(', ')} clip-resnet: ${SHIPPED_RESNET_CONFIG_NAMES.join(', ')}`);
    expect(help).not.toContain('--arch');
  });
});
