import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, type BatchNormOptions, type Module, type SeededRandom } from '@harma/core';
import { mapRows, type RowChunks } from './row-chunks';

/** One of open_clip's numbered convolution + BatchNorm pairs (`conv1` / `bn1`, …), bias-free. */
export interface ConvBatchNorm {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
}

/** A convolution of such a pair: channels in and out, square kernel, stride (default 1), padding (default 0). */
export interface ConvShape {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride?: number;
  padding?: number;
}

/**
 * Register `conv1`, `bn1`, `conv2`, `bn2`, … on `module` in that order (open_clip's names and
 * state-dict order, in the stem and in every Bottleneck), one pair per shape.
 */
export function registerConvBatchNorms(module: Module, shapes: readonly ConvShape[], batchNorm: BatchNormOptions, rng?: SeededRandom): ConvBatchNorm[] {
  return shapes.map(({ inChannels, outChannels, kernel, stride, padding }, i) => ({
    conv: module.register(`conv${i + 1}`, new Conv2d(inChannels, outChannels, kernel, { stride, padding, bias: false, rng })),
    bn: module.register(`bn${i + 1}`, new BatchNorm2d(outChannels, batchNorm)),
  }));
}

/**
 * `bn(conv(x))`, then ReLU unless `relu` is false, channels-last, over a batch in chunks: the
 * convolution chunk by chunk, BatchNorm over all of them. Disposes `chunks` (unless `keep`).
 */
export function convBatchNorm(layer: ConvBatchNorm, chunks: RowChunks, options: { relu?: boolean; keep?: boolean } = {}): RowChunks {
  const convolved = mapRows(chunks, (chunk) => layer.conv.forward(chunk), options.keep);
  // Each convolved chunk is freed once normalised, each normalised one once rectified: the layer
  // holds its input and its output, not four batch-sized tensors.
  const normalised = layer.bn.forwardChunks(convolved, true);
  return options.relu === false ? normalised : mapRows(normalised, tf.relu);
}
