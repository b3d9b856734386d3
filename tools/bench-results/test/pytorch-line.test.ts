import { describe, expect, it } from 'vitest';
import { parsePytorchLine } from '../src/index';

describe("parsePytorchLine reads the PyTorch script's JSON line", () => {
  it('takes the last line, after any progress, with the figures it has', () => {
    const line = JSON.stringify({
      torch: '1.13.0a0',
      python: '3.11.2',
      threads: 2,
      steps: [{ batch: 8, seconds: [3.1], medianSeconds: 3.1, warmupSeconds: 4, peakRssBytes: 2147483648, loss: 1.2 }],
      matmulGflops: 190.5,
      blas: '/usr/lib/libblas.so.3',
      stubbed: ['ftfy', 'regex'],
    });
    expect(parsePytorchLine(`loading\nbatch 8: 3.1 s\n${line}\n\n`)).toEqual({
      torch: '1.13.0a0',
      threads: 2,
      steps: [{ batch: 8, medianSeconds: 3.1, seconds: [3.1], peakRssBytes: 2147483648 }],
      matmulGflops: 190.5,
      blas: '/usr/lib/libblas.so.3',
      stubbed: ['ftfy', 'regex'],
    });
    expect(parsePytorchLine('{"torch": "2.1.0", "threads": 1, "imagesPerSecond": 9.5}')).toEqual({ torch: '2.1.0', threads: 1, imagesPerSecond: 9.5 });
  });

  it('says what is wrong with a line it cannot use', () => {
    expect(() => parsePytorchLine('')).toThrow('it printed nothing');
    expect(() => parsePytorchLine('{"torch": "1.13"')).toThrow(/its last line is not valid JSON/);
    expect(() => parsePytorchLine('{"torch": 1.13}\nKilled')).toThrow('its last line is not JSON: Killed');
    expect(() => parsePytorchLine('[1, 2]')).toThrow('its last line is not JSON');
    expect(() => parsePytorchLine('{"threads": 2}')).toThrow('its line has no torch version');
    expect(() => parsePytorchLine('{"torch": "1.13", "threads": 2, "matmulGflops": -1}')).toThrow('matmulGflops is -1, not a positive number');
    expect(() => parsePytorchLine('{"torch": "1.13", "threads": 2, "imagesPerSecond": "fast"}')).toThrow('imagesPerSecond is "fast", not a positive number');
    expect(() => parsePytorchLine('{"torch": "1.13", "threads": 2, "steps": {}}')).toThrow('steps is not a list');
    expect(() => parsePytorchLine('{"torch": "1.13", "threads": 2, "steps": [{"batch": 8, "peakRssBytes": 1}]}')).toThrow('steps[0].medianSeconds is undefined, not a positive number');
    expect(() => parsePytorchLine('{"torch": "1.13", "threads": 2, "steps": [{"batch": 8, "medianSeconds": 2, "seconds": [2, null], "peakRssBytes": 1}]}')).toThrow(
      'steps[0].seconds[1] is null, not a positive number',
    );
  });
});
