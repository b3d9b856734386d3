import { describe, expect, it } from 'vitest';
import { locateJsonError, parseJsonText } from './json-file';

describe('JSON syntax errors', () => {
  it('locates the first error offset', () => {
    expect(locateJsonError('[1, 2,]')).toBe(6);
    expect(locateJsonError('{"a": tru}')).toBe(9);
    expect(locateJsonError('{"a": "x\\q"}')).toBe(9);
    expect(locateJsonError('[1, 2')).toBe(5);
    expect(locateJsonError('[1] x')).toBe(4);
  });

  it('names the file, line and column', () => {
    expect(() => parseJsonText('[\n  {"caption": "a"},\n  {"caption" "b"}\n]', 'f.json')).toThrow(/^f\.json: not valid JSON \(line 3, column 14\)/);
  });
});
