/** One suite a test run reported as not run, with why. */
export interface NotRunSuite {
  /** The package whose tests reported it. */
  package: string;
  title: string;
  reason: string;
}

/** The line `describeWithReferenceData` and the browser tests print for a suite they skip. */
const NOT_RUN_LINE = /NOT RUN: "(.+?)" — (.+)$/;

/** The NOT RUN lines of one package's test log (turbo's `.turbo/turbo-test.log`, replayed logs included). */
export function notRunSuites(packageName: string, log: string): NotRunSuite[] {
  const seen = new Set<string>();
  const out: NotRunSuite[] = [];
  for (const line of log.split('\n')) {
    const match = NOT_RUN_LINE.exec(line);
    if (!match) continue;
    const [, title, reason] = match as unknown as [string, string, string];
    const key = `${title}\0${reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ package: packageName, title, reason: reason.trim() });
  }
  return out;
}

/**
 * One line for the end of `npm test`: how many suites did not run and why (grouped by reason), or
 * that every suite ran — so that a NOT RUN buried among a thousand lines of output is not missed.
 */
export function formatNotRunSummary(suites: readonly NotRunSuite[]): string {
  if (suites.length === 0) return 'Every test suite ran: none reported NOT RUN.';
  const byReason = new Map<string, NotRunSuite[]>();
  for (const suite of suites) byReason.set(suite.reason, [...(byReason.get(suite.reason) ?? []), suite]);
  const packages = new Set(suites.map((suite) => suite.package)).size;
  const reasons = [...byReason].map(([reason, group]) => `${group.length} × ${reason} (${[...new Set(group.map((suite) => suite.package))].join(', ')})`);
  return `NOT RUN: ${suites.length} test suite${suites.length === 1 ? '' : 's'} in ${packages} package${packages === 1 ? '' : 's'} did not run — ${reasons.join('; ')}. CI (.ci/run) requires them all.`;
}
