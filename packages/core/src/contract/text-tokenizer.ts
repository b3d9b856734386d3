import type { JsonObject } from './json';
import { Registry } from './registry';

/**
 * What a saved tokenizer looks like in a model folder's config: its kind (the loader to use), its
 * sizes, the files `save` wrote, and options of the kind's own. JSON data.
 */
export interface TokenizerDescription {
  /** Registry name of the tokenizer kind (`clip-bpe`). */
  readonly kind: string;
  /** Ids per caption, start and end tokens included; rows are zero padded to it. */
  readonly contextLength: number;
  /** Ids the tokenizer gives are below this (one more than its largest id). */
  readonly vocabularySize: number;
  /** Padding id: always 0, and the padding is never trimmed (HarMA's adapter attention sees it). */
  readonly padId: 0;
  /** Files `save` wrote, relative to the model folder. */
  readonly files: readonly string[];
  /** Settings of the kind's own, when it has any. */
  readonly options?: JsonObject;
}

/**
 * Turns captions into a backbone's token ids. Part of the backbone contract: a backbone's factory
 * builds its tokenizer (`Backbone.tokenizer`), and a saved one is rebuilt by kind with
 * `loadTokenizer`, so export, evaluation and serving never name one implementation.
 */
export interface TextTokenizer {
  /** Registry name of the tokenizer kind: `loadTokenizer` finds its loader under it. */
  readonly kind: string;
  /** Ids per caption, start and end tokens included. */
  readonly contextLength: number;
  /** One more than the largest id it gives: the text tower's token table needs at least this many rows. */
  readonly vocabularySize: number;
  /** Captions → ids, row-major [texts.length, contextLength], int32, zero padded. */
  encode(texts: readonly string[]): Int32Array;
  /** Write what rebuilds this tokenizer (its vocabulary files) into the folder `dir`; returns its description. */
  save(dir: string): Promise<TokenizerDescription>;
}

/** Rebuilds a saved tokenizer from its folder and description. */
export type TokenizerLoader = (dir: string, description: TokenizerDescription) => Promise<TextTokenizer>;

/** The process-wide registry of tokenizer kinds that `loadTokenizer` looks kinds up in. */
export const tokenizerRegistry = new Registry<TokenizerLoader>('tokenizer');

/** Register a tokenizer kind's loader by name; a taken name throws. */
export function registerTokenizer(kind: string, loader: TokenizerLoader): void {
  tokenizerRegistry.register(kind, loader);
}

/**
 * Rebuild the tokenizer a model folder saved (`TextTokenizer.save`), checking that it is the one
 * described: same kind and context length, no id at or above the described vocabulary size.
 */
export async function loadTokenizer(dir: string, description: TokenizerDescription): Promise<TextTokenizer> {
  if (!tokenizerRegistry.has(description.kind)) {
    const known = tokenizerRegistry.names();
    throw new Error(
      `${dir}: its tokenizer kind '${description.kind}' is not registered (registered: ${known.length > 0 ? known.join(', ') : 'none'}); ` +
        'import the package that provides it (its backbone plug-in) before opening the model',
    );
  }
  const tokenizer = await tokenizerRegistry.get(description.kind)(dir, description);
  const problems: string[] = [];
  for (const field of ['kind', 'contextLength'] as const) {
    if (tokenizer[field] !== description[field]) problems.push(`${field} ${JSON.stringify(tokenizer[field])}, described as ${JSON.stringify(description[field])}`);
  }
  if (tokenizer.vocabularySize > description.vocabularySize) problems.push(`${tokenizer.vocabularySize} ids, described as at most ${description.vocabularySize}`);
  if (problems.length > 0) {
    const details = problems.join('; ');
    throw new Error(`${dir}: the ${description.kind} tokenizer read from ${description.files.join(', ') || 'the folder'} is not the one its config describes (${details})`);
  }
  return tokenizer;
}
