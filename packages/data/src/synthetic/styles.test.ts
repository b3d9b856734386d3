import { describe, expect, it } from 'vitest';
import { interpolateStyle, SOURCE_STYLE, TARGET_STYLE } from './styles';

describe('interpolateStyle', () => {
  it('runs from the source style (t = 0) to the target style (t = 1)', () => {
    expect(interpolateStyle(0).sensor).toEqual(SOURCE_STYLE.sensor);
    expect(interpolateStyle(1).sensor).toEqual(TARGET_STYLE.sensor);
    expect(interpolateStyle(0).phrasing).toEqual({ habit: 'source', crossover: 0.1 });
    expect(interpolateStyle(1).phrasing.habit).toBe('target');
    expect(interpolateStyle(1).phrasing.crossover).toBeCloseTo(0.1, 12);
  });

  it('is half way at t = 0.5', () => {
    const half = interpolateStyle(0.5);
    expect(half.sensor.hueRotate).toBeCloseTo(17.5, 12);
    expect(half.objectScale).toBeCloseTo(1.2, 12);
    // Half of the captions follow each habit.
    expect(half.phrasing).toEqual({ habit: 'target', crossover: 0.5 });
    expect(() => interpolateStyle(1.5)).toThrow(/t must lie in \[0, 1\]/);
  });
});
