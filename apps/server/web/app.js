// The HarMA.js search page: text search, drag-and-drop image search, gallery statistics.
// Plain browser JavaScript, no build step; every server string is inserted as text, never HTML.
import { resultCard } from './result-card.js';

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = 'harma-api-key';
const objectUrls = [];

function apiKey() {
  return $('api-key').value.trim();
}

function headers(extra = {}) {
  const key = apiKey();
  return key === '' ? extra : { ...extra, 'x-api-key': key };
}

/** Fetch JSON; an error response's message (the API's `error.message`) becomes the thrown error. */
async function api(path, init = {}) {
  const response = await fetch(path, { ...init, headers: headers(init.headers) });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message ?? `${response.status} ${response.statusText}`);
  return body;
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = message === '';
}

function setStatus(message) {
  $('status').textContent = message;
}

/** A failed search: its error, and none of the previous results (they would read as this search's answer). */
function showFailure(error) {
  clearResults();
  setStatus('');
  showError(error.message);
}

function formatIndexing(progress) {
  if (progress.state === 'indexing') return `${progress.done} / ${progress.total}`;
  if (progress.state === 'scanning') return 'scanning…';
  if (progress.state === 'failed') return 'failed';
  return 'up to date';
}

async function refreshStats() {
  try {
    const stats = await api('/api/stats');
    $('stat-images').textContent = String(stats.images);
    $('stat-captions').textContent = String(stats.captions);
    $('stat-model').textContent = `${stats.model.backbone ?? 'model'} · ${stats.embedDim}-d · ${stats.model.engine ?? ''}`;
    $('stat-indexing').textContent = formatIndexing(stats.indexing);
    const busy = stats.indexing.state === 'indexing' || stats.indexing.state === 'scanning';
    setTimeout(refreshStats, busy ? 1500 : 10000);
  } catch (error) {
    $('stat-indexing').textContent = 'unavailable';
    setTimeout(refreshStats, 10000);
  }
}

/** Thumbnails load with the key when one is set (an <img> cannot send headers). */
async function setThumbnail(img, url) {
  if (apiKey() === '') {
    img.src = url;
    return;
  }
  const response = await fetch(url, { headers: headers() });
  if (!response.ok) return;
  const objectUrl = URL.createObjectURL(await response.blob());
  objectUrls.push(objectUrl);
  img.src = objectUrl;
}

function clearResults() {
  while (objectUrls.length > 0) URL.revokeObjectURL(objectUrls.pop());
  $('results').replaceChildren();
  $('captions').replaceChildren();
  $('caption-section').hidden = true;
  $('results-title').hidden = true;
}

function renderImages(results) {
  const items = results.map((hit) => {
    const item = resultCard(hit, (img) => void setThumbnail(img, hit.thumbnail));
    item.dataset.id = String(hit.id);
    return item;
  });
  $('results').replaceChildren(...items);
  $('results-title').hidden = false;
}

function renderCaptions(results) {
  const items = results.map((hit) => {
    const item = document.createElement('li');
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = hit.score.toFixed(3);
    const text = document.createElement('span');
    text.className = 'caption';
    text.textContent = hit.text;
    item.append(score, text);
    return item;
  });
  $('captions').replaceChildren(...items);
  $('caption-section').hidden = items.length === 0;
}

async function searchText(event) {
  event.preventDefault();
  const query = $('query').value.trim();
  if (query === '') return;
  showError('');
  setStatus('Searching…');
  try {
    const body = await api('/api/search/text', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, k: Number($('k').value) }),
    });
    clearResults();
    renderImages(body.results);
    setStatus(`${body.results.length} of ${body.indexSize} images for “${query}” in ${body.tookMs} ms`);
  } catch (error) {
    showFailure(error);
  }
}

async function searchImage(file) {
  showError('');
  setStatus(`Searching with ${file.name}…`);
  const k = Number($('k').value);
  const form = () => {
    const data = new FormData();
    data.append('image', file, file.name);
    return data;
  };
  try {
    const captionCount = Number($('stat-captions').textContent) || 0;
    const [images, captions] = await Promise.all([
      api(`/api/search/image?k=${k}`, { method: 'POST', body: form() }),
      captionCount > 0 ? api(`/api/search/image/captions?k=${Math.min(k, 10)}`, { method: 'POST', body: form() }) : Promise.resolve({ results: [] }),
    ]);
    clearResults();
    renderCaptions(captions.results);
    renderImages(images.results);
    setStatus(`${images.results.length} images similar to ${file.name} in ${images.tookMs} ms`);
  } catch (error) {
    showFailure(error);
  }
}

function setUpDropZone() {
  const zone = $('drop-zone');
  const input = $('file-input');
  zone.addEventListener('click', () => input.click());
  zone.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') input.click();
  });
  input.addEventListener('change', () => {
    if (input.files?.[0]) void searchImage(input.files[0]);
    input.value = '';
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    const file = event.dataTransfer?.files?.[0];
    if (file) void searchImage(file);
  });
}

function setUpKey() {
  const input = $('api-key');
  input.value = localStorage.getItem(KEY_STORAGE) ?? '';
  input.addEventListener('change', () => {
    localStorage.setItem(KEY_STORAGE, input.value.trim());
    void refreshStats();
  });
}

setUpKey();
setUpDropZone();
$('search-form').addEventListener('submit', searchText);
void refreshStats();
