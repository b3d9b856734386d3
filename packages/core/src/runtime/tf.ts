/**
 * The one place @harma/core names TensorFlow.js. Every package imports `tf` from
 * `@tensorflow/tfjs-core` (a peer dependency, so there is one engine per process); this module
 * only re-exports it for core's own files.
 */
export * as tf from '@tensorflow/tfjs-core';
