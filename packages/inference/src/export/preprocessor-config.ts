import type { ImagePreprocessSpec, JsonObject } from '@harma/core';

/** Pillow's resampling filter codes, as transformers' image processors record them. */
const PIL_RESAMPLE = { bilinear: 2, bicubic: 3 } as const;

/**
 * A preprocessing spec as transformers' `CLIPImageProcessor` (`preprocessor_config.json`): what
 * Python's transformers and transformers.js apply before the vision graph. `squash` is a resize to
 * exactly size × size with no crop (the paper's test transform); `shortest-side-crop` is CLIP's
 * resize of the shorter side and centre crop. Then rescale by 1/255 and normalise with the spec's
 * mean and std.
 */
export function huggingFacePreprocessorConfig(spec: ImagePreprocessSpec): JsonObject {
  const square = { height: spec.size, width: spec.size };
  return {
    image_processor_type: 'CLIPImageProcessor',
    do_convert_rgb: true,
    do_resize: true,
    size: spec.resize === 'squash' ? square : { shortest_edge: spec.size },
    resample: PIL_RESAMPLE[spec.interpolation],
    do_center_crop: spec.resize === 'shortest-side-crop',
    crop_size: square,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [...spec.mean],
    image_std: [...spec.std],
  };
}
