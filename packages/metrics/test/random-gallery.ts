import { rowDot } from '../src/host-top-k';
/**
 * Small galleries for tests: embeddings as plain arrays (row-major) plus their exact double
 * score matrix, so the tensor code is checked against an independent computation.
 */
export interface TestGallery {
  image: Float32Array;
  text: Float32Array;
  images: number;
  captions: number;
  dim: number;
  img2txt: number[][];
  txt2img: number[];
}

/** `perImage` captions per image, caption j belonging to image ⌊j / perImage⌋ unless `shuffle` reorders them. */
export function galleryTruth(images: number, perImage: number, shuffle?: (items: number[]) => number[]): Pick<TestGallery, 'img2txt' | 'txt2img'> {
  const owners = Array.from({ length: images * perImage }, (_, j) => Math.floor(j / perImage));
  const txt2img = shuffle ? shuffle(owners) : owners;
  const img2txt: number[][] = Array.from({ length: images }, () => []);
  txt2img.forEach((image, caption) => (img2txt[image] as number[]).push(caption));
  return { img2txt, txt2img };
}

/** Rows drawn from `draw` (one value per call). */
export function drawRows(count: number, dim: number, draw: () => number): Float32Array {
  return Float32Array.from({ length: count * dim }, draw);
}

/** Exact-as-double dot products image · textᵀ: [images, captions] row-major. */
export function doubleScores(gallery: TestGallery): Float64Array {
  const { image, text, images, captions, dim } = gallery;
  const scores = new Float64Array(images * captions);
  for (let i = 0; i < images; i++) {
    for (let j = 0; j < captions; j++) scores[i * captions + j] = rowDot(image, i, text, j, dim);
  }
  return scores;
}
