import type * as tf from '@tensorflow/tfjs-core';
import { Module } from '@harma/core';
import { ResidualAttentionBlock, type ResidualBlockOptions } from './residual-block';

/** open_clip's `Transformer`: a stack of blocks named `resblocks.{i}`. */
export class ClipTransformer extends Module {
  readonly blocks: readonly ResidualAttentionBlock[];

  constructor(layers: number, blockOptions: ResidualBlockOptions) {
    super();
    const resblocks = this.register('resblocks', new Module());
    this.blocks = Array.from({ length: layers }, (_, index) =>
      resblocks.register(String(index), new ResidualAttentionBlock(blockOptions)),
    );
  }

  /**
   * `x` [batch, tokens, width] → the output and, when `keepHiddenStates`, the state after every
   * block (the output is the last of them).
   */
  forward(x: tf.Tensor, options: { mask?: tf.Tensor; keepHiddenStates?: boolean } = {}): { output: tf.Tensor; hiddenStates: tf.Tensor[] } {
    // Intermediate states are left to the caller's tf.tidy: disposing them here could free
    // tensors a gradient tape still refers to.
    const hiddenStates: tf.Tensor[] = [];
    let current = x;
    for (const block of this.blocks) {
      current = block.forward(current, options.mask);
      if (options.keepHiddenStates) hiddenStates.push(current);
    }
    return { output: current, hiddenStates };
  }
}
