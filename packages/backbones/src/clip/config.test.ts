import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { createClip } from './clip-model';
import { validateClipConfig, type ClipConfig } from './config';
import { loadModelConfig } from './model-configs';
import { parseOpenClipConfig, toOpenClipConfig } from './open-clip-config';
import { goldenClipConfig } from '../../test/golden-config';

describe('shipped model configs', () => {
  it("reads ViT-B-32 as open_clip does (heads = width / 64, mlp_ratio 4, gelu)", () => {
    expect(loadModelConfig('ViT-B-32')).toEqual({
      embedDim: 512,
      vision: { imageSize: 224, patchSize: 32, width: 768, layers: 12, heads: 12, mlpRatio: 4 },
      text: { contextLength: 77, vocabSize: 49408, width: 512, layers: 12, heads: 8, mlpRatio: 4 },
      activation: 'gelu',
      layerNormEps: 1e-5,
    });
    expect(loadModelConfig('ViT-B-32-quickgelu').activation).toBe('quick_gelu');
    expect(loadModelConfig('ViT-L-14').vision).toMatchObject({ width: 1024, heads: 16, layers: 24, patchSize: 14 });
  });

  it('names the shipped configs when the name is unknown', () => {
    expect(() => loadModelConfig('ViT-e-14')).toThrow(/unknown model config 'ViT-e-14'; shipped: ViT-B-16, .*ViT-L-14-quickgelu, .*ViT-bigG-14/);
  });

  it('reads any open_clip config by path, and writes one back', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-config-'));
    const file = path.join(dir, 'tiny.json');
    const tiny = goldenClipConfig('tiny-quickgelu');
    await fs.writeFile(file, JSON.stringify(toOpenClipConfig(tiny)));
    expect(loadModelConfig(file)).toEqual(tiny);
    expect(() => loadModelConfig(path.join(dir, 'absent.json'))).toThrow(/absent\.json: model config file not found/);
    await fs.writeFile(file, '{ not json');
    expect(() => loadModelConfig(file)).toThrow(/tiny\.json: not valid JSON/);
    await fs.rm(dir, { recursive: true, force: true });
  });
});

describe('parseOpenClipConfig refuses what this CLIP does not implement, naming the field', () => {
  const base = { embed_dim: 512, vision_cfg: { image_size: 224, layers: 12, width: 768, patch_size: 32 }, text_cfg: {} };

  it.each([
    [{ ...base, vision_cfg: { ...base.vision_cfg, ls_init_value: 1e-5 } }, /vision_cfg\.ls_init_value: 0\.00001 is not supported/],
    [{ ...base, text_cfg: { hf_model_name: 'roberta-base' } }, /text_cfg\.hf_model_name: "roberta-base" is not supported/],
    [{ ...base, vision_cfg: { ...base.vision_cfg, attentional_pool: true } }, /vision_cfg\.attentional_pool/],
    [{ ...base, vision_cfg: { ...base.vision_cfg, pool_typ: 'avg' } }, /vision_cfg: Unrecognized key\(s\) in object: 'pool_typ'/],
    [{ ...base, embed_dim: 0 }, /embed_dim: Number must be greater than 0/],
    [{ ...base, vision_cfg: { ...base.vision_cfg, layers: [3, 4, 6, 3] } }, /ModifiedResNet/],
    // open_clip's RN50.json as shipped: patch_size null beside the list of layers.
    [{ ...base, vision_cfg: { image_size: 224, layers: [3, 4, 6, 3], width: 64, patch_size: null } }, /vision_cfg\.layers is a list: a ModifiedResNet image tower/],
    [{ ...base, vision_cfg: { ...base.vision_cfg, patch_size: null } }, /vision_cfg\.patch_size is null, but a ViT needs a patch size/],
    [{ ...base, text_cfg: { hf_tokenizer_name: 'bert-base-uncased' } }, /text_cfg\.hf_tokenizer_name: "bert-base-uncased" is not supported/],
    [{ ...base, text_cfg: { tokenizer_kwargs: { clean: 'canonicalize' } } }, /text_cfg\.tokenizer_kwargs: \{"clean":"canonicalize"\} is not supported/],
    [{ ...base, text_cfg: { pool_type: 'eos', eos_id: 2 } }, /text_cfg\.pool_type: "eos" is not supported.*text_cfg: Unrecognized key\(s\) in object: 'eos_id'/],
    [{ ...base, vision_cfg: { ...base.vision_cfg, qk_norm: true } }, /vision_cfg: Unrecognized key\(s\) in object: 'qk_norm'/],
    [{ ...base, vision_cfg: { ...base.vision_cfg, no_ln_pre: true, final_ln_after_pool: true } }, /vision_cfg\.no_ln_pre: true is not supported.*vision_cfg\.final_ln_after_pool/],
    [{ ...base, vision_cfg: { ...base.vision_cfg, image_size: [224, 256] } }, /image_size \[224, 256\] is not square/],
    [{ ...base, vision_cfg: { ...base.vision_cfg, patch_size: 30 } }, /vision\.patchSize: imageSize 224 is not a multiple of patchSize 30/],
    [{ ...base, text_cfg: { width: 500, heads: 8 } }, /text\.heads: width 500 is not divisible by 8 heads/],
  ])('case %#', (json, message) => {
    expect(() => parseOpenClipConfig(json, 'my-config.json')).toThrow(message);
    expect(() => parseOpenClipConfig(json, 'my-config.json')).toThrow(/^my-config\.json: /);
  });

  it('accepts training-only fields and applies open_clip defaults', () => {
    const config = parseOpenClipConfig({ ...base, vision_cfg: { ...base.vision_cfg, patch_dropout: 0.5 }, init_logit_scale: 2.3 });
    expect(config.text).toEqual({ contextLength: 77, vocabSize: 49408, width: 512, layers: 12, heads: 8, mlpRatio: 4 });
  });

  it('validateClipConfig names the bad field of a config object', () => {
    const tiny = goldenClipConfig('tiny-gelu');
    expect(() => validateClipConfig({ ...tiny, activation: 'relu' } as unknown as ClipConfig)).toThrow(/activation: Invalid enum value/);
    expect(() => createClip({ ...tiny, vision: { ...tiny.vision, heads: 5 } })).toThrow(/vision\.heads: width 64 is not divisible by 5 heads/);
  });
});

describe('parameter counts of the shipped architectures (zeros, cpu)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  // OpenAI's published counts, logit_scale included.
  it.each([
    ['ViT-B-32', 151_277_313],
    ['ViT-B-16', 149_620_737],
    ['ViT-L-14', 427_616_513],
  ])('%s has %i parameters', (name, expected) => {
    const model = createClip(loadModelConfig(name));
    expect(model.module.countParameters().total).toBe(expected);
    model.dispose();
  });

  it('names every ViT-B-32 parameter as open_clip does', () => {
    const model = createClip(loadModelConfig('ViT-B-32'));
    const names = model.module.namedParameters().map(([name]) => name);
    expect(names).toHaveLength(302);
    expect(names).toEqual(expect.arrayContaining([
      'visual.conv1.weight', 'visual.class_embedding', 'visual.positional_embedding', 'visual.ln_pre.weight',
      'visual.transformer.resblocks.11.mlp.c_proj.bias', 'visual.ln_post.bias', 'visual.proj',
      'token_embedding.weight', 'positional_embedding', 'transformer.resblocks.0.attn.in_proj_weight',
      'transformer.resblocks.11.attn.out_proj.weight', 'ln_final.weight', 'text_projection', 'logit_scale',
    ]));
    expect(model.module.parameter('visual.conv1.weight').shape).toEqual([768, 3, 32, 32]);
    expect(model.module.parameter('transformer.resblocks.0.attn.in_proj_weight').shape).toEqual([1536, 512]);
    model.dispose();
  });
});
