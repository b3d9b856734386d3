// The page of a site written by `harma site`: text → image search over the gallery, entirely in
// the browser. transformers.js (with ONNX Runtime Web on WebAssembly) tokenizes the query and runs
// the model's text graph; the gallery's image embeddings were computed when the site was written.
// Every file comes from this site's folder; nothing is sent anywhere.
import { normalizeQuery } from './normalize-query.js';
import { queryIds } from './query-ids.js';
import { rankImages } from './rank-images.js';
import { resultCard } from './result-card.js';

const $ = (id) => document.getElementById(id);
const TYPING_PAUSE_MS = 150;

/** The smallest module using a SIMD instruction: ONNX Runtime Web's build needs WebAssembly SIMD. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

class LoadError extends Error {}

function setStatus(message) {
  $('status').textContent = message;
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = message === '';
}

function fail(message) {
  document.body.dataset.state = 'failed';
  $('query').disabled = true;
  setStatus('');
  showError(message);
}

/** Bytes loaded so far of each file the progress bar follows, against the sizes site.json gives. */
class LoadProgress {
  constructor(sizes) {
    this.sizes = sizes;
    this.loaded = {};
  }

  update(file, loaded) {
    this.loaded[file] = loaded;
    const total = Object.values(this.sizes).reduce((sum, bytes) => sum + bytes, 0);
    const done = Object.entries(this.sizes).reduce((sum, [name, bytes]) => sum + Math.min(this.loaded[name] ?? 0, bytes), 0);
    $('progress').value = total === 0 ? 0 : done / total;
    $('load-status').textContent = `Loading the search model and gallery… ${(done / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`;
  }
}

/** GET a file of the site as bytes, reporting progress; a failure names the file. */
async function fetchBytes(file, progress) {
  let response;
  try {
    response = await fetch(file);
  } catch (error) {
    throw new LoadError(`Could not load ${file}: ${error.message}`);
  }
  if (!response.ok) throw new LoadError(`Could not load ${file}: ${response.status} ${response.statusText}`);
  const chunks = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    progress?.update(file, loaded);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

async function fetchJson(file) {
  const bytes = await fetchBytes(file);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new LoadError(`${file} is not valid JSON: ${error.message}`);
  }
}

function checkBrowser() {
  if (location.protocol === 'file:') {
    throw new LoadError('This page must be served over HTTP: serve its folder with any static file host (e.g. `python3 -m http.server` in the folder) and open that address.');
  }
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(SIMD_PROBE)) {
    throw new LoadError('This browser cannot run the search model: it needs WebAssembly with SIMD (any recent Chrome, Edge, Firefox or Safari has it).');
  }
}

/** The gallery: image list and embeddings [images, embedDim] (little-endian float32). */
async function loadGallery(manifest, progress) {
  const [index, bytes] = await Promise.all([fetchJson(manifest.gallery.index), fetchBytes(manifest.gallery.embeddings, progress)]);
  const dim = manifest.model.embedDim;
  if (bytes.byteLength !== index.images.length * dim * 4) {
    throw new LoadError(`${manifest.gallery.embeddings} holds ${bytes.byteLength} bytes, not ${index.images.length} × ${dim} float32 values: the site is incomplete`);
  }
  const view = new DataView(bytes.buffer);
  const embeddings = new Float32Array(index.images.length * dim);
  for (let i = 0; i < embeddings.length; i++) embeddings[i] = view.getFloat32(i * 4, true);
  return { images: index.images, embeddings, dim };
}

/** transformers.js from this site, set up to read only this site's files; the tokenizer and the text model. */
async function loadModel(manifest, progress) {
  let transformers;
  try {
    transformers = await import(new URL(manifest.runtime.transformers, location.href).href);
  } catch (error) {
    throw new LoadError(`The search runtime (${manifest.runtime.transformers}) could not be loaded in this browser: ${error.message}`);
  }
  const { env, AutoTokenizer, CLIPTextModelWithProjection, Tensor } = transformers;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  // A path, not a URL: transformers.js reads "local" models by fetching paths below this one.
  env.localModelPath = new URL('.', location.href).pathname;
  // Cache Storage keys would be the model id alone, shared by every site on this origin: rely on HTTP caching instead.
  env.useBrowserCache = false;
  env.useWasmCache = false;
  const wasm = env.backends.onnx.wasm;
  wasm.wasmPaths = { mjs: new URL(manifest.runtime.wasm.mjs, location.href).href, wasm: new URL(manifest.runtime.wasm.wasm, location.href).href };
  wasm.wasmBinary = (await fetchBytes(manifest.runtime.wasm.wasm, progress)).buffer;

  const graph = `${manifest.model.dir}/onnx/${manifest.model.dtype === 'q8' ? 'text_model_quantized' : 'text_model'}.onnx`;
  try {
    const tokenizer = await AutoTokenizer.from_pretrained(manifest.model.dir);
    const model = await CLIPTextModelWithProjection.from_pretrained(manifest.model.dir, {
      dtype: manifest.model.dtype,
      device: 'wasm',
      progress_callback: (event) => {
        if (event.status === 'progress' && event.file !== undefined) progress.update(`${manifest.model.dir}/${event.file}`, event.loaded);
      },
    });
    const contextLength = manifest.model.contextLength;
    return {
      /** One query → its L2-normalised embedding [embedDim]. */
      async embed(text) {
        const ids = queryIds(tokenizer.encode(text), contextLength);
        const output = await model({ input_ids: new Tensor('int64', ids, [1, contextLength]) });
        return output.text_embeds.data;
      },
    };
  } catch (error) {
    throw new LoadError(`The search model (${graph}) could not be loaded in this browser: ${error.message}`);
  }
}

function renderResults(gallery, hits) {
  const items = hits.map(({ index, score }) => {
    const image = gallery.images[index];
    const item = resultCard({ path: image.path, score }, (img) => {
      img.src = image.thumbnail;
    });
    item.dataset.path = image.path;
    item.dataset.score = String(score);
    return item;
  });
  $('results').replaceChildren(...items);
}

/** Runs the latest query once the model is ready; an older query's results never replace a newer one's. */
function createSearch(gallery, model) {
  let latest = 0;
  return async function search(text) {
    const ticket = ++latest;
    const query = normalizeQuery(text);
    const results = $('results');
    if (query === '') {
      results.replaceChildren();
      setStatus(text.trim() === '' ? '' : 'No words left in the query once punctuation is removed.');
      return;
    }
    const k = Number($('k').value);
    const started = performance.now();
    try {
      const embedding = await model.embed(query);
      if (ticket !== latest) return;
      const hits = rankImages(gallery.embeddings, gallery.dim, embedding, k);
      renderResults(gallery, hits);
      const ms = performance.now() - started;
      results.dataset.query = text;
      results.dataset.ms = ms.toFixed(1);
      showError('');
      setStatus(`${hits.length} of ${gallery.images.length} images for “${query}” in ${ms.toFixed(1)} ms`);
    } catch (error) {
      if (ticket === latest) showError(`The search failed: ${error.message}`);
    }
  };
}

function wireSearch(search) {
  const input = $('query');
  let timer;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void search(input.value), TYPING_PAUSE_MS);
  });
  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(timer);
    void search(input.value);
  });
  $('k').addEventListener('change', () => void search(input.value));
}

async function start() {
  checkBrowser();
  const manifest = await fetchJson('site.json');
  document.title = manifest.title;
  $('about').textContent = `${manifest.gallery.images} images · ${manifest.model.backbone} ${manifest.model.embedDim}-d · ${manifest.model.precision}`;
  const progress = new LoadProgress(manifest.sizes);
  const [gallery, model] = await Promise.all([loadGallery(manifest, progress), loadModel(manifest, progress)]);
  // One query before "ready": the first run of a graph sets up its kernels.
  await model.embed('a');
  const search = createSearch(gallery, model);
  wireSearch(search);
  const readyMs = performance.now();
  document.body.dataset.readyMs = readyMs.toFixed(0);
  document.body.dataset.state = 'ready';
  setStatus(`Ready in ${(readyMs / 1000).toFixed(1)} s: type to search ${gallery.images.length} images.`);
  if (normalizeQuery($('query').value) !== '') void search($('query').value);
}

start().catch((error) => {
  fail(error instanceof LoadError ? error.message : `The page could not start: ${error.message}`);
  if (!(error instanceof LoadError)) throw error;
});
