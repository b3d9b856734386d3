import * as tf from '@tensorflow/tfjs-core';
import { Embedding, LayerNorm, Module, Parameter, causalMask, normalTensor, type SeededRandom } from '@harma/core';
import { mlpWidth, type ClipTextConfig } from './config';
import { ClipTransformer } from './transformer';

/** open_clip's initial temperature: logit_scale = log(1 / 0.07). */
const INITIAL_LOGIT_SCALE = Math.log(1 / 0.07);

/** What sizes the text tower of a CLIP (every CLIP config has these fields). */
export interface ClipTextTowerConfig {
  /** Width of the shared embedding space. */
  embedDim: number;
  text: ClipTextConfig;
  /** Activation of the text tower's MLPs. */
  activation: 'gelu' | 'quick_gelu';
  layerNormEps: number;
}

/**
 * The root of open_clip's `CLIP`, whatever its image tower: the image tower under `visual`
 * (registered first, as open_clip does), the text tower at the root (`token_embedding`,
 * `positional_embedding`, `transformer`, `ln_final`, `text_projection`), and `logit_scale`.
 * Parameter names are open_clip's state-dict keys.
 */
export class ClipRootModule<Visual extends Module> extends Module {
  readonly visual: Visual;
  readonly transformer: ClipTransformer;
  readonly tokenEmbedding: Embedding;
  readonly positionalEmbedding: Parameter;
  readonly lnFinal: LayerNorm;
  readonly textProjection: Parameter;
  readonly logitScale: Parameter;
  readonly #vocabSize: number;
  /** Additive causal mask [context, context] of the text tower. */
  readonly #mask: tf.Tensor;

  /** `rng` draws the text tower (stream `text`); the image tower comes built. */
  constructor(textTower: ClipTextTowerConfig, visual: Visual, rng?: SeededRandom) {
    super();
    const { text, embedDim, layerNormEps: eps } = textTower;
    const { width, layers } = text;
    this.#vocabSize = text.vocabSize;
    this.visual = this.register('visual', visual);
    const textRng = rng?.derive('text');
    // Standard deviations of open_clip's CLIP.init_parameters.
    const init = textRng
      ? { rng: textRng, attnStd: width ** -0.5, projStd: width ** -0.5 * (2 * layers) ** -0.5, fcStd: (2 * width) ** -0.5 }
      : undefined;
    this.transformer = this.register(
      'transformer',
      new ClipTransformer(layers, { width, heads: text.heads, mlpWidth: mlpWidth(text), activation: textTower.activation, layerNormEps: eps, init }),
    );
    this.tokenEmbedding = this.register('token_embedding', new Embedding(text.vocabSize, width, { rng: textRng, std: 0.02 }));
    this.positionalEmbedding = this.register(
      'positional_embedding',
      new Parameter(textRng ? normalTensor([text.contextLength, width], textRng, 0.01) : tf.zeros([text.contextLength, width])),
    );
    this.lnFinal = this.register('ln_final', new LayerNorm(width, { eps }));
    this.textProjection = this.register(
      'text_projection',
      new Parameter(textRng ? normalTensor([width, embedDim], textRng, width ** -0.5) : tf.zeros([width, embedDim])),
    );
    this.logitScale = this.register('logit_scale', new Parameter(tf.scalar(INITIAL_LOGIT_SCALE)));
    this.#mask = tf.keep(causalMask(text.contextLength));
  }

  /**
   * `ids` int32 [batch, context] → features at each row's end-of-text token [batch, embedDim] (not
   * normalised) and, when asked, the state after every block [batch, context, width].
   */
  forwardText(ids: tf.Tensor, keepHiddenStates = false): { features: tf.Tensor; hiddenStates: tf.Tensor[] } {
    const selector = endOfTextSelector(ids, this.#vocabSize);
    try {
      return tf.tidy(() => {
        const tokens = tf.add(this.tokenEmbedding.forward(ids), this.positionalEmbedding.value);
        const { output, hiddenStates } = this.transformer.forward(tokens, { mask: this.#mask, keepHiddenStates });
        // A one-hot matMul instead of gather: gather's gradient (UnsortedSegmentSum) is missing on wasm.
        const [batch, context, width] = output.shape as [number, number, number];
        const pooled = tf.reshape(tf.matMul(tf.reshape(selector, [batch, 1, context]), output), [batch, width]);
        const features = tf.matMul(this.lnFinal.forward(pooled), this.textProjection.value);
        return { features, hiddenStates };
      });
    } finally {
      selector.dispose();
    }
  }

  override dispose(): void {
    super.dispose();
    this.#mask.dispose();
  }
}

/**
 * One-hot [batch, context] float32 marking each row's end-of-text token: the position of the row's
 * largest id, its first occurrence (CLIP's `argmax`). Checks every id is inside the vocabulary.
 */
export function endOfTextSelector(ids: tf.Tensor, vocabSize: number): tf.Tensor2D {
  const [batch, context] = ids.shape as [number, number];
  const values = ids.dataSync();
  const selector = new Float32Array(batch * context);
  for (let row = 0; row < batch; row++) {
    let best = 0;
    for (let position = 0; position < context; position++) {
      const id = values[row * context + position] as number;
      if (!(id >= 0 && id < vocabSize)) {
        throw new RangeError(`text ids: row ${row}, position ${position} holds id ${id}, outside the vocabulary [0, ${vocabSize})`);
      }
      if (id > (values[row * context + best] as number)) best = position;
    }
    selector[row * context + best] = 1;
  }
  return tf.tensor2d(selector, [batch, context]);
}
