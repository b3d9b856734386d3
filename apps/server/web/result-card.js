// One search hit as a card — thumbnail, gallery-relative path, score — shared by the server's page
// and the static site's. Text is inserted as text, never as HTML.

/**
 * @param {{ path: string, score: number }} hit
 * @param {(img: HTMLImageElement) => void} setImage gives the thumbnail its source
 * @returns {HTMLLIElement}
 */
export function resultCard(hit, setImage) {
  const item = document.createElement('li');
  item.className = 'result';
  const img = document.createElement('img');
  img.alt = hit.path;
  img.loading = 'lazy';
  img.decoding = 'async';
  setImage(img);
  const meta = document.createElement('div');
  meta.className = 'meta';
  const name = document.createElement('span');
  name.className = 'path';
  name.title = hit.path;
  name.textContent = hit.path;
  const score = document.createElement('span');
  score.className = 'score';
  score.textContent = hit.score.toFixed(3);
  meta.append(name, score);
  item.append(img, meta);
  return item;
}
