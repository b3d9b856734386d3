/**
 * How candidates with exactly equal scores are ordered when ranking. The original evaluation
 * (`numpy.argsort(score)[::-1]`) does not define it, so HarMA.js makes it a choice:
 *
 * - `lower-index-first` (default): among equal scores the candidate with the lower index ranks
 *   first, as a stable sort of descending scores (`numpy.argsort(-score, kind='stable')`). A rank
 *   is then (#candidates scoring higher) + (#equal candidates with a lower index): it needs no
 *   sort, so it streams over blocks of any gallery size.
 * - `higher-index-first`: the mirror rule (`numpy.argsort(score, kind='stable')[::-1]`); streams too.
 * - `numpy`: exactly the reference's order, numpy 1.24's default introsort then reversed (see
 *   `numpyArgsort`). It depends on the whole row, so it needs the score matrix and sorts every
 *   row and column; use it to reproduce published numbers on galleries that have ties.
 *
 * Scores that are all distinct give the same ranks under every rule.
 */
export type TieRule = 'lower-index-first' | 'higher-index-first' | 'numpy';

export const TIE_RULES: readonly TieRule[] = ['lower-index-first', 'higher-index-first', 'numpy'];

export const DEFAULT_TIE_RULE: TieRule = 'lower-index-first';

export function checkTieRule(source: string, rule: string): TieRule {
  if (!(TIE_RULES as readonly string[]).includes(rule)) throw new Error(`${source}: tieRule '${rule}' is not one of ${TIE_RULES.join(', ')}`);
  return rule as TieRule;
}
