/**
 * Items per second of the fastest of `repeats` timed calls after one warm-up call: on a machine
 * other processes share, the fastest call is the one least disturbed by them.
 */
export async function fastestRate(encode: () => Promise<unknown>, items: number, repeats: number): Promise<number> {
  await encode();
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await encode();
    best = Math.min(best, performance.now() - start);
  }
  return items / (best / 1000);
}
