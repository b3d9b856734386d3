import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import { CHROMIUM } from './chromium';

export { CHROMIUM, CHROMIUM_ARGS } from './chromium';

/**
 * `describe` for tests that need Chromium. Without it the suite does not run and says so in its
 * title and on stderr; with `HARMA_REQUIRE_BROWSER=1` (set by `.ci/run`) a missing browser fails.
 */
export function describeWithBrowser(title: string, body: (executablePath: string) => void): void {
  if (existsSync(CHROMIUM)) {
    describe(title, () => body(CHROMIUM));
    return;
  }
  if (process.env.HARMA_REQUIRE_BROWSER === '1') {
    describe(title, () => {
      it('has its browser', () => {
        throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set HARMA_CHROMIUM)`);
      });
    });
    return;
  }
  process.stderr.write(`NOT RUN: "${title}" — Chromium not found at ${CHROMIUM}; apt-get install -y chromium or set HARMA_CHROMIUM\n`);
  describe.skip(`${title} [NOT RUN: Chromium not found at ${CHROMIUM}]`, () => body(CHROMIUM));
}
