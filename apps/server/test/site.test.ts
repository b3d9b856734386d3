import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CLIPTextModelWithProjection, Tensor, env } from '@huggingface/transformers';
import { decodeOnnxModel, loadExportedModel } from '@harma/inference';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatSiteSummary, siteCommand } from '../src/cli/site-command';
import { loadModelEncoder } from '../src/encoder/load-model-encoder';
import type { ServerEncoder } from '../src/encoder/server-encoder';
import type { SiteImage, SiteManifest } from '../src/site/site-manifest';
import { writeStaticSite, type SiteProgress } from '../src/site/write-static-site';
import { exportTinyModel, tinyModelAndGallery, type TinyModelAndGallery } from './helpers/tiny-model';

/** Every file under `dir`, relative and `/`-separated, sorted. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), relative)));
    else out.push(relative);
  }
  return out.sort();
}

/** What a site written with the default int8 text graph holds besides its thumbnails, whatever the backbone. */
const INT8_SITE_FILES = [
  'app.js',
  'gallery/embeddings.f32',
  'gallery/images.json',
  'index.html',
  'model/config.json',
  'model/onnx/text_model_quantized.onnx',
  'model/tokenizer.json',
  'model/tokenizer_config.json',
  'normalize-query.js',
  'query-ids.js',
  'rank-images.js',
  'result-card.js',
  'runtime/ort-wasm-simd-threaded.mjs',
  'runtime/ort-wasm-simd-threaded.wasm',
  'runtime/transformers.min.js',
  'site.css',
  'site.json',
  'style.css',
];

async function siteFilesBesideThumbnails(site: string): Promise<string[]> {
  return (await listFiles(site)).filter((file) => !file.startsWith('gallery/thumbnails/'));
}

async function readManifest(site: string): Promise<SiteManifest> {
  return JSON.parse(await readFile(path.join(site, 'site.json'), 'utf8')) as SiteManifest;
}

/** The installed runtime file a site must hold byte for byte, found as a user's install finds it. */
function installedRuntimeFile(specifier: string): string {
  const transformers = createRequire(import.meta.url).resolve('@huggingface/transformers');
  return specifier === 'transformers.min.js' ? path.join(path.dirname(transformers), specifier) : createRequire(transformers).resolve(`onnxruntime-web/${specifier}`);
}

/**
 * Check that the site `out` holds, row i for its image i, exactly the embedding `encoder` (the
 * server's, on the same model) gives that gallery file; returns the site's image list.
 */
async function expectEmbeddedAsServe(out: string, gallery: string, encoder: ServerEncoder): Promise<SiteImage[]> {
  const { images: rows } = JSON.parse(await readFile(path.join(out, 'gallery/images.json'), 'utf8')) as { images: SiteImage[] };
  const dim = encoder.embedDim;
  const bytes = await readFile(path.join(out, 'gallery/embeddings.f32'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(bytes.byteLength).toBe(rows.length * dim * 4);
  const prepared = await Promise.all(rows.map(async (row) => encoder.prepareImage(await readFile(path.join(gallery, row.path)), { name: row.path, maxPixels: 40_000_000 })));
  const expected = await encoder.encodeImages(prepared);
  rows.forEach((row, i) => {
    const stored = Float32Array.from({ length: dim }, (_, d) => view.getFloat32((i * dim + d) * 4, true));
    expect(Array.from(stored), row.path).toEqual(Array.from(expected[i] as Float32Array));
  });
  return rows;
}

describe('writeStaticSite', () => {
  let root: string;
  let model: string;
  let gallery: string;
  let images: string[];
  let encoder: ServerEncoder;

  beforeAll(async () => {
    ({ root, model, gallery, images } = await tinyModelAndGallery('harma-site-', 12, { quantize: true }));
    // A copy under another name shares its thumbnail; a broken file and a hidden one are not images of the site.
    await copyFile(path.join(gallery, images[3] as string), path.join(gallery, 'copy-of-3.png'));
    await writeFile(path.join(gallery, 'broken.png'), 'not an image');
    await writeFile(path.join(gallery, '.hidden.png'), 'not scanned');
    encoder = await loadModelEncoder(model, { engine: 'ort', precision: 'fp32', logger: pino({ level: 'silent' }) });
  });

  afterAll(async () => {
    await encoder?.close();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('writes the page, the int8 text model, the runtime, embeddings and thumbnails — and nothing else', async () => {
    const out = path.join(root, 'site');
    const progress: SiteProgress[] = [];
    const site = await writeStaticSite({ model, gallery, out, onProgress: (step) => progress.push(step), batchSize: 5 });
    expect(site.quantized).toBe(false);
    const manifest = await readManifest(out);
    expect(site.manifest).toEqual(manifest);
    const thumbnails = (await listFiles(out)).filter((file) => file.startsWith('gallery/thumbnails/'));
    expect(thumbnails).toHaveLength(12); // 13 images, two of them the same bytes
    expect(await siteFilesBesideThumbnails(out)).toEqual(INT8_SITE_FILES);
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/text_model_quantized.onnx']) {
      expect(Buffer.compare(await readFile(path.join(out, 'model', file)), await readFile(path.join(model, file))), file).toBe(0);
    }
    for (const file of ['transformers.min.js', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) {
      expect(Buffer.compare(await readFile(path.join(out, 'runtime', file)), await readFile(installedRuntimeFile(file))), file).toBe(0);
    }
    expect(manifest).toMatchObject({
      format: 'harma-site',
      formatVersion: 1,
      title: 'gallery — HarMA.js search',
      model: { dir: 'model', precision: 'int8', dtype: 'q8', contextLength: 16, embedDim: 32, backbone: 'clip' },
      runtime: { transformers: 'runtime/transformers.min.js', wasm: { mjs: 'runtime/ort-wasm-simd-threaded.mjs', wasm: 'runtime/ort-wasm-simd-threaded.wasm' } },
      gallery: { images: 13, skipped: 1, index: 'gallery/images.json', embeddings: 'gallery/embeddings.f32', thumbnailSize: 256 },
    });
    expect(manifest.runtime.versions.transformers).toBe('4.3.2');
    for (const [file, bytes] of Object.entries(manifest.sizes)) expect((await readFile(path.join(out, file))).byteLength, file).toBe(bytes);
    expect(site.skipped).toEqual([{ path: 'broken.png', reason: expect.stringMatching(/^broken\.png: not a readable image/) as unknown as string }]);
    expect(site.bytes).toBeGreaterThan(14e6);
    expect(progress.map((step) => step.stage)).toEqual(['loading-model', 'scanning', 'embedding', 'embedding', 'embedding', 'embedding', 'publishing']);
    expect(progress.at(-2)).toEqual({ stage: 'embedding', done: 14, total: 14, skipped: 1 });
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('embeds every image as harma serve does, row i for image i, with its thumbnail', async () => {
    const out = path.join(root, 'site');
    const rows = await expectEmbeddedAsServe(out, gallery, encoder);
    expect(rows.map((row) => row.path)).toEqual(['copy-of-3.png', ...images]);
    for (const row of rows) expect([row.width, row.height]).toEqual([40, 32]);
    expect(rows[0]?.thumbnail).toBe(rows[4]?.thumbnail); // copy-of-3.png and set-0/img-0003.png
    const thumbnail = await sharp(await readFile(path.join(out, rows[1]?.thumbnail as string))).metadata();
    expect([thumbnail.format, thumbnail.width, thumbnail.height]).toEqual(['jpeg', 40, 32]);
  });

  it('ships the float32 text graph with precision fp32, and skips images over the pixel limit', async () => {
    const out = path.join(root, 'site-fp32');
    const site = await writeStaticSite({ model, gallery, out, precision: 'fp32', maxImagePixels: 1000, thumbnailSize: 16, title: 'My archive' });
    expect((await listFiles(path.join(out, 'model'))).filter((file) => file.endsWith('.onnx'))).toEqual(['onnx/text_model.onnx']);
    expect(Buffer.compare(await readFile(path.join(out, 'model/onnx/text_model.onnx')), await readFile(path.join(model, 'onnx/text_model.onnx')))).toBe(0);
    expect(site.manifest.model).toMatchObject({ precision: 'fp32', dtype: 'fp32' });
    expect(site.manifest.title).toBe('My archive');
    // Every 40 × 32 image exceeds 1000 pixels: an empty gallery is still a site.
    expect(site.manifest.gallery).toMatchObject({ images: 0, skipped: 14 });
    expect(site.skipped.map((file) => file.path)).toContain('set-0/img-0000.png');
    expect(site.skipped.find((file) => file.path === 'set-0/img-0000.png')?.reason).toBe('set-0/img-0000.png: 40×32 = 1280 pixels exceeds maxPixels 1000 (refused as a possible decompression bomb)');
    expect(formatSiteSummary(site)).toContain('skipped set-0/img-0000.png: ');
  });

  it('quantises the float32 text graph of an export without int8 graphs, as harma export would have', async () => {
    const plain = await exportTinyModel(path.join(root, 'model-without-int8'));
    const out = path.join(root, 'site-quantised-here');
    const site = await writeStaticSite({ model: plain, gallery, out });
    expect(site.quantized).toBe(true);
    expect(formatSiteSummary(site)).toContain('int8 text model (quantised from the float32 graph: the export has no int8 graphs)');
    // The same weights (same seed) exported with quantisation: the same int8 graph, byte for byte.
    expect(Buffer.compare(await readFile(path.join(out, 'model/onnx/text_model_quantized.onnx')), await readFile(path.join(model, 'onnx/text_model_quantized.onnx')))).toBe(0);
    expect(site.manifest.sizes['model/onnx/text_model_quantized.onnx']).toBe((await readFile(path.join(model, 'onnx/text_model_quantized.onnx'))).byteLength);
    await rm(plain, { recursive: true });
  });

  it('may be written inside the gallery folder: the scan leaves the site out', async () => {
    const out = path.join(gallery, 'published');
    await writeStaticSite({ model, gallery, out });
    const again = await writeStaticSite({ model, gallery, out });
    expect(again.manifest.gallery).toMatchObject({ images: 13, skipped: 1 });
    await rm(out, { recursive: true });
  });

  it('replaces an earlier site in one step, and a failed run leaves the earlier site as it was', async () => {
    const out = path.join(root, 'site-replaced');
    await writeStaticSite({ model, gallery, out, title: 'first' });
    await writeStaticSite({ model, gallery, out, title: 'second' });
    expect((await readManifest(out)).title).toBe('second');
    const failing = writeStaticSite({
      model,
      gallery,
      out,
      title: 'third',
      onProgress: (step) => {
        if (step.stage === 'embedding' && step.done > 0) throw new Error('stopped half-way');
      },
    });
    await expect(failing).rejects.toThrow('stopped half-way');
    const controller = new AbortController();
    const aborted = writeStaticSite({
      model,
      gallery,
      out,
      signal: controller.signal,
      onProgress: (step) => {
        if (step.stage === 'embedding') controller.abort(new Error('interrupted'));
      },
    });
    await expect(aborted).rejects.toThrow('interrupted');
    expect((await readManifest(out)).title).toBe('second');
    expect(await listFiles(out)).toContain('runtime/ort-wasm-simd-threaded.wasm');
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('refuses what it must not replace or cannot run, before writing anything', async () => {
    const notASite = path.join(root, 'notes');
    await mkdir(notASite);
    await writeFile(path.join(notASite, 'todo.txt'), 'keep me');
    await expect(writeStaticSite({ model, gallery, out: notASite })).rejects.toThrow(`output ${notASite} is a folder that holds no site written by harma site (no site.json)`);
    expect(await readFile(path.join(notASite, 'todo.txt'), 'utf8')).toBe('keep me');
    await expect(writeStaticSite({ model, gallery, out: root })).rejects.toThrow(`output ${root} must not contain the gallery folder ${gallery}`);
    await expect(writeStaticSite({ model, gallery: path.join(root, 'missing'), out: path.join(root, 'x') })).rejects.toThrow(/gallery folder .*missing does not exist or is not a folder/);

    const plain = await exportTinyModel(path.join(root, 'model-fp32-only'));
    const out = path.join(root, 'never-written');
    const config = await readFile(path.join(plain, 'config.json'), 'utf8');
    await writeFile(path.join(plain, 'config.json'), config.replace('"model_type": "clip"', '"model_type": "siglip"'));
    await expect(writeStaticSite({ model: plain, gallery, out })).rejects.toThrow(`model ${plain}: a siglip model (config.json model_type); the site's page runs CLIP-family text towers (model_type "clip") only`);
    await writeFile(path.join(plain, 'config.json'), config);
    await rm(path.join(plain, 'tokenizer.json'));
    await expect(writeStaticSite({ model: plain, gallery, out, precision: 'fp32' })).rejects.toThrow(/tokenizer\.json is missing; the page tokenizes queries with the Hugging Face tokenizer files/);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('is the `site` command of the CLIs: flags validated and mapped, a summary printed', async () => {
    const parse = (args: string[]) => siteCommand('site').exitOverride().configureOutput({ writeErr: () => undefined }).parseAsync(args, { from: 'user' });
    await expect(parse(['--model', model, '--gallery', gallery, '--out', path.join(root, 'cli'), '--precision', 'int4'])).rejects.toThrow(/Allowed choices are int8, fp32/);
    await expect(parse(['--model', model, '--gallery', gallery, '--out', path.join(root, 'cli'), '--batch-size', '0'])).rejects.toThrow('--batch-size must be a positive integer');
    await expect(parse(['--model', model, '--gallery', gallery])).rejects.toThrow(/required option '--out <dir>'/);
    const out = path.join(root, 'cli');
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => printed.push(String(chunk)) > 0);
    try {
      await parse(['--model', model, '--gallery', gallery, '--out', out, '--title', 'From the CLI', '--thumbnail-size', '20', '--no-progress']);
    } finally {
      write.mockRestore();
    }
    const manifest = await readManifest(out);
    expect(manifest).toMatchObject({ title: 'From the CLI', model: { precision: 'int8' }, gallery: { images: 13, skipped: 1, thumbnailSize: 20 } });
    expect(printed.join('')).toMatch(new RegExp(`^wrote ${out}: 13 images, int8 text model, [\\d.]+ MB in [\\d.]+ s\n  skipped broken.png: .*\nserve the folder with any static file host`));
  });
});

/** Name, element type and dimensions of a graph's inputs and outputs: what a runtime feeds and reads. */
function graphSignature(bytes: Uint8Array): Array<[string, number, Array<string | number>]> {
  const { graph } = decodeOnnxModel(bytes);
  return [...graph.input, ...graph.output].map((value) => [
    value.name,
    value.type.tensorType.elemType,
    (value.type.tensorType.shape?.dim ?? []).map((dim) => dim.dimParam ?? Number(dim.dimValue)),
  ]);
}

describe('writeStaticSite on a CLIP ResNet export: no transformers class for the whole model, a CLIPTextModelWithProjection for its text tower', () => {
  let fixture: TinyModelAndGallery;
  let encoder: ServerEncoder;

  beforeAll(async () => {
    fixture = await tinyModelAndGallery('harma-site-resnet-', 6, { resnet: true, quantize: true });
    encoder = await loadModelEncoder(fixture.model, { engine: 'ort', precision: 'fp32', logger: pino({ level: 'silent' }) });
  });

  afterAll(async () => {
    await encoder?.close();
    if (fixture !== undefined) await rm(fixture.root, { recursive: true, force: true });
  });

  it("writes a CLIP site's files: config.json is the text tower's own config the export recorded, the rest the export's bytes", async () => {
    const { root, model, gallery } = fixture;
    const out = path.join(root, 'site');
    const site = await writeStaticSite({ model, gallery, out });
    expect(await siteFilesBesideThumbnails(out)).toEqual(INT8_SITE_FILES);
    const exported = JSON.parse(await readFile(path.join(model, 'config.json'), 'utf8')) as { model_type?: string; harma: { transformers: { modelType: null; textConfig: object } } };
    // The export still says transformers has no class for the whole model; the site's folder holds the text tower alone, and says so.
    expect(exported.model_type).toBeUndefined();
    expect(exported.harma.transformers.modelType).toBeNull();
    const config = JSON.parse(await readFile(path.join(out, 'model/config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toEqual(exported.harma.transformers.textConfig);
    expect(config).toMatchObject({
      architectures: ['CLIPTextModelWithProjection'],
      model_type: 'clip_text_model',
      vocab_size: 1000,
      hidden_size: 32,
      intermediate_size: 128,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      max_position_embeddings: 16,
      hidden_act: 'quick_gelu',
      projection_dim: 32,
      pad_token_id: 0,
    });
    for (const file of ['tokenizer.json', 'tokenizer_config.json', 'onnx/text_model_quantized.onnx']) {
      expect(Buffer.compare(await readFile(path.join(out, 'model', file)), await readFile(path.join(model, file))), file).toBe(0);
    }
    expect(site.manifest.model).toMatchObject({ precision: 'int8', dtype: 'q8', contextLength: 16, embedDim: 32, backbone: 'clip-resnet' });
    expect(site.manifest.gallery).toMatchObject({ images: 6, skipped: 0 });
    await expectEmbeddedAsServe(out, gallery, encoder);
  });

  it("ships a text graph with a CLIP (ViT) export's inputs and outputs, which transformers.js opens from the site's folder and runs to the server's text embeddings", async () => {
    const { root, model, gallery } = fixture;
    const out = path.join(root, 'site-fp32');
    await writeStaticSite({ model, gallery, out, precision: 'fp32' });
    const vit = await exportTinyModel(path.join(root, 'vit'));
    const signature = graphSignature(await readFile(path.join(out, 'model/onnx/text_model.onnx')));
    expect(signature).toEqual([
      ['input_ids', 7, ['batch_size', 16]],
      ['text_embeds', 1, ['batch_size', 32]],
    ]);
    expect(signature).toEqual(graphSignature(await readFile(path.join(vit, 'onnx/text_model.onnx'))));

    // As the page opens it, in Node: the site's folder as a local model, nothing remote.
    env.allowRemoteModels = false;
    env.localModelPath = out;
    const textModel = await CLIPTextModelWithProjection.from_pretrained('model', { local_files_only: true, dtype: 'fp32' });
    const exported = await loadExportedModel(model, { warmUp: false });
    try {
      expect(textModel.config.model_type).toBe('clip_text_model');
      const queries = ['a port with ships and storage tanks', 'dense residential buildings', 'two bridges over a wide river'];
      const ids = exported.tokenizer.encode(queries);
      const { text_embeds: embeds } = (await textModel({ input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [queries.length, 16]) })) as { text_embeds: Tensor };
      expect(embeds.dims).toEqual([queries.length, 32]);
      const expected = await encoder.encodeTexts(queries);
      const got = embeds.data as Float32Array;
      const difference = Math.max(...expected.flatMap((row, i) => Array.from(row, (value, d) => Math.abs((got[i * 32 + d] as number) - value))));
      console.info(`ResNet site in transformers.js (Node, fp32): max |transformers.js − harma serve| ${difference.toExponential(2)} over ${queries.length} queries`);
      expect(difference).toBeLessThan(1e-5);
    } finally {
      await Promise.all([textModel.dispose(), exported.dispose()]);
    }
  });

  it('refuses a ResNet export that records no text-tower config (written before it was recorded), saying to export it again', async () => {
    const { root, gallery } = fixture;
    const older = await exportTinyModel(path.join(root, 'older'), { resnet: true });
    const config = JSON.parse(await readFile(path.join(older, 'config.json'), 'utf8')) as { harma: { transformers: Record<string, unknown> } };
    delete config.harma.transformers.textConfig;
    await writeFile(path.join(older, 'config.json'), JSON.stringify(config));
    const out = path.join(root, 'never-written');
    await expect(writeStaticSite({ model: older, gallery, out })).rejects.toThrow(
      `model ${older}: a clip-resnet backbone, for which Hugging Face transformers has no model class, and its config.json records no transformers config of its text tower (harma.transformers.textConfig)`,
    );
    expect(existsSync(out)).toBe(false);
  });
});
