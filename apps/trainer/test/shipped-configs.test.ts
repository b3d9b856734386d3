import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadModelConfig, loadResNetModelConfig } from '@harma/backbones';
import { repositoryRoot } from '@harma/test-support';
import { loadTrainConfig } from '../src/config/load-config';

const configs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../configs');

describe("the shipped configs mirror the paper's four runs", () => {
  it.each([
    ['rsitmd-clip-vitb32.yaml', 4e-4, 50, 'ViT-B-32.pt', 'rsitmd'],
    ['rsicd-clip-vitb32.yaml', 4e-4, 50, 'ViT-B-32.pt', 'rsicd'],
    ['rsitmd-georsclip.yaml', 4e-6, 80, 'RS5M_ViT-B-32_RET-2.pt', 'rsitmd'],
    ['rsicd-georsclip.yaml', 4e-6, 80, 'RS5M_ViT-B-32_RET-2.pt', 'rsicd'],
  ])('%s', async (file, lr, epochs, weights, dataset) => {
    const config = await loadTrainConfig(path.join(configs, file));
    expect(config.training).toMatchObject({
      lr, epochs, batchSize: 214, betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.04, warmupFraction: 0.1, temperature: 0.07, trainable: 'adapters',
      loss: { contrastive: 1, triplet: 1, uniformity: 0, margin: 0.2, gamma: 2 },
    });
    expect(config.data.maxWords).toBe(30);
    expect(config.data.augment).toBe('paper');
    expect(config.adapter).toMatchObject({ type: 'harma', harma: { bottleneck: 128, heads: 8, share: 'text' } });
    expect(path.basename(config.backbone.weights[0]!)).toBe(weights);
    expect(path.basename(config.data.train[0]!)).toBe(`${dataset}_train.json`);
    expect(path.basename(config.data.val)).toBe(`${dataset}_val.json`);
    // OpenAI and GeoRSCLIP weights use QuickGELU.
    expect(loadModelConfig(config.backbone.config).activation).toBe('quick_gelu');
  });

  it('rsitmd-remoteclip-rn50.yaml: the RSITMD run on RemoteCLIP RN50, official BatchNorm behaviour', async () => {
    const config = await loadTrainConfig(path.join(configs, 'rsitmd-remoteclip-rn50.yaml'));
    const georsclip = await loadTrainConfig(path.join(configs, 'rsitmd-georsclip.yaml'));
    // Everything but the backbone and the output is the paper's RSITMD run with remote-sensing weights.
    expect(config.training).toEqual(georsclip.training);
    expect(config.adapter).toEqual(georsclip.adapter);
    expect(config.data).toEqual(georsclip.data);
    expect(config.backbone).toMatchObject({ kind: 'clip-resnet', config: 'RN50-quickgelu', freezeBatchNorm: false });
    expect(path.basename(config.backbone.weights[0]!)).toBe('RemoteCLIP-RN50.pt');
    expect(path.basename(config.backbone.vocabulary!)).toBe('bpe_simple_vocab_16e6.txt.gz');
    expect(loadResNetModelConfig(config.backbone.config).activation).toBe('quick_gelu');
  });
});

/** The `npm run harma -- …` commands of a markdown file's sh blocks, continuation lines joined. */
function guideCommands(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => (block[1] as string).replace(/\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.trim())
    .filter((line) => line.startsWith('npm run harma -- '));
}

const option = (command: string, name: string): string | undefined => new RegExp(`${name}[ =]("[^"]*"|\\S+)`).exec(command)?.[1]?.replace(/^"|"$/g, '');

describe('where runs go: the shipped configs and docs/reproduce.md agree', () => {
  const root = repositoryRoot();
  const commands = guideCommands(readFileSync(path.join(root, 'docs/reproduce.md'), 'utf8'));

  it('a shipped config run from the repository (as `npm run harma` runs) writes runs/<name> there', async () => {
    for (const file of ['rsitmd-clip-vitb32.yaml', 'rsicd-georsclip.yaml']) {
      const { name } = YAML.parse(readFileSync(path.join(configs, file), 'utf8')) as { name: string };
      expect((await loadTrainConfig(path.join(configs, file), [], { cwd: root })).output).toBe(path.join(root, 'runs', name));
    }
  });

  it('every adapters file the guide evaluates or exports is one its train commands write', () => {
    const trained = new Set<string>();
    for (const command of commands.filter((c) => c.startsWith('npm run harma -- train '))) {
      const config = option(command, '--config') as string;
      const name = /--set name=(\S+)/.exec(command)?.[1] ?? (YAML.parse(readFileSync(path.join(root, config), 'utf8')) as { name: string }).name;
      trained.add(option(command, '--output') ?? `runs/${name}`);
    }
    expect(trained.size).toBeGreaterThanOrEqual(4);
    const used = commands.map((c) => option(c, '--adapters')).filter((file): file is string => file !== undefined && file.startsWith('runs/'));
    expect(used.length).toBeGreaterThan(0);
    for (const file of used) expect(trained, file).toContain(path.dirname(file));
  });
});
