import { promises as fs } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { toOpenClipConfig, toOpenClipResNetConfig, trainBpeVocabulary, writeOpenClipVocabulary } from '@harma/backbones';
import { generateSyntheticDataset, readTrainAnnotations, syntheticDatasetFiles } from '@harma/data';

/**
 * A tiny but real training setup in `dir`: a synthetic data set, a vocabulary learned from its
 * captions, a 1-block CLIP config and a YAML run config (HarMA, 2 epochs). Returns the config path.
 */
export async function writeTinyRun(dir: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const data = path.join(dir, 'data');
  await generateSyntheticDataset(data, { seed: 3, images: 64, size: 32, split: { val: 12, test: 12 }, workers: 0 });
  const files = syntheticDatasetFiles(data);
  const captions = (await readTrainAnnotations(files.train)).captions.map((c) => c.caption);
  const vocabulary = trainBpeVocabulary(captions, { merges: 120 });
  await writeOpenClipVocabulary(path.join(dir, 'vocab.txt.gz'), vocabulary);
  const modelConfig = toOpenClipConfig({
    embedDim: 16,
    vision: { imageSize: 16, patchSize: 8, width: 16, layers: 1, heads: 2, mlpRatio: 2 },
    text: { contextLength: 20, vocabSize: vocabulary.encoder.size, width: 16, layers: 1, heads: 2, mlpRatio: 2 },
    activation: 'gelu',
    layerNormEps: 1e-5,
  });
  await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(modelConfig));
  const config = {
    name: 'tiny',
    seed: 5,
    backbone: { config: 'model.json', vocabulary: 'vocab.txt.gz' },
    adapter: { type: 'harma', harma: { bottleneck: 4, heads: 2, shareHeads: 1 } },
    data: { train: [files.train], val: files.val, test: files.test, images: files.imageRoot, augment: 'paper', workers: 0 },
    training: { epochs: 2, batchSize: 16, lr: 5e-3, eps: 1e-6 },
    output: 'run',
    ...overrides,
  };
  const file = path.join(dir, 'run.yaml');
  await fs.writeFile(file, YAML.stringify(config));
  return file;
}

/**
 * `writeTinyRun` on a CLIP ResNet (`clip-resnet`): the tiny run's text tower with a
 * one-Bottleneck-per-stage ResNet image tower at 32 px, written as `model-rn.json`. Returns the
 * config path.
 */
export async function writeTinyResNetRun(dir: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const file = await writeTinyRun(dir, { backbone: { kind: 'clip-resnet', config: 'model-rn.json', vocabulary: 'vocab.txt.gz' }, ...overrides });
  const text = (JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as { text_cfg: Record<string, number> }).text_cfg;
  const resnet = toOpenClipResNetConfig({
    embedDim: 16,
    vision: { imageSize: 32, layers: [1, 1, 1, 1], width: 8, heads: 2 },
    text: { contextLength: text.context_length!, vocabSize: text.vocab_size!, width: text.width!, layers: text.layers!, heads: text.heads!, mlpRatio: text.mlp_ratio! },
    activation: 'gelu',
    layerNormEps: 1e-5,
    batchNorm: { eps: 1e-5, momentum: 0.1 },
  });
  await fs.writeFile(path.join(dir, 'model-rn.json'), JSON.stringify(resnet));
  return file;
}
