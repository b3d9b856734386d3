// Image decoding (sharp), the paper's resize (an exact port of Pillow's) and CLIP normalisation.
export { decodeImage, DEFAULT_MAX_PIXELS, SUPPORTED_IMAGE_FORMATS } from './decode-image';
export type { DecodedImage, DecodeImageOptions } from './decode-image';
export { ImageDecodeError } from './image-decode-error';
export { resizeBicubic, resizeBilinear } from './resize-pillow';
export { resizeWithSharp } from './resize-sharp';
export { normalizePixels, CLIP_MEAN, CLIP_STD } from './normalize-pixels';
export { preprocessImage, resizeForSpec, resizeImage, centerCrop } from './preprocess-image';
export type { PreprocessOptions, Resizer } from './preprocess-image';
export type { RgbImage } from './rgb-image';
