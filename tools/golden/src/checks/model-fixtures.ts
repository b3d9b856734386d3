/** A golden model fixture the tests check end to end, and the outputs a complete check of it covers. */
export interface ModelFixtureCase {
  /** Folder under `fixtures/golden/`. */
  name: string;
  /**
   * Prefixes of output names the check must have compared (at least one output each), so a
   * fixture or computer that silently drops a stage fails instead of passing on what is left.
   */
  outputs: readonly string[];
}

/** What every CLIP ViT fixture holds: the plain backbone, the adapted forward, losses, gradients, three steps. */
export const VIT_FIXTURE_OUTPUTS = ['plain.', 'image_tokens_block', 'text_tokens_block', 'image_emb', 'text_emb', 'loss_', 'grad.', 'after.', 'train.loss_total'] as const;

/** What the CLIP ResNet fixture holds: the plain text tower, stage outputs, training-mode BatchNorm statistics and their updates by the steps. */
export const RESNET_FIXTURE_OUTPUTS = ['plain.text_', 'text_tokens_block', 'image_stage', 'image_emb', 'text_emb', 'loss_', 'grad.', 'after.', 'train.loss_total', 'eval.loss_total', 'train_mode.image_emb', 'train_mode.buffer.', 'after_buffer.'] as const;

/**
 * Every model fixture, each checked by every golden model test (the whole check, the HarMA forward,
 * the gradients) on every portable runtime (`PORTABLE_RUNTIMES`): a new fixture is one entry here.
 * The augment fixture is not a model fixture and runs once: its operations are plain JavaScript on
 * RGB bytes that no tensor backend touches.
 */
export const MODEL_FIXTURES: readonly ModelFixtureCase[] = [
  { name: 'tiny-gelu', outputs: VIT_FIXTURE_OUTPUTS },
  { name: 'tiny-quickgelu', outputs: VIT_FIXTURE_OUTPUTS },
  { name: 'tiny-rn', outputs: RESNET_FIXTURE_OUTPUTS },
];
