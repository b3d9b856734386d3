import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writeSafetensors, type JsonObject } from '@harma/core';
import { huggingFaceTokenizerFiles, openClipToHuggingFaceClip, toHuggingFaceClipConfig, type BpeVocabulary, type ClipConfig } from '../src/index';
import { PickleWriter } from './pickle-writer';
import { bytesOf, writeTorchArchive } from './zip-writer';

/** How the weights of a written folder are laid out, as transformers saves them. */
export type HuggingFaceWeightLayout = 'model.safetensors' | 'sharded' | 'pytorch_model.bin';

export interface HuggingFaceClipFolderInput {
  config: ClipConfig;
  /** The model's state dict under open_clip names (not consumed). */
  stateDict: ReadonlyMap<string, tf.Tensor>;
  vocabulary: BpeVocabulary;
  /** Default: `model.safetensors`. */
  weights?: HuggingFaceWeightLayout;
  /** Fields merged into `config.json` over `toHuggingFaceClipConfig`'s. */
  configFields?: JsonObject;
}

/** `name → tensor` as `torch.save(state_dict)` writes it, every float tensor its own storage. */
async function writePytorchBin(file: string, tensors: ReadonlyMap<string, tf.Tensor>): Promise<void> {
  const writer = new PickleWriter().proto().emptyDict().mark();
  const storages: Record<string, Uint8Array> = {};
  [...tensors].forEach(([name, tensor], key) => {
    writer.str(name).tensor({ storageType: 'FloatStorage', key: String(key), numel: tensor.size, shape: tensor.shape });
    storages[key] = bytesOf(tensor.dataSync() as Float32Array);
  });
  await writeTorchArchive(file, { pickle: writer.setItems().stop().bytes(), storages });
}

/**
 * Test support: a Hugging Face CLIP folder as users download one — `config.json`
 * (`toHuggingFaceClipConfig`, the vocabulary's special ids), the weights under transformers'
 * names with the int64 `position_ids` buffers older transformers saved, and the tokenizer files.
 * `sharded` splits every layer's q projection from its k and v projections across two shards.
 */
export async function writeHuggingFaceClipFolder(dir: string, input: HuggingFaceClipFolderInput): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const json = { ...toHuggingFaceClipConfig(input.config, { bos: input.vocabulary.startOfTextId, eos: input.vocabulary.endOfTextId }), ...input.configFields };
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(json, null, 2));
  for (const [name, text] of Object.entries(huggingFaceTokenizerFiles(input.vocabulary, input.config.text.contextLength))) {
    await fs.writeFile(path.join(dir, name), text);
  }
  const hf = openClipToHuggingFaceClip(input.stateDict);
  try {
    const layout = input.weights ?? 'model.safetensors';
    if (layout === 'pytorch_model.bin') {
      await writePytorchBin(path.join(dir, 'pytorch_model.bin'), hf);
      return;
    }
    const positionIds = (tokens: number) => ({ dtype: 'I64' as const, shape: [1, tokens], data: BigInt64Array.from({ length: tokens }, (_, i) => BigInt(i)) });
    const tensors = new Map<string, tf.Tensor | ReturnType<typeof positionIds>>(hf);
    tensors.set('text_model.embeddings.position_ids', positionIds(input.config.text.contextLength));
    tensors.set('vision_model.embeddings.position_ids', positionIds((input.config.vision.imageSize / input.config.vision.patchSize) ** 2 + 1));
    if (layout === 'model.safetensors') {
      await writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
      return;
    }
    const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const weightMap: Record<string, string> = {};
    for (const [index, shard] of shards.entries()) {
      const part = new Map([...tensors].filter(([name]) => name.includes('.q_proj.') === (index === 0)));
      for (const name of part.keys()) weightMap[name] = shard;
      await writeSafetensors(path.join(dir, shard), part);
    }
    await fs.writeFile(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  } finally {
    tf.dispose([...hf.values()]);
  }
}
