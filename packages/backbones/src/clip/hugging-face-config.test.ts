import { describe, expect, it } from 'vitest';
import { mlpWidth, type ClipConfig } from './config';
import { fromHuggingFaceClipConfig, toHuggingFaceClipConfig, toHuggingFaceClipTextConfig } from './hugging-face-config';
import { SHIPPED_MODEL_CONFIG_NAMES, loadModelConfig } from './model-configs';

/** openai/clip-vit-base-patch32's config.json, the fields that fix the architecture (as published on the Hub). */
const OPENAI_VIT_B_32 = {
  architectures: ['CLIPModel'],
  model_type: 'clip',
  projection_dim: 512,
  logit_scale_init_value: 2.6592,
  text_config: { hidden_size: 512, intermediate_size: 2048, num_attention_heads: 8, num_hidden_layers: 12, max_position_embeddings: 77, vocab_size: 49408, hidden_act: 'quick_gelu', layer_norm_eps: 1e-5, bos_token_id: 0, eos_token_id: 2, pad_token_id: 1 },
  vision_config: { hidden_size: 768, intermediate_size: 3072, num_attention_heads: 12, num_hidden_layers: 12, image_size: 224, patch_size: 32, hidden_act: 'quick_gelu', layer_norm_eps: 1e-5 },
};

describe('Hugging Face CLIPConfig', () => {
  it('reads openai/clip-vit-base-patch32 as the shipped ViT-B-32-quickgelu', () => {
    expect(fromHuggingFaceClipConfig(OPENAI_VIT_B_32)).toEqual(loadModelConfig('ViT-B-32-quickgelu'));
  });

  it('fills in what transformers leaves out at its default value', () => {
    const sparse = { model_type: 'clip', text_config: {}, vision_config: { hidden_size: 768 } };
    expect(fromHuggingFaceClipConfig(sparse)).toEqual(loadModelConfig('ViT-B-32-quickgelu'));
  });

  it.each([...SHIPPED_MODEL_CONFIG_NAMES])('writes %s so that reading it back gives the same architecture and MLP widths', (name) => {
    const config = loadModelConfig(name);
    const json = toHuggingFaceClipConfig(config, { bos: 49406, eos: 49407 }) as { text_config: Record<string, unknown>; vision_config: Record<string, unknown> };
    expect(json).toMatchObject({ model_type: 'clip', projection_dim: config.embedDim });
    expect(json.text_config).toMatchObject({ max_position_embeddings: config.text.contextLength, bos_token_id: 49406, eos_token_id: 49407, pad_token_id: 0, hidden_act: config.activation });
    const back: ClipConfig = fromHuggingFaceClipConfig(JSON.parse(JSON.stringify(json)));
    expect(mlpWidth(back.vision)).toBe(mlpWidth(config.vision));
    expect(mlpWidth(back.text)).toBe(mlpWidth(config.text));
    expect({ ...back, vision: { ...back.vision, mlpRatio: 0 }, text: { ...back.text, mlpRatio: 0 } }).toEqual({ ...config, vision: { ...config.vision, mlpRatio: 0 }, text: { ...config.text, mlpRatio: 0 } });
  });

  it("writes the text tower alone as a CLIPTextModelWithProjection config: the whole config's text_config", () => {
    const config = loadModelConfig('ViT-B-32-quickgelu');
    const ids = { bos: 49406, eos: 49407 };
    const text = toHuggingFaceClipTextConfig(config, ids);
    expect(text).toEqual({ architectures: ['CLIPTextModelWithProjection'], ...(toHuggingFaceClipConfig(config, ids) as { text_config: object }).text_config });
    // What transformers reads of a CLIPTextConfig, as openai/clip-vit-base-patch32 publishes its text tower.
    expect(text).toMatchObject({ ...OPENAI_VIT_B_32.text_config, model_type: 'clip_text_model', projection_dim: 512, bos_token_id: 49406, eos_token_id: 49407, pad_token_id: 0 });
  });

  it('keeps an MLP width whose ratio is not exact in binary (ViT-bigG: 8192 / 1664)', () => {
    const json = { ...OPENAI_VIT_B_32, vision_config: { ...OPENAI_VIT_B_32.vision_config, hidden_size: 1664, intermediate_size: 8192, num_attention_heads: 16 } };
    expect(mlpWidth(fromHuggingFaceClipConfig(json).vision)).toBe(8192);
  });

  it('names the file and the field it cannot read', () => {
    expect(() => fromHuggingFaceClipConfig({ ...OPENAI_VIT_B_32, model_type: 'siglip' }, 'hf/config.json')).toThrow(/hf\/config\.json: not a Hugging Face CLIP config — model_type: is not "clip"/);
    expect(() => fromHuggingFaceClipConfig({ ...OPENAI_VIT_B_32, vision_config: { ...OPENAI_VIT_B_32.vision_config, hidden_act: 'gelu' } }, 'x')).toThrow(/x: text_config\.hidden_act \(quick_gelu\) differs from vision_config\.hidden_act \(gelu\)/);
    expect(() => fromHuggingFaceClipConfig({ ...OPENAI_VIT_B_32, vision_config: { ...OPENAI_VIT_B_32.vision_config, num_attention_heads: 7 } }, 'x')).toThrow(/vision\.heads: width 768 is not divisible by 7 heads/);
  });
});
