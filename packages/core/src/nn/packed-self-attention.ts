import * as tf from '@tensorflow/tfjs-core';
import { customGradient } from './custom-gradient';

/**
 * Multi-head scaled dot-product attention on packed projections: `packed` [batch, tokens,
 * 3·width] (q | k | v, heads side by side in each) → the heads' contexts merged back [batch,
 * tokens, width]; `mask` [tokens, tokens] is added to the scores (−∞ blocks a position).
 *
 * One custom-gradient op: it keeps q, kᵀ and v for the backward pass and nothing else (composed
 * of tfjs ops it also kept the packed input, the unscaled q, the scores and the weights). The
 * backward recomputes the attention weights with the forward's own ops, so they come out
 * bitwise the same: [batch, heads, tokens, tokens] is a fifth of what a CLIP text block keeps —
 * more with HarMA's adapters, which attend too — and recomputing it costs about 1 % of the
 * block's arithmetic.
 */
export function packedSelfAttention(packed: tf.Tensor, heads: number, mask?: tf.Tensor): tf.Tensor {
  const [batch, tokens, packedWidth] = packed.shape as [number, number, number];
  const width = packedWidth / 3;
  const headDim = width / heads;
  if (packed.rank !== 3 || !Number.isInteger(headDim)) {
    throw new Error(`packedSelfAttention: input [${packed.shape}] is not [batch, tokens, 3·width] with width divisible by ${heads} heads`);
  }
  const scale = 1 / Math.sqrt(headDim);
  /** [batch, tokens, width] → [batch, heads, tokens, headDim], or with `perm` another order. */
  const split = (t: tf.Tensor, perm = [0, 2, 1, 3]): tf.Tensor => tf.transpose(tf.reshape(t, [batch, tokens, heads, headDim]), perm);
  /** [batch, heads, tokens, headDim] → [batch, tokens, width]. */
  const merge = (t: tf.Tensor): tf.Tensor => tf.reshape(tf.transpose(t, [0, 2, 1, 3]), [batch, tokens, width]);

  /** softmax(q·kᵀ/√d + mask): [batch, heads, tokens, tokens]. */
  const attentionWeights = (queries: tf.Tensor, keysTransposed: tf.Tensor, additiveMask: tf.Tensor | undefined): tf.Tensor => {
    let scores = tf.mul(tf.matMul(queries, keysTransposed), scale);
    if (additiveMask) scores = tf.add(scores, additiveMask);
    return tf.softmax(scores);
  };

  const op = customGradient<[tf.Tensor]>((input, save) => {
    const [q, k, v] = tf.split(input, 3, 2) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const queries = split(q);
    const keysTransposed = split(k, [0, 2, 3, 1]);
    const values = split(v);
    const weights = attentionWeights(queries, keysTransposed, mask);
    // The mask too: a caller's temporary mask must outlive the forward pass.
    save(mask ? [queries, keysTransposed, values, mask] : [queries, keysTransposed, values]);
    return {
      value: merge(tf.matMul(weights, values)),
      gradFunc: (dy, saved) => {
        const [savedQueries, savedKeysTransposed, savedValues, savedMask] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
        const weights = attentionWeights(savedQueries, savedKeysTransposed, savedMask);
        const dContext = split(dy);
        const dWeights = tf.matMul(dContext, savedValues, false, true);
        const dValues = tf.matMul(weights, dContext, true, false);
        // Softmax backward, then the 1/√d of the scores.
        const dScores = tf.mul(tf.mul(weights, tf.sub(dWeights, tf.sum(tf.mul(dWeights, weights), -1, true))), scale);
        const dQueries = tf.matMul(dScores, savedKeysTransposed, false, true);
        const dKeys = tf.matMul(dScores, savedQueries, true, false);
        return tf.concat([merge(dQueries), merge(dKeys), merge(dValues)], 2);
      },
    };
  });
  return tf.tidy(() => op(packed));
}
