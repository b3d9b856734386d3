// Runtime
export { initBackend, useBackend, activeBackend, BACKEND_NAMES } from './runtime/init-backend';
export type { BackendName, BackendChoice, BackendAttempt, InitBackendOptions } from './runtime/init-backend';
export { activeProductEngine, PRODUCT_ENGINES } from './runtime/product-engine';
export { SettingError } from './runtime/setting-error';
export type { ProductEngineName, ProductEngineOptions, ProductEngineChoice } from './runtime/product-engine';
export { OnnxRuntimeProducts } from './runtime/onnxruntime-products/onnxruntime-products';
export { ARRAY_BUFFER_SWEEPINGS, setArrayBufferSweeping } from './runtime/onnxruntime-products/array-buffer-sweeping';
export type { ArrayBufferSweeping } from './runtime/onnxruntime-products/array-buffer-sweeping';
export type { OnnxRuntimeProductsOptions, ProductOperands, ConvolutionOperands, FusedTensor } from './runtime/onnxruntime-products/onnxruntime-products';
export { FUSED_KERNELS, hasFusedKernel, withoutFusedKernels } from './runtime/wasm-overrides/onnxruntime-fused-kernels';
export type { FusedKernelName } from './runtime/wasm-overrides/onnxruntime-fused-kernels';
export { getLogger, setLogger, configureLogging, interceptLogLines, formatLogRecord } from './runtime/logger';
export type { Logger, LogFormat, LoggingOptions } from './runtime/logger';

// Module tree
export { Module, matchesFilter } from './module/module';
export type { StateDict, StateDictInput, ParameterFilter, LoadStateDictOptions, ParameterCount } from './module/module';
export { Parameter } from './module/parameter';
export { ModuleBuffer } from './module/module-buffer';
export type { ParameterOptions } from './module/parameter';
export { StateDictError } from './module/state-dict-error';
export type { LoadReport, ShapeMismatch } from './module/state-dict-error';
export { valueAndGradients } from './module/gradients';
export type { ValueAndGradients } from './module/gradients';
export { savedForBackward, tapeGradients } from './module/tape-backprop';
export type { SavedForBackward, TapeGradients } from './module/tape-backprop';

// Layers
export { Linear, linear } from './nn/linear';
export type { LinearOptions } from './nn/linear';
export { LayerNorm } from './nn/layer-norm';
export type { LayerNormOptions } from './nn/layer-norm';
export { MultiheadAttention, causalMask } from './nn/multihead-attention';
export type { MultiheadAttentionOptions, AttentionCallOptions } from './nn/multihead-attention';
export { Embedding, embeddingLookup } from './nn/embedding';
export { Conv2d } from './nn/conv2d';
export type { Conv2dOptions } from './nn/conv2d';
export { BatchNorm2d } from './nn/batch-norm';
export type { BatchNormOptions } from './nn/batch-norm';
export type { EmbeddingOptions } from './nn/embedding';
export { gelu, quickGelu, erf, composedErf, activation } from './nn/activations';
export { residualAdd } from './nn/residual-add';
export { packedSelfAttention } from './nn/packed-self-attention';
export type { ActivationName } from './nn/activations';

// Tensor files
export {
  readSafetensorsHeader,
  readSafetensors,
  loadSafetensors,
  parseSafetensors,
  parseSafetensorsHeader,
  serializeSafetensors,
  writeSafetensors,
  SafetensorsError,
} from './io/safetensors';
export type {
  SafetensorsEntry,
  SafetensorsHeader,
  SafetensorsContents,
  ReadSafetensorsOptions,
  SerializeOptions,
  TensorSource,
} from './io/safetensors';
export { hostToTensor, tensorToHost, elementCount } from './io/host-tensor';
export type { HostTensor } from './io/host-tensor';
export { SAFETENSORS_DTYPES, halfToFloat, floatToHalf, bfloat16ToFloat, floatToBfloat16 } from './io/dtype';
export type { SafetensorsDtype, HostData } from './io/dtype';
export { writeFileAtomic } from './io/write-file-atomic';
export { syncDirectory, syncFile } from './io/sync-to-disk';

// Randomness
export { SeededRandom } from './random/seeded-random';
export type { RandomState } from './random/seeded-random';
export { uniformTensor, normalTensor, linearDefaultBound, xavierUniformBound } from './random/init';

// Numbers
export { roundHalfEven, formatHalfEven } from './numeric/round-half-even';

// Backbone plug-in contract
export { BACKBONE_SPECIFICATION_VERSION } from './contract/backbone';
export type {
  Backbone,
  BackboneDescription,
  BackboneOptions,
  BlockSite,
  TowerSite,
  TowerName,
  MlpTransform,
  OutputTransform,
  AttentionProjectionDelta,
  EncodeOptions,
  ImagePreprocessSpec,
} from './contract/backbone';
export type { JsonValue, JsonObject } from './contract/json';
export { tokenizerRegistry, registerTokenizer, loadTokenizer } from './contract/text-tokenizer';
export type { TextTokenizer, TokenizerDescription, TokenizerLoader } from './contract/text-tokenizer';
export { Registry } from './contract/registry';
export { backboneRegistry, registerBackbone, createBackbone, requireTokenizer } from './contract/backbone-registry';
export type { BackboneFactory } from './contract/backbone-registry';
export { importPlugin } from './contract/import-plugin';
export type { PluginProvides } from './contract/import-plugin';

// Optimisation
export { AdamW, DEFAULT_NO_DECAY_KEYS } from './optim/adamw';
export type { AdamWOptions, AdamWState } from './optim/adamw';
export { LinearSchedule } from './optim/linear-schedule';
export type { LinearScheduleOptions } from './optim/linear-schedule';
export { clipGradientNorm, globalGradientNorm } from './optim/clip-gradient-norm';

// ONNX files
export { encodeOnnxModel, decodeOnnxModel, ONNX_DATA_TYPES, ONNX_ATTRIBUTE_TYPES } from './onnx/onnx-model';
export type {
  OnnxModel,
  OnnxGraph,
  OnnxNode,
  OnnxTensor,
  OnnxAttribute,
  OnnxValueInfo,
  OnnxDimension,
  OnnxOperatorSet,
  OnnxDataType,
} from './onnx/onnx-model';
