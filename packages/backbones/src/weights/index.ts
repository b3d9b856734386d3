// The weights area of @harma/backbones: every weight format users hold → open_clip names.
export { loadWeights, readWeightFile } from './load-weights';
export type { WeightFile, WeightFileInfo, WeightFileFormat } from './load-weights';
export { WeightFileError } from './weight-file-error';
export { huggingFaceClipToOpenClip, openClipToHuggingFaceClip, isHuggingFaceClip } from './hugging-face-clip';
export { TorchCheckpoint } from './torch/torch-checkpoint';
export { selectStateDict } from './torch/checkpoint-layout';
export type { CheckpointLayout, SelectedStateDict } from './torch/checkpoint-layout';
export { TorchTensorRef, ScriptObject } from './torch/torch-globals';
export type { TorchStorageRef } from './torch/torch-globals';
export { PickleError } from './pickle/unpickler';
