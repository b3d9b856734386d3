// The public door of @harma/inference: ONNX export of adapted encoders, the one loader of exported
// model folders, encoders for evaluation and serving (tfjs and ONNX Runtime), evaluation.

// Encoders
export type { Encoder, EncoderEngine } from './encoder/encoder';
export { createTfjsEncoder } from './encoder/tfjs-encoder';
export type { TfjsEncoderOptions } from './encoder/tfjs-encoder';
export { createOrtEncoder } from './encoder/ort-encoder';
export type { OrtEncoder, OrtEncoderOptions, OrtPrecision } from './encoder/ort-encoder';
export { ortSessionOptions, createOrtRunner, loadOnnxRuntime } from './runtime/ort-runtime';
export type { OrtSessionSettings, OrtModelRunner } from './runtime/ort-runtime';

// Export
export { exportOnnx, buildTowerModel, EXPORT_OPSET, TOWER_IO } from './export/export-onnx';
export type { ExportOnnxOptions, BuildTowerOptions, OnnxExport, TowerExport } from './export/export-onnx';
export { verifyExport } from './export/verify-export';
export type { VerifyExportOptions, ExportParity } from './export/verify-export';
export {
  readExportConfig,
  parseExportConfig,
  parseExportConfigFile,
  tokenizerDescriptionOf,
  exportConfigSchema,
  EXPORT_FILES,
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
} from './export/export-config';
export type { ExportConfig, ExportConfigFile } from './export/export-config';
export { huggingFacePreprocessorConfig } from './export/preprocessor-config';

// Exported model folders
export { loadExportedModel } from './model/load-exported-model';
export type { ExportedModel, ExportedModelEngine, LoadExportedModelOptions } from './model/load-exported-model';
export { traceTower, sampleTowerInput, sampleTokenIds } from './export/tower-trace';
export { quantizeModelInt8, quantizeColumns } from './quantize/quantize-int8';
export type { QuantizeOptions, QuantizeReport } from './quantize/quantize-int8';
export { encodeOnnxModel, decodeOnnxModel, ONNX_DATA_TYPES } from '@harma/core';
export type { OnnxModel, OnnxGraph, OnnxNode, OnnxTensor, OnnxAttribute, OnnxValueInfo } from '@harma/core';

// Tracing and conversion (for other backbones' exports)
export { traceKernels } from './trace/kernel-trace';
export type { KernelTrace, TracedKernel, TraceRef } from './trace/kernel-trace';
export { unifyTraces, TraceMismatchError } from './trace/symbolic-trace';
export type { SymbolicTrace, SymbolicKernel, Dim, BatchDim } from './trace/symbolic-trace';
export { traceToGraph } from './convert/trace-to-graph';
export type { TraceToGraphOptions } from './convert/trace-to-graph';
export { DEFAULT_RECIPES, endOfTextSelectorRecipe, uniformFillRecipe, batchBroadcastRecipe } from './convert/dynamic-constants';
export type { DynamicConstantRecipe, RecipeContext } from './convert/dynamic-constants';
export { KERNEL_CONVERTERS } from './convert/kernels/index';
export { DEFAULT_FUSIONS, fuseLayerNorm, fuseGelu, fuseQuickGelu } from './convert/fusions';

// Evaluation
export { compareRecall, evaluateRetrieval } from './eval/compare-recall';
export type { RetrievalSplit, RecallComparison, MetricName } from './eval/compare-recall';
export { embeddingAgreement } from './eval/embedding-agreement';
export { evaluateSplit, evaluationLoader } from './eval/evaluate-split';
export type { EvaluateSplitOptions, SplitEvaluation, EmbeddingEncoder } from './eval/evaluate-split';
export type { EmbeddingAgreement } from './eval/embedding-agreement';

export { INFERENCE_VERSION } from './version';
