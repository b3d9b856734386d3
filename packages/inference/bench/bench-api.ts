// What the benchmark uses: the package's public API, plus the graph builder for the yardstick.
export { createOrtRunner, createTfjsEncoder, encodeOnnxModel, exportOnnx, loadExportedModel, sampleTokenIds, verifyExport } from '../src/index';
export type { Encoder } from '../src/index';
export { OnnxGraphBuilder } from '../src/convert/graph-builder';
export { valueInfo } from '../src/convert/trace-to-graph';
