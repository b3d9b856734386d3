import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Module, type SeededRandom } from '@harma/core';
import { AttentionPool2d } from './attention-pool';
import { BOTTLENECK_EXPANSION, Bottleneck } from './bottleneck';
import { convBatchNorm, registerConvBatchNorms, type ConvBatchNorm } from './conv-batch-norm';
import { joinRows, mapRows, splitRows, type RowChunks } from './row-chunks';
import { resNetFeatureWidth, resNetGridSize, type ClipResNetConfig } from './config';

export interface ModifiedResNetResult {
  /** [batch, embedDim]: the attention pooling's output, not normalised. */
  features: tf.Tensor;
  /** When asked for: [batch, channels, h, w] (NCHW, as PyTorch's) after the stem (0) and after each stage (1–4). */
  stages: tf.Tensor[];
}

/**
 * open_clip's `ModifiedResNet` image tower (registered as `visual`), with its state-dict names: a
 * 3-convolution stem (`conv1` 3×3 stride 2 to width/2 channels, `conv2` to width/2, `conv3` to
 * width, each followed by `bn1..3` and ReLU) and a 2×2 average pool; four stages `layer1..4` of
 * Bottlenecks (stride 1, 2, 2, 2, anti-aliased by average pooling); `attnpool`.
 *
 * Computed channels-last (tfjs's convolution layout): the NCHW pixels are transposed once on the
 * way in, and the stage outputs on the way out when asked for. Its BatchNorm layers follow
 * `setBatchNormTraining` (evaluation mode by default).
 *
 * A batch of more than `chunkRows` images is streamed: cut into chunks of rows that every layer
 * computes one after the other, each BatchNorm normalising all of them with the whole batch's
 * statistics (`BatchNorm2d.forwardChunks`) — the numbers of one pass, without its temporaries
 * over the whole batch (the official batch of 214 RN50 images in training mode needs ~690 MB for
 * one stem activation, and one pass holds several at once).
 */
export class ModifiedResNet extends Module {
  /** The stem: `conv1`/`bn1` (3×3 stride 2 to width/2), `conv2`/`bn2` (3×3, width/2), `conv3`/`bn3` (3×3 to width). */
  readonly stem: readonly ConvBatchNorm[];
  /** `layer1` … `layer4`: the Bottlenecks of each stage. */
  readonly stages: ReadonlyArray<readonly Bottleneck[]>;
  readonly attnpool: AttentionPool2d;
  /**
   * Images per chunk of a streamed batch: the most whose largest activation (the stem's last
   * convolution, imageSize²/4 · width floats an image) fits in `CHUNK_BYTES`. Any value gives the
   * same numbers; set it lower to hold less at once.
   */
  chunkRows: number;

  constructor(readonly config: ClipResNetConfig, rng?: SeededRandom) {
    super();
    const { vision, embedDim, batchNorm } = config;
    const { width } = vision;
    const half = width / 2;
    const shapes = [
      { inChannels: 3, outChannels: half, kernel: 3, stride: 2, padding: 1 },
      { inChannels: half, outChannels: half, kernel: 3, padding: 1 },
      { inChannels: half, outChannels: width, kernel: 3, padding: 1 },
    ];
    this.stem = registerConvBatchNorms(this, shapes, batchNorm, rng);
    let inChannels = width;
    this.stages = vision.layers.map((blocks, stage) => {
      const layer = this.register(`layer${stage + 1}`, new Module());
      const planes = width * 2 ** stage;
      return Array.from({ length: blocks }, (_, index) => {
        const block = layer.register(String(index), new Bottleneck(inChannels, planes, index === 0 && stage > 0 ? 2 : 1, batchNorm, rng));
        inChannels = planes * BOTTLENECK_EXPANSION;
        return block;
      });
    });
    this.attnpool = this.register('attnpool', new AttentionPool2d(resNetGridSize(vision), resNetFeatureWidth(vision), vision.heads, embedDim, rng));
    this.chunkRows = Math.max(1, Math.floor(CHUNK_BYTES / ((vision.imageSize / 2) ** 2 * width * 4)));
  }

  /** Training mode of every BatchNorm layer (see `BatchNorm2d.training`). */
  setBatchNormTraining(training: boolean): void {
    for (const [, module] of this.namedModules()) if (module instanceof BatchNorm2d) module.training = training;
  }

  /** `pixels` [batch, 3, size, size] (NCHW) → features [batch, embedDim] and, when asked, the stage outputs. */
  forward(pixels: tf.Tensor, keepStages = false): ModifiedResNetResult {
    // Each step frees its input chunks as soon as its outputs exist; the tidy only cleans up after an error.
    return tf.tidy(() => {
      const stages: tf.Tensor[] = [];
      const keep = (chunks: RowChunks): void => {
        if (keepStages) stages.push(tf.tidy(() => tf.transpose(joinRows(mapRows(chunks, tf.clone, true)), [0, 3, 1, 2])));
      };
      let x = mapRows(splitRows(pixels, this.chunkRows), (chunk) => tf.transpose(chunk, [0, 2, 3, 1]));
      for (const layer of this.stem) x = convBatchNorm(layer, x);
      x = mapRows(x, (chunk) => tf.avgPool(chunk as tf.Tensor4D, 2, 2, 'valid'));
      keep(x);
      for (const blocks of this.stages) {
        for (const block of blocks) x = block.forwardChunks(x);
        keep(x);
      }
      return { features: joinRows(mapRows(x, (chunk) => this.attnpool.forward(chunk))), stages };
    });
  }
}

/** Bytes of the largest activation of one chunk of a streamed batch: 64 MiB (20 RN50 images at 224 px). */
export const CHUNK_BYTES = 64 * 2 ** 20;
