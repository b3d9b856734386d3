/** Which captions describe which image: the evaluation's ground truth. */
export interface RetrievalGroundTruth {
  /** Caption indices of each image (RSITMD/RSICD: 5 each), one list per image. */
  img2txt: ReadonlyArray<ArrayLike<number>>;
  /** Image index of each caption. */
  txt2img: ArrayLike<number>;
}

/**
 * Check that the ground truth fits a gallery of `images` × `captions`; the error names the field
 * and the entry at fault.
 */
export function checkGroundTruth(source: string, truth: RetrievalGroundTruth, images: number, captions: number): void {
  if (truth.img2txt.length !== images) throw new Error(`${source}: img2txt has ${truth.img2txt.length} entries for ${images} images`);
  if (truth.txt2img.length !== captions) throw new Error(`${source}: txt2img has ${truth.txt2img.length} entries for ${captions} captions`);
  for (let i = 0; i < images; i++) {
    const list = truth.img2txt[i] as ArrayLike<number>;
    if (list.length === 0) throw new Error(`${source}: img2txt[${i}] lists no caption`);
    for (let k = 0; k < list.length; k++) {
      const caption = list[k] as number;
      if (!Number.isInteger(caption) || caption < 0 || caption >= captions) {
        throw new Error(`${source}: img2txt[${i}][${k}] = ${caption} is not a caption index in [0, ${captions})`);
      }
    }
  }
  for (let j = 0; j < captions; j++) {
    const image = truth.txt2img[j] as number;
    if (!Number.isInteger(image) || image < 0 || image >= images) {
      throw new Error(`${source}: txt2img[${j}] = ${image} is not an image index in [0, ${images})`);
    }
  }
}
