import { describe, expect, it } from 'vitest';
import { Registry } from './registry';

describe('Registry', () => {
  it('registers, looks up and refuses a second registration of a name', () => {
    const registry = new Registry<number>('backbone');
    registry.register('clip', 1);
    expect(registry.get('clip')).toBe(1);
    expect(() => registry.register('clip', 2)).toThrow("backbone 'clip' is already registered");
    expect(() => registry.get('siglip')).toThrow("unknown backbone 'siglip'; registered: clip");
    expect(registry.unregister('clip')).toBe(true);
    expect(registry.names()).toEqual([]);
    expect(() => registry.register('bad name', 3)).toThrow(/invalid backbone name/);
  });
});
