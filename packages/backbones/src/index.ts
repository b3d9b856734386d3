// The public door of @harma/backbones. Each area keeps its explicit export list in its own
// index file, owned together with the area's code.
export * from './clip/index';
export * from './clip-resnet/index';
export * from './weights/index';
export * from './tokenizer/index';
export { ensureBuiltInBackbones } from './ensure-built-ins';
