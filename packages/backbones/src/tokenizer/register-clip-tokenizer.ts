import path from 'node:path';
import { tokenizerRegistry, type TokenizerLoader } from '@harma/core';
import { CLIP_TOKENIZER_KIND, ClipTokenizer } from './clip-tokenizer';
import type { VocabularySource } from './vocabulary-files';

/**
 * Where a saved CLIP tokenizer's vocabulary is: the `vocab.json` + `merges.txt` pair `save` writes,
 * one named file (an open_clip `.txt.gz`, a `tokenizer.json`), or, with none named, the folder
 * itself (searched as `readBpeVocabulary` does).
 */
function savedVocabulary(dir: string, files: readonly string[]): VocabularySource {
  const vocab = files.find((file) => path.basename(file) === 'vocab.json');
  const merges = files.find((file) => path.basename(file) === 'merges.txt');
  if (vocab !== undefined && merges !== undefined) return { vocab: path.resolve(dir, vocab), merges: path.resolve(dir, merges) };
  const [only] = files;
  return only === undefined ? dir : path.resolve(dir, only);
}

/** Rebuilds a `ClipTokenizer` that `save` wrote into a model folder. */
export const clipTokenizerLoader: TokenizerLoader = async (dir, description) =>
  ClipTokenizer.load(savedVocabulary(dir, description.files), { contextLength: description.contextLength });

/** Register the CLIP BPE tokenizer kind (`clip-bpe`) in a registry (default: core's process-wide one); a taken name throws. */
export function registerClipTokenizer(registry: typeof tokenizerRegistry = tokenizerRegistry): void {
  registry.register(CLIP_TOKENIZER_KIND, clipTokenizerLoader);
}
