// Token ids as HarMA.js's tokenizer gives them (open_clip's `tokenize`), from the ids the Hugging
// Face tokenizer gives without truncation.

/**
 * `<start>` … `<end>` ids, cut to the context length keeping the end id last (as open_clip does;
 * transformers.js's `truncation: true` would cut the end id off), then zero padded to the full
 * context length: HarMA's adapters attend over the padding, so it must never be trimmed.
 * @param {readonly number[]} ids the tokenizer's ids with its special tokens, untruncated
 * @param {number} contextLength
 * @returns {BigInt64Array} [contextLength] for an int64 `input_ids` row
 */
export function queryIds(ids, contextLength) {
  const row = new BigInt64Array(contextLength);
  const kept = Math.min(ids.length, contextLength);
  for (let i = 0; i < kept; i++) row[i] = BigInt(ids[i]);
  if (ids.length > contextLength) row[contextLength - 1] = BigInt(ids[ids.length - 1]);
  return row;
}
