import type { EvalAnnotations } from '../annotations/eval-annotations';
import type { TrainAnnotations } from '../annotations/train-annotations';
import type { LoaderSample } from './batch-loader';

/** Training samples: every caption with its image and dense image index. */
export function trainSamples(train: TrainAnnotations): LoaderSample[] {
  return train.captions.map((c) => ({ image: c.image, caption: c.caption, imageId: c.imageIndex }));
}

/** Evaluation images in file order (image id = image index); captions are encoded separately. */
export function evalImageSamples(evaluation: EvalAnnotations): LoaderSample[] {
  return evaluation.images.map((image, index) => ({ image, imageId: index }));
}
