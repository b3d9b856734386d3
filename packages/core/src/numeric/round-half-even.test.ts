import { describe, expect, it } from 'vitest';
import { formatHalfEven, roundHalfEven } from './round-half-even';

describe('roundHalfEven (Python round)', () => {
  it('rounds exact ties to even where toFixed rounds up', () => {
    expect(roundHalfEven(46.875, 2)).toBe(46.88);
    expect(roundHalfEven(90.625, 2)).toBe(90.62);
    expect(roundHalfEven(53.125, 2)).toBe(53.12);
    expect(roundHalfEven(16.25, 1)).toBe(16.2);
    expect(roundHalfEven(0.5, 0)).toBe(0);
    expect(roundHalfEven(1.5, 0)).toBe(2);
    expect(roundHalfEven(2.5, 0)).toBe(2);
    expect(roundHalfEven(-2.5, 0)).toBe(-2);
    expect(roundHalfEven(-90.625, 2)).toBe(-90.62);
    // The trap the function exists for:
    expect((90.625).toFixed(2)).toBe('90.63');
    expect(Math.round(53.125 * 100) / 100).toBe(53.13);
  });

  it('rounds the exact binary value, which is rarely a tie (values checked with CPython 3)', () => {
    // 2.675 is stored as 2.67499999999999982236431605997495353221893310546875.
    expect(roundHalfEven(2.675, 2)).toBe(2.67);
    // 1.005 is 1.00499999999999989341858963598497211933135986328125.
    expect(roundHalfEven(1.005, 2)).toBe(1);
    // 0.125 is exact: a tie, to even.
    expect(roundHalfEven(0.125, 2)).toBe(0.12);
    // 0.375 is exact: a tie, to even (0.38).
    expect(roundHalfEven(0.375, 2)).toBe(0.38);
    // 57.142857142857146 (100·4/7) → 57.14; 91.42857142857143 → 91.43; 76.11111111111111 → 76.11.
    expect(roundHalfEven(57.142857142857146, 2)).toBe(57.14);
    expect(roundHalfEven(91.42857142857143, 2)).toBe(91.43);
    expect(roundHalfEven(76.11111111111111, 2)).toBe(76.11);
    expect(roundHalfEven(81.66666666666667, 2)).toBe(81.67);
  });

  it('handles negative digits, zeros, subnormals, huge values and non-finite input', () => {
    expect(roundHalfEven(1250, -2)).toBe(1200);
    expect(roundHalfEven(1350, -2)).toBe(1400);
    expect(roundHalfEven(1251, -2)).toBe(1300);
    expect(Object.is(roundHalfEven(-0, 2), -0)).toBe(true);
    expect(Object.is(roundHalfEven(-0.001, 2), -0)).toBe(true);
    expect(roundHalfEven(5e-324, 2)).toBe(0);
    expect(roundHalfEven(5e-324, 400)).toBe(5e-324);
    expect(roundHalfEven(1.7976931348623157e308, 2)).toBe(1.7976931348623157e308);
    expect(roundHalfEven(123.456, 20)).toBe(123.456);
    expect(roundHalfEven(Number.NaN, 2)).toBeNaN();
    expect(roundHalfEven(Number.POSITIVE_INFINITY, 2)).toBe(Number.POSITIVE_INFINITY);
    expect(() => roundHalfEven(1, 1.5)).toThrow(/digits must be an integer/);
  });

  it('matches CPython round(100·a/b, 2) for every a of b = 32 and 160 (many exact ties) and b = 48', () => {
    // Printed by CPython 3: ','.join(repr(round(100.0*a/b, 2)) for a in range(b+1)).
    const python: Record<number, string> = {
      32: '0.0,3.12,6.25,9.38,12.5,15.62,18.75,21.88,25.0,28.12,31.25,34.38,37.5,40.62,43.75,46.88,50.0,53.12,56.25,59.38,62.5,65.62,68.75,71.88,75.0,78.12,81.25,84.38,87.5,90.62,93.75,96.88,100.0',
      160:
        '0.0,0.62,1.25,1.88,2.5,3.12,3.75,4.38,5.0,5.62,6.25,6.88,7.5,8.12,8.75,9.38,10.0,10.62,11.25,11.88,12.5,13.12,13.75,14.38,15.0,15.62,16.25,16.88,17.5,18.12,18.75,19.38,20.0,20.62,21.25,21.88,22.5,23.12,23.75,24.38,25.0,25.62,26.25,26.88,27.5,28.12,28.75,29.38,30.0,30.62,31.25,31.88,32.5,33.12,33.75,34.38,35.0,35.62,36.25,36.88,37.5,38.12,38.75,39.38,40.0,40.62,41.25,41.88,42.5,43.12,43.75,44.38,45.0,45.62,46.25,46.88,47.5,48.12,48.75,49.38,50.0,50.62,51.25,51.88,52.5,53.12,53.75,54.38,55.0,55.62,56.25,56.88,57.5,58.12,58.75,59.38,60.0,60.62,61.25,61.88,62.5,63.12,63.75,64.38,65.0,65.62,66.25,66.88,67.5,68.12,68.75,69.38,70.0,70.62,71.25,71.88,72.5,73.12,73.75,74.38,75.0,75.62,76.25,76.88,77.5,78.12,78.75,79.38,80.0,80.62,81.25,81.88,82.5,83.12,83.75,84.38,85.0,85.62,86.25,86.88,87.5,88.12,88.75,89.38,90.0,90.62,91.25,91.88,92.5,93.12,93.75,94.38,95.0,95.62,96.25,96.88,97.5,98.12,98.75,99.38,100.0',
      48: '0.0,2.08,4.17,6.25,8.33,10.42,12.5,14.58,16.67,18.75,20.83,22.92,25.0,27.08,29.17,31.25,33.33,35.42,37.5,39.58,41.67,43.75,45.83,47.92,50.0,52.08,54.17,56.25,58.33,60.42,62.5,64.58,66.67,68.75,70.83,72.92,75.0,77.08,79.17,81.25,83.33,85.42,87.5,89.58,91.67,93.75,95.83,97.92,100.0',
    };
    for (const [b, expected] of Object.entries(python)) {
      const n = Number(b);
      const ours = Array.from({ length: n + 1 }, (_, a) => roundHalfEven((100 * a) / n, 2));
      expect(ours).toEqual(expected.split(',').map(Number));
    }
  });

  it('matches CPython on random values and digit counts', () => {
    // (x, digits, round(x, digits)) printed by CPython 3 from random.uniform(-1000, 1000).
    const cases: Array<[number, number, number]> = [
      [142.4087828235845, 1, 142.4],
      [-255.20491454853754, 4, -255.2049],
      [424.22153149230735, 4, 424.2215],
      [-880.7976600675347, 1, -880.8],
      [-7.171009773016408, 4, -7.171],
      [-144.81538866119422, 2, -144.82],
      [-68.79626832065196, 3, -68.796],
      [-276.8352881108673, 1, -276.8],
      [588.7589630449822, 5, 588.75896],
      [559.6592611684873, 0, 560],
      [148.84742051734202, 4, 148.8474],
      [-9.767280889488916, 2, -9.77],
    ];
    for (const [x, digits, expected] of cases) expect(roundHalfEven(x, digits)).toBe(expected);
  });
});

describe('roundHalfEven without digits (to an integer, as the crop sizes and offsets use it)', () => {
  it('rounds to the nearest integer, ties to even, as Python round(x, 0)', () => {
    expect([0.5, 1.5, 2.5, 2.4, 2.6, 3.5, 111.5, 112.5].map((v) => roundHalfEven(v))).toEqual([0, 2, 2, 2, 3, 4, 112, 112]);
    expect([-1.5, -2.5, -2.6].map((v) => roundHalfEven(v))).toEqual([-2, -2, -3]);
    // Python's round(-0.5, 0) is -0.0 as well.
    expect(Object.is(roundHalfEven(-0.5), -0)).toBe(true);
  });

  it('equals the floor-and-fraction rule the crop code used before, on non-negative values', () => {
    // x − floor(x) is exact for doubles, so this rule is exact too; it is the reference here.
    const floorRule = (value: number): number => {
      const floor = Math.floor(value);
      const fraction = value - floor;
      if (fraction > 0.5) return floor + 1;
      if (fraction < 0.5) return floor;
      return floor % 2 === 0 ? floor : floor + 1;
    };
    const values: number[] = [0, 2 ** 52 + 1, 2 ** 53, 4503599627370495.5];
    for (let i = 0; i <= 2000; i++) values.push(i / 4, i / 2 + Number.EPSILON * i, Math.sqrt(i * 1234.5), (i * 224) / 3, i / 7);
    for (const value of values) expect(roundHalfEven(value), String(value)).toBe(floorRule(value));
  });
});

describe('formatHalfEven', () => {
  it('writes the rounded decimal with a fixed number of decimals', () => {
    expect(formatHalfEven(90.625, 2)).toBe('90.62');
    expect(formatHalfEven(46.875, 2)).toBe('46.88');
    expect(formatHalfEven(100, 2)).toBe('100.00');
    expect(formatHalfEven(0.05, 1)).toBe('0.1');
    expect(formatHalfEven(0.25, 1)).toBe('0.2');
    expect(formatHalfEven(-1.005, 2)).toBe('-1.00');
    expect(formatHalfEven(-0.001, 2)).toBe('0.00');
    expect(formatHalfEven(7, 0)).toBe('7');
    expect(formatHalfEven(Number.NaN, 2)).toBe('NaN');
  });
});
