import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { applyOverride, loadTrainConfig, parseTrainConfig } from './load-config';
import { expandEnvironment } from './expand-environment';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-config-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const minimal = `
name: test-run
backbone:
  config: ViT-B-32
  weights: [weights/clip.safetensors]
  vocabulary: /abs/vocab.txt.gz
data:
  train: [ann/train.json]
  val: ann/val.json
  test: ann/test.json
  images: \${HARMA_TEST_IMAGES:-images}
training:
  epochs: 3
  lr: 4.0e-4
output: runs/test
`;

describe('loadTrainConfig', () => {
  it('fills the paper defaults and resolves paths against the config folder', async () => {
    const file = path.join(dir, 'run.yaml');
    await fs.writeFile(file, minimal);
    const config = await loadTrainConfig(file);
    expect(config.training).toMatchObject({ batchSize: 214, betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.04, warmupFraction: 0.1, temperature: 0.07, trainable: 'adapters' });
    expect(config.training.loss).toEqual({ contrastive: 1, triplet: 1, uniformity: 0, margin: 0.2, gamma: 2 });
    expect(config.adapter).toMatchObject({ type: 'harma', harma: { bottleneck: 128, heads: 8, share: 'text' } });
    expect(config.backbone.config).toBe('ViT-B-32');
    expect(config.backbone.weights).toEqual([path.join(dir, 'weights/clip.safetensors')]);
    expect(config.backbone.vocabulary).toBe('/abs/vocab.txt.gz');
    expect(config.data.images).toBe(path.join(dir, 'images'));
    expect(config.output).toBe(path.join(dir, 'runs/test'));
  });

  it('resolves a Hugging Face folder written as a path against the config folder; a name stays a name', async () => {
    const file = path.join(dir, 'folder.yaml');
    await fs.writeFile(file, minimal.replace(/backbone:\n( {2}.*\n)+/, 'backbone:\n  kind: clip\n  config: ./models/clip-vit-base-patch32\n'));
    const config = await loadTrainConfig(file);
    expect(config.backbone).toEqual({ kind: 'clip', config: path.join(dir, 'models/clip-vit-base-patch32'), weights: [] });
    const named = await loadTrainConfig(file, ['backbone.config=tiny']);
    expect(named.backbone.config).toBe('tiny');
  });

  it('--backbone replaces the backbone section, resolved against the working directory; overrides still apply', async () => {
    const file = path.join(dir, 'flag.yaml');
    await fs.writeFile(file, minimal);
    const config = await loadTrainConfig(file, [], { backbone: 'hf/clip-vit-base-patch32' });
    expect(config.backbone).toEqual({ kind: 'clip', config: path.resolve('hf/clip-vit-base-patch32'), weights: [] });
    const withVocabulary = await loadTrainConfig(file, ['backbone.vocabulary=/abs/other.txt.gz'], { backbone: '/models/clip' });
    expect(withVocabulary.backbone).toEqual({ kind: 'clip', config: '/models/clip', weights: [], vocabulary: '/abs/other.txt.gz' });
    // A config without a backbone section at all, for use with --backbone only.
    const bare = path.join(dir, 'no-backbone.yaml');
    await fs.writeFile(bare, minimal.replace(/backbone:\n( {2}.*\n)+/, ''));
    await expect(loadTrainConfig(bare)).rejects.toThrow(/backbone: Required/);
    expect((await loadTrainConfig(bare, [], { backbone: '/models/clip' })).backbone.config).toBe('/models/clip');
  });

  it('resolves paths written in the file against its folder and command-line values against the working directory', async () => {
    const configs = path.join(dir, 'configs');
    const work = path.join(dir, 'work');
    await fs.mkdir(configs, { recursive: true });
    await fs.mkdir(work, { recursive: true });
    await fs.writeFile(path.join(configs, 'run.yaml'), minimal.replace('output: runs/test\n', ''));
    // The config file itself is named relative to the working directory, as a shell user types it.
    const config = await loadTrainConfig('../configs/run.yaml', [
      'output=runs/from-cli',
      'data.val=ann/val.json',
      'backbone.weights=[w/a.pt, /abs/b.pt]',
      'backbone.config=./arch.json',
      'backbone.plugin=./plugin.mjs',
    ], { cwd: work });
    expect(config.data.images).toBe(path.join(configs, 'images'));
    expect(config.data.train).toEqual([path.join(configs, 'ann/train.json')]);
    expect(config.data.test).toBe(path.join(configs, 'ann/test.json'));
    expect(config.data.val).toBe(path.join(work, 'ann/val.json'));
    expect(config.output).toBe(path.join(work, 'runs/from-cli'));
    expect(config.backbone.weights).toEqual([path.join(work, 'w/a.pt'), '/abs/b.pt']);
    expect(config.backbone.config).toBe(path.join(work, 'arch.json'));
    expect(config.backbone.plugin).toBe(path.join(work, 'plugin.mjs'));
    // A whole section given on the command line: its paths are command-line values too.
    const section = await loadTrainConfig(path.join(configs, 'run.yaml'), ['data={train: [t.json], val: v.json, test: s.json, images: pictures}'], { cwd: work });
    expect(section.data).toMatchObject({ train: [path.join(work, 't.json')], val: path.join(work, 'v.json'), test: path.join(work, 's.json'), images: path.join(work, 'pictures') });
    // --backbone, a name and a package specifier stay what they are.
    const named = await loadTrainConfig(path.join(configs, 'run.yaml'), ['backbone.config=ViT-B-16', 'backbone.plugin=@scope/plugin/register'], { cwd: work });
    expect(named.backbone).toMatchObject({ config: 'ViT-B-16', plugin: '@scope/plugin/register' });
    expect((await loadTrainConfig(path.join(configs, 'run.yaml'), [], { cwd: work, backbone: 'hf/clip' })).backbone.config).toBe(path.join(work, 'hf/clip'));
  });

  it('puts a run without output in runs/<name> under the working directory', async () => {
    const work = path.join(dir, 'elsewhere');
    const file = path.join(dir, 'no-output.yaml');
    await fs.writeFile(file, minimal.replace('output: runs/test\n', ''));
    expect((await loadTrainConfig(file, [], { cwd: work })).output).toBe(path.join(work, 'runs', 'test-run'));
    expect((await loadTrainConfig(file, ['name=renamed'], { cwd: work })).output).toBe(path.join(work, 'runs', 'renamed'));
    // parseTrainConfig, for configs built in code, follows the same rule.
    const parsed = parseTrainConfig(YAML.parse(minimal.replace('output: runs/test\n', '').replace('${HARMA_TEST_IMAGES:-images}', 'images')), file, { cwd: work });
    expect(parsed.output).toBe(path.join(work, 'runs', 'test-run'));
    expect(parsed.data.images).toBe(path.join(dir, 'images'));
  });

  it('resolves a relative environment value that starts a path against the working directory', async () => {
    const work = path.join(dir, 'shell');
    const file = path.join(dir, 'environment.yaml');
    await fs.writeFile(file, minimal.replace('images: ${HARMA_TEST_IMAGES:-images}', 'images: "${HARMA_TEST_IMAGES:-images}/rsitmd"').replace('name: test-run', 'name: ${HARMA_TEST_IMAGES:-plain}'));
    // Unset: the default is written in the file, so it resolves against the file's folder.
    expect((await loadTrainConfig(file, [], { cwd: work })).data.images).toBe(path.join(dir, 'images/rsitmd'));
    process.env.HARMA_TEST_IMAGES = 'data';
    try {
      const config = await loadTrainConfig(file, [], { cwd: work });
      expect(config.data.images).toBe(path.join(work, 'data/rsitmd'));
      // Not a path key: the value stays as it is.
      expect(config.name).toBe('data');
      process.env.HARMA_TEST_IMAGES = '/mnt/data';
      expect((await loadTrainConfig(file, [], { cwd: work })).data.images).toBe('/mnt/data/rsitmd');
    } finally {
      delete process.env.HARMA_TEST_IMAGES;
    }
  });

  it('applies overrides as YAML values and reads environment variables', async () => {
    const file = path.join(dir, 'override.yaml');
    await fs.writeFile(file, minimal);
    process.env.HARMA_TEST_IMAGES = '/data/rsitmd/images';
    try {
      const config = await loadTrainConfig(file, ['training.lr=1e-5', 'training.betas=[0.8, 0.9]', 'adapter.type=lora', 'data.cacheImages=true']);
      expect(config.training.lr).toBe(1e-5);
      expect(config.training.betas).toEqual([0.8, 0.9]);
      expect(config.adapter.type).toBe('lora');
      expect(config.data.cacheImages).toBe(true);
      expect(config.data.images).toBe('/data/rsitmd/images');
    } finally {
      delete process.env.HARMA_TEST_IMAGES;
    }
  });

  it('names the file and every bad field', async () => {
    const file = path.join(dir, 'bad.yaml');
    await fs.writeFile(file, minimal.replace('epochs: 3', 'epochs: -1').replace('lr: 4.0e-4', 'lr: fast').replace('name: test-run', 'name: test-run\nbogus: 1'));
    await expect(loadTrainConfig(file)).rejects.toThrow(file);
    await expect(loadTrainConfig(file)).rejects.toThrow(/training\.epochs: Number must be greater than 0/);
    await expect(loadTrainConfig(file)).rejects.toThrow(/training\.lr: Expected number, received string/);
    await expect(loadTrainConfig(file)).rejects.toThrow(/Unrecognized key\(s\) in object: 'bogus'/);
  });

  it('reports unreadable YAML and bad overrides', async () => {
    const file = path.join(dir, 'broken.yaml');
    await fs.writeFile(file, 'name: [unclosed');
    await expect(loadTrainConfig(file)).rejects.toThrow(/cannot read YAML/);
    const good = path.join(dir, 'good.yaml');
    await fs.writeFile(good, minimal);
    await expect(loadTrainConfig(good, ['training.lr'])).rejects.toThrow(/not key\.path=value/);
    await expect(loadTrainConfig(good, ['name.inner=1'])).rejects.toThrow(/'name' is not a section/);
  });
});

describe('expandEnvironment and applyOverride', () => {
  it('expands variables with defaults and names a missing one', () => {
    expect(expandEnvironment({ a: ['${X}/y', '${Y:-z}'] }, { X: '/x' })).toEqual({ a: ['/x/y', 'z'] });
    expect(() => expandEnvironment({ data: { images: '${NOPE}' } }, {})).toThrow('data.images: environment variable NOPE is not set');
  });

  it('creates missing sections', () => {
    const target: Record<string, unknown> = {};
    applyOverride(target, 'training.loss.margin=0.3');
    expect(target).toEqual({ training: { loss: { margin: 0.3 } } });
  });
});

describe("a run's config.json", () => {
  it('loads back as the same config, so `harma export --config <run>/config.json` exports the run', async () => {
    const file = path.join(dir, 'shipped.yaml');
    await fs.writeFile(file, minimal);
    const config = await loadTrainConfig(file);
    // What `harma train` writes into the run folder (run-training.ts, prepareOutput): the resolved config.
    const run = path.join(dir, 'run-folder');
    await fs.mkdir(run);
    await fs.writeFile(path.join(run, 'config.json'), `${JSON.stringify({ ...config, adapter: { ...config.adapter, type: 'harma' } }, null, 2)}\n`);
    expect(await loadTrainConfig(path.join(run, 'config.json'))).toEqual(config);
  });
});
