// The public door of @harma/data.

// Captions
export { normalizeCaption, CaptionError } from './captions/normalize-caption';
export type { NormalizeCaptionOptions } from './captions/normalize-caption';

// Annotation files (HarMA/PIR layout of RSITMD and RSICD)
export { AnnotationError } from './annotations/annotation-error';
export type { AnnotationLocation } from './annotations/annotation-error';
export { readTrainAnnotations, buildTrainAnnotations, parseTrainEntries } from './annotations/train-annotations';
export type { TrainAnnotations, TrainCaption, ReadAnnotationOptions, ReadTrainOptions } from './annotations/train-annotations';
export { readEvalAnnotations, buildEvalAnnotations } from './annotations/eval-annotations';
export type { EvalAnnotations } from './annotations/eval-annotations';
export { trainEntrySchema, evalEntrySchema } from './annotations/schema';
export { splitCaptionDataset, readCaptionDataset } from './annotations/karpathy-dataset';
export type { SplitAnnotationFiles, SplitCaptionDatasetOptions } from './annotations/karpathy-dataset';
export type { TrainEntry, EvalEntry } from './annotations/schema';

// Images: one RgbImage; decoding (sharp), the paper's resize (an exact port of Pillow's), normalisation
export type { RgbImage } from './images/rgb-image';
export { createRgbImage } from './images/rgb-image';
export { cropImage, centerCrop, flipHorizontal } from './images/crop-flip';
export { decodeImage, DEFAULT_MAX_PIXELS, SUPPORTED_IMAGE_FORMATS } from './images/decode-image';
export type { DecodedImage, DecodeImageOptions } from './images/decode-image';
export { ImageDecodeError } from './images/image-decode-error';
export { resizeBicubic, resizeBilinear } from './images/resize-pillow';
export { resizeWithSharp } from './images/resize-sharp';
export { normalizePixels } from './images/normalize-pixels';
export { preprocessImage, preprocessDecoded, resizeForSpec, resizedSize, resizeImage } from './images/preprocess-image';
export type { PreprocessOptions, PreprocessedImage, Resizer } from './images/preprocess-image';
export { PreprocessPool, defaultPreprocessThreads } from './images/preprocess-pool';
export type { PreprocessPoolOptions } from './images/preprocess-pool';

// Images: pixel operations, the paper's transforms, image roots
export { autoContrast, equalize, brightness, sharpness } from './images/pixel-ops';
export type { AutoContrastOptions, SharpnessOptions } from './images/pixel-ops';
export { warpAffine, rotate, shearX, shearY, translateX, translateY, rotationMatrix, AUGMENT_FILL } from './images/affine';
export type { AffineMatrix } from './images/affine';
export { randomResizedCropBox } from './images/random-resized-crop';
export type { CropBox, RandomResizedCropOptions } from './images/random-resized-crop';
export { applyAugmentOp, augmentOpArgument, RAND_AUGMENT_OPS } from './images/augment-op';
export type { AugmentArgumentOptions, AugmentOpOptions, RandAugmentOp } from './images/augment-op';
export { planRandAugment, randAugment } from './images/rand-augment';
export type { RandAugmentOptions, AppliedOp } from './images/rand-augment';
export { trainTransform, testTransform, transformImage, imageTransformSpec } from './images/transforms';
export type { ImageTransformSpec, ImageTransformOptions, TrainAugmentation } from './images/transforms';
export { verifyImages, dropTrainImages, dropEvalImages, MissingImagesError } from './images/verify-images';
export type { ImageProblem, VerifyImagesOptions } from './images/verify-images';

// Batches
export { BatchLoader } from './loader/batch-loader';
export type { BatchLoaderOptions, Batch, LoaderSample, MissingImagePolicy, SkippedSample } from './loader/batch-loader';
export { trainSamples, evalImageSamples } from './loader/samples';

// The synthetic remote-sensing data set
export { generateSyntheticDataset, syntheticDatasetFiles, readSyntheticManifest } from './synthetic/generate-dataset';
export type { SyntheticDatasetOptions, SyntheticDatasetFiles, SyntheticDatasetManifest } from './synthetic/generate-dataset';
export { renderSyntheticScene } from './synthetic/render-scene';
export type { RenderSceneOptions, RenderedScene } from './synthetic/render-scene';
export { SCENE_CLASSES } from './synthetic/scene-classes';
export type { SceneClass } from './synthetic/scene-classes';
export { SOURCE_STYLE, TARGET_STYLE, SYNTHETIC_STYLES, interpolateStyle } from './synthetic/styles';
export type { SyntheticStyle, SensorModel } from './synthetic/styles';
export type { CaptionPhrasing, CaptionHabit } from './synthetic/captions';
export type { Mention, ObjectKind, Place, Direction, Relation, Amount, Size } from './synthetic/mentions';
export type { SyntheticImageFormat } from './synthetic/write-scene';
export { syntheticVocabulary } from './synthetic/vocabulary';
