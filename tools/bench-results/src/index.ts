export { benchResult, mergeResults, repositoryResultsFile } from './results-file';
export type { BenchResult } from './results-file';
export { DESIGN_ANCHOR_SOURCE, DESIGN_PYTORCH_ANCHORS, pytorchSide, pytorchStep } from './pytorch-side';
export type { PytorchFigure, PytorchPart, PytorchSide, PytorchSideOptions, PytorchStep } from './pytorch-side';
export { parsePytorchLine } from './pytorch-line';
export type { PytorchMeasurement, PytorchStepMeasurement } from './pytorch-line';
