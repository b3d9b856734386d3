import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, serializeSafetensors, useBackend, writeSafetensors } from '@harma/core';
import { fixturePath } from '@harma/test-support';
import { openClipToHuggingFaceClip } from './hugging-face-clip';
import { loadWeights, readWeightFile } from './load-weights';

const golden = (file: string): string => fixturePath('golden', 'tiny-gelu', file);

let dir: string;
let expected: Map<string, tf.Tensor>;
let adapterNames: Set<string>;

beforeAll(async () => {
  await useBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-weights-'));
  expected = (await loadSafetensors(golden('weights.safetensors'))).tensors;
  const adapters = (await loadSafetensors(golden('adapters.safetensors'))).tensors;
  adapterNames = new Set(adapters.keys());
  for (const tensor of adapters.values()) tensor.dispose();
});

afterAll(async () => {
  for (const tensor of expected.values()) tensor.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

function expectSameTensors(actual: Map<string, tf.Tensor>, reference: Map<string, tf.Tensor>, names: Iterable<string>): void {
  for (const name of names) {
    const a = actual.get(name);
    const e = reference.get(name);
    expect(a, name).toBeDefined();
    expect(a?.shape, name).toEqual(e?.shape);
    expect(Array.from(a?.dataSync() ?? []), name).toEqual(Array.from(e?.dataSync() ?? []));
  }
}

function disposeAll(tensors: Map<string, tf.Tensor>): void {
  for (const tensor of tensors.values()) tensor.dispose();
}

describe('every weight format gives the same tensors under open_clip names', () => {
  it('open_clip safetensors written by the test', async () => {
    const file = path.join(dir, 'open-clip.safetensors');
    await writeSafetensors(file, expected);
    const { tensors, info } = await readWeightFile(file);
    expect(info).toMatchObject({ format: 'safetensors', layout: 'flat', convertedFromHuggingFace: false });
    expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
    expectSameTensors(tensors, expected, expected.keys());
    disposeAll(tensors);
  });

  it('Hugging Face CLIPModel safetensors (committed, made by transformers) + adapters.safetensors', async () => {
    const tensors = await loadWeights([golden('weights.hf.safetensors'), golden('adapters.safetensors')]);
    expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
    expectSameTensors(tensors, expected, expected.keys());
    disposeAll(tensors);
  });

  it('Hugging Face names written by openClipToHuggingFaceClip match the committed file and convert back exactly', async () => {
    const hf = openClipToHuggingFaceClip(expected);
    const committed = (await loadSafetensors(golden('weights.hf.safetensors'))).tensors;
    // The committed file also has the position_ids buffers, which transformers rebuilds and we do not write.
    expect([...hf.keys()].sort()).toEqual([...committed.keys()].filter((name) => !name.endsWith('position_ids')).sort());
    expectSameTensors(hf, committed, hf.keys());
    const file = path.join(dir, 'hf.safetensors');
    await writeSafetensors(file, hf);
    const { tensors, info } = await readWeightFile(file);
    expect(info.convertedFromHuggingFace).toBe(true);
    const backbone = [...expected.keys()].filter((name) => !adapterNames.has(name));
    expect([...tensors.keys()].sort()).toEqual(backbone.sort());
    expectSameTensors(tensors, expected, backbone);
    disposeAll(hf);
    disposeAll(committed);
    disposeAll(tensors);
  });

  it('PyTorch .pt and HarMA .pth (committed, made by PyTorch 1.13)', async () => {
    for (const file of ['weights.pt', 'harma_checkpoint.pth']) {
      const tensors = await loadWeights(golden(file));
      expectSameTensors(tensors, expected, expected.keys());
      disposeAll(tensors);
    }
  });
});

describe('bad weight files and file sets', () => {
  async function hfWith(edit: (tensors: Map<string, tf.Tensor>) => void, name: string): Promise<string> {
    const hf = openClipToHuggingFaceClip(expected);
    edit(hf);
    const file = path.join(dir, name);
    await writeSafetensors(file, hf);
    disposeAll(hf);
    return file;
  }

  it('a Hugging Face file missing a k projection names the file and the packed tensor', async () => {
    const file = await hfWith((hf) => {
      hf.get('text_model.encoder.layers.1.self_attn.k_proj.weight')?.dispose();
      hf.delete('text_model.encoder.layers.1.self_attn.k_proj.weight');
    }, 'no-k.safetensors');
    await expect(loadWeights(file)).rejects.toThrow(
      /no-k\.safetensors: tensor 'transformer\.resblocks\.1\.attn\.in_proj_weight': the k projection\(s\) are missing/,
    );
  });

  it('an unknown Hugging Face tower tensor is named', async () => {
    const file = await hfWith((hf) => hf.set('vision_model.encoder.layers.0.self_attn.rotary.weight', tf.zeros([2])), 'unknown.safetensors');
    await expect(loadWeights(file)).rejects.toThrow(/unknown\.safetensors: tensor 'vision_model\.encoder\.layers\.0\.self_attn\.rotary\.weight': is not a Hugging Face CLIPModel tensor/);
  });

  it('two files giving the same name', async () => {
    await expect(loadWeights([golden('weights.safetensors'), golden('adapters.safetensors')])).rejects.toThrow(
      /adapters\.safetensors: tensor '.*': also given by .*weights\.safetensors: a name may come from one file only/,
    );
  });

  it('a missing, an empty, a garbage and a truncated file', async () => {
    await expect(loadWeights(path.join(dir, 'nope.pt'))).rejects.toThrow(/nope\.pt: cannot open \(ENOENT\)/);
    const empty = path.join(dir, 'empty.bin');
    await fs.writeFile(empty, '');
    await expect(loadWeights(empty)).rejects.toThrow(/empty\.bin: the file is empty/);
    const garbage = path.join(dir, 'garbage.bin');
    await fs.writeFile(garbage, 'this is not a tensor file at all');
    await expect(loadWeights(garbage)).rejects.toThrow(/garbage\.bin: not a weight file HarMA\.js reads \(safetensors or a PyTorch zip checkpoint\)/);
    const bytes = await fs.readFile(golden('weights.safetensors'));
    const truncated = path.join(dir, 'truncated.safetensors');
    await fs.writeFile(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(loadWeights(truncated)).rejects.toThrow(/truncated\.safetensors: .*truncated/);
  });

  it("PyTorch's legacy (pre-1.6) bare pickle format says how to convert it", async () => {
    const legacy = path.join(dir, 'legacy.pt');
    await fs.writeFile(legacy, Uint8Array.of(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8));
    await expect(loadWeights(legacy)).rejects.toThrow(/legacy\.pt: a bare pickle: PyTorch's legacy format.*re-save it with torch\.save/);
  });

  it('a safetensors file whose header length starts like a pickle (0x80) or a zip ("PK") is still safetensors', async () => {
    const x = tf.tensor1d([1, 2]);
    for (const [label, first, second] of [['pickle', 0x80, undefined], ['zip', 0x50, 0x4b]] as const) {
      // Metadata of the right length puts the wanted bytes at the start of the header length.
      let bytes = serializeSafetensors({ x });
      for (let pad = 0; bytes[0] !== first || (second !== undefined && bytes[1] !== second); pad++) {
        bytes = serializeSafetensors({ x }, { metadata: { pad: 'p'.repeat(pad) } });
      }
      const file = path.join(dir, `looks-like-${label}.safetensors`);
      await fs.writeFile(file, bytes);
      const { tensors, info } = await readWeightFile(file);
      expect(info.format).toBe('safetensors');
      expect(Array.from(tensors.get('x')?.dataSync() ?? [])).toEqual([1, 2]);
      disposeAll(tensors);
    }
    x.dispose();
  });

  it('no file at all', async () => {
    await expect(loadWeights([])).rejects.toThrow(/no weight file given/);
  });
});
