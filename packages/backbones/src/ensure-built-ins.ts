import { backboneRegistry, tokenizerRegistry } from '@harma/core';
import { registerClipBackbones } from './clip/register';
import { CLIP_RESNET_KIND, registerClipResNetBackbones } from './clip-resnet/register-resnet';
import { CLIP_TOKENIZER_KIND } from './tokenizer/clip-tokenizer';
import { registerClipTokenizer } from './tokenizer/register-clip-tokenizer';

/**
 * Register what this package provides — the `clip` and `clip-resnet` backbones and the `clip-bpe` tokenizer — in
 * core's process-wide registries, skipping what is there already: the apps and the exported-model
 * loader call it, possibly from several entry points. (`registerClipBackbones` /
 * `registerClipTokenizer` register into a given registry and throw on a taken name.)
 */
export function ensureBuiltInBackbones(): void {
  if (!backboneRegistry.has('clip')) registerClipBackbones();
  if (!backboneRegistry.has(CLIP_RESNET_KIND)) registerClipResNetBackbones();
  if (!tokenizerRegistry.has(CLIP_TOKENIZER_KIND)) registerClipTokenizer();
}
