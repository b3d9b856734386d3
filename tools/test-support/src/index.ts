// Loads vitest (describeWithReferenceData): for test files only. A program outside vitest imports
// `@harma/test-support/metrics-cases` instead.
export { repositoryRoot, fixturePath } from './repository';
export { referenceData, referencePath } from './reference-data';
export type { ReferenceData } from './reference-data';
export { describeWithReferenceData } from './describe-with-reference-data';
export { readMetricsCases } from './metrics-cases';
export type { MetricsCase } from './metrics-cases';
export { parseGoldenModelConfig } from './golden-model-config';
export type { GoldenModelConfig, GoldenClipModelConfig, GoldenResNetModelConfig } from './golden-model-config';
export { openClipParameterCount, harmaParameterCount } from './clip-parameter-count';
export type { ClipParameterCount, HarmaCountOptions } from './clip-parameter-count';
export { tinyResNetConfig } from './tiny-resnet-config';
export type { TinyResNetConfig, TinyResNetOverrides } from './tiny-resnet-config';
