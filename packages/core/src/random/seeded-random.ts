import seedrandom from 'seedrandom';

/** Everything needed to continue a random stream exactly where it stopped (JSON-serialisable). */
export interface RandomState {
  seed: string;
  generator: seedrandom.State.Alea;
  spareNormal: number | null;
}

/**
 * A seeded pseudo-random stream (seedrandom's Alea) for initialisation, shuffling and
 * augmentation. Values are produced in JavaScript, never by a backend kernel, so a seed gives the
 * same numbers on every backend; `state()` / `SeededRandom.fromState` resume a run exactly.
 */
export class SeededRandom {
  readonly seed: string;
  #prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;
  #spareNormal: number | null = null;

  constructor(seed: number | string) {
    this.seed = String(seed);
    this.#prng = seedrandom.alea(this.seed, { state: true });
  }

  static fromState(state: RandomState): SeededRandom {
    const rng = new SeededRandom(state.seed);
    rng.#prng = seedrandom.alea('', { state: { ...state.generator } });
    rng.#spareNormal = state.spareNormal;
    return rng;
  }

  state(): RandomState {
    return { seed: this.seed, generator: this.#prng.state(), spareNormal: this.#spareNormal };
  }

  /** An independent stream derived from this one's seed and a label (`rng.derive('shuffle')`). */
  derive(label: string): SeededRandom {
    return new SeededRandom(`${this.seed}/${label}`);
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  next(): number {
    return this.#prng.double();
  }

  /** Uniform in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) throw new RangeError(`int(${maxExclusive}): need a positive integer`);
    return Math.floor(this.next() * maxExclusive);
  }

  /** Standard normal by the Box–Muller transform (the second value of each pair is kept for the next call). */
  normal(mean = 0, std = 1): number {
    if (this.#spareNormal !== null) {
      const spare = this.#spareNormal;
      this.#spareNormal = null;
      return mean + std * spare;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.#spareNormal = radius * Math.sin(2 * Math.PI * v);
    return mean + std * radius * Math.cos(2 * Math.PI * v);
  }

  /** Shuffle in place (Fisher–Yates) and return the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  fillUniform(count: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.uniform(low, high);
    return out;
  }

  fillNormal(count: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.normal(mean, std);
    return out;
  }
}
