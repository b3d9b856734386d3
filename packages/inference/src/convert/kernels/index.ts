import type { KernelConverter } from '../kernel-context';
import { convolutionConverters } from './convolution';
import { elementwiseConverters } from './elementwise';
import { matMulConverters } from './matmul';
import { reductionConverters } from './reductions';
import { shapeConverters } from './shape-ops';

/** Every tfjs kernel the exporter can express in ONNX, by kernel name. */
export const KERNEL_CONVERTERS: Readonly<Record<string, KernelConverter>> = {
  ...convolutionConverters,
  ...elementwiseConverters,
  ...matMulConverters,
  ...reductionConverters,
  ...shapeConverters,
};
