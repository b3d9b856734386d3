import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random';

describe('SeededRandom', () => {
  it('gives the same stream for the same seed and another for another seed', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const first = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(first);
  });

  it('resumes exactly from a saved state, spare normal included', () => {
    const rng = new SeededRandom('resume');
    rng.normal();
    const saved = JSON.parse(JSON.stringify(rng.state()));
    const continued = [rng.normal(), rng.next(), rng.int(10)];
    const restored = SeededRandom.fromState(saved);
    expect([restored.normal(), restored.next(), restored.int(10)]).toEqual(continued);
  });

  it('draws normals with mean 0 and variance 1', () => {
    const values = new SeededRandom(1).fillNormal(200_000);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
  });

  it('shuffles into a permutation, and derived streams are independent but reproducible', () => {
    const permutation = new SeededRandom(9).permutation(100);
    expect([...permutation].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(permutation).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    const root = new SeededRandom(9);
    expect(root.derive('shuffle').next()).toBe(new SeededRandom(9).derive('shuffle').next());
    expect(root.derive('shuffle').next()).not.toBe(root.derive('augment').next());
  });

  it('rejects a non-positive int range', () => {
    expect(() => new SeededRandom(1).int(0)).toThrow(/positive integer/);
  });
});
