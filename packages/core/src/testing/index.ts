export { compareValues, expectAllClose } from './close';
export type { Tolerance, Difference } from './close';
export { PORTABLE_BACKENDS, PORTABLE_RUNTIMES } from './backends';
export type { PortableRuntime } from './backends';
export { naiveLinear, naiveSelfAttention, referenceErf } from './naive';
