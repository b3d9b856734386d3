import { readSafetensors, type HostTensor } from '@harma/core';
import { fixturePath } from '@harma/test-support';

/** Embeddings, ids, temperature and expected losses of one golden model fixture (no model needed). */
export interface GoldenBatch {
  image: Float32Array;
  text: Float32Array;
  ids: Int32Array;
  batch: number;
  dim: number;
  temperature: number;
  lossContrastive: number;
  lossTripletWeighted: number;
  lossTotal: number;
}

function take(tensors: Map<string, HostTensor>, name: string, file: string): HostTensor {
  const tensor = tensors.get(name);
  if (!tensor) throw new Error(`${file}: no tensor '${name}'`);
  return tensor;
}

export async function readGoldenBatch(fixture: string): Promise<GoldenBatch> {
  const outputsFile = fixturePath('golden', fixture, 'outputs.safetensors');
  const inputsFile = fixturePath('golden', fixture, 'inputs.safetensors');
  const weightsFile = fixturePath('golden', fixture, 'weights.safetensors');
  const wanted = new Set(['image_emb', 'text_emb', 'loss_contrastive', 'loss_triplet_weighted', 'loss_total']);
  const outputs = (await readSafetensors(outputsFile, { filter: (name) => wanted.has(name) })).tensors;
  const inputs = (await readSafetensors(inputsFile, { filter: (name) => name === 'idx' })).tensors;
  const weights = (await readSafetensors(weightsFile, { filter: (name) => name === 'temp' })).tensors;
  const image = take(outputs, 'image_emb', outputsFile);
  const scalar = (name: string): number => take(outputs, name, outputsFile).data[0] as number;
  return {
    image: image.data as Float32Array,
    text: take(outputs, 'text_emb', outputsFile).data as Float32Array,
    ids: take(inputs, 'idx', inputsFile).data as Int32Array,
    batch: image.shape[0] as number,
    dim: image.shape[1] as number,
    temperature: take(weights, 'temp', weightsFile).data[0] as number,
    lossContrastive: scalar('loss_contrastive'),
    lossTripletWeighted: scalar('loss_triplet_weighted'),
    lossTotal: scalar('loss_total'),
  };
}
