import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Module, type SeededRandom } from '@harma/core';
import { AttentionPool2d } from './attention-pool';
import { BOTTLENECK_EXPANSION, Bottleneck } from './bottleneck';
import { convBatchNormRelu, registerConvBatchNorms, type ConvBatchNorm } from './conv-batch-norm';
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
 */
export class ModifiedResNet extends Module {
  /** The stem: `conv1`/`bn1` (3×3 stride 2 to width/2), `conv2`/`bn2` (3×3, width/2), `conv3`/`bn3` (3×3 to width). */
  readonly stem: readonly ConvBatchNorm[];
  /** `layer1` … `layer4`: the Bottlenecks of each stage. */
  readonly stages: ReadonlyArray<readonly Bottleneck[]>;
  readonly attnpool: AttentionPool2d;

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
  }

  /** Training mode of every BatchNorm layer (see `BatchNorm2d.training`). */
  setBatchNormTraining(training: boolean): void {
    for (const [, module] of this.namedModules()) if (module instanceof BatchNorm2d) module.training = training;
  }

  /** `pixels` [batch, 3, size, size] (NCHW) → features [batch, embedDim] and, when asked, the stage outputs. */
  forward(pixels: tf.Tensor, keepStages = false): ModifiedResNetResult {
    return tf.tidy(() => {
      const stages: tf.Tensor[] = [];
      const keep = (x: tf.Tensor): void => {
        if (keepStages) stages.push(tf.transpose(x, [0, 3, 1, 2]));
      };
      let x: tf.Tensor = tf.tidy(() => {
        const stem = this.stem.reduce((input, layer) => convBatchNormRelu(layer, input), tf.transpose(pixels, [0, 2, 3, 1]));
        return tf.avgPool(stem as tf.Tensor4D, 2, 2, 'valid');
      });
      keep(x);
      for (const blocks of this.stages) {
        for (const block of blocks) {
          const next = block.forward(x);
          // Each block's input is dropped as soon as the next exists: a frozen tower's forward is
          // not recorded, and a recorded one keeps its own copies for the backward pass.
          x.dispose();
          x = next;
        }
        keep(x);
      }
      return { features: this.attnpool.forward(x), stages };
    });
  }
}
