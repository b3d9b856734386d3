import { afterEach, describe, expect, it } from 'vitest';
import { configureLogging, formatLogRecord, getLogger, interceptLogLines } from './logger';

afterEach(() => {
  interceptLogLines(undefined);
  delete process.env.HARMA_LOG_FORMAT;
});

describe('log records on a terminal', () => {
  it('read as a sentence: level prefix for warnings and errors, the error message, other fields as key value', () => {
    const base = { level: 30, time: 1, pid: 2, hostname: 'vm', name: 'harma', component: 'train' };
    expect(formatLogRecord({ ...base, msg: 'validation after epoch 1: r_mean 23.58', epoch: 1 })).toBe('validation after epoch 1: r_mean 23.58 (epoch 1)');
    expect(formatLogRecord({ ...base, level: 40, msg: 'skipping an unreadable image', path: 'a.png' })).toBe('warning: skipping an unreadable image (path a.png)');
    expect(formatLogRecord({ ...base, level: 50, msg: 'indexing failed', err: { type: 'Error', message: 'disk full', stack: '…' } })).toBe('error: indexing failed: disk full');
    // Nested details (lists, objects) stay in the JSON format.
    expect(formatLogRecord({ ...base, msg: 'loaded', vectors: 123456, seconds: 0.123456, ok: true, list: [1, 2], nested: { a: 1 } })).toBe('loaded (vectors 123,456, seconds 0.1235, ok true)');
  });
});

describe('the process-wide logger', () => {
  it('writes pretty lines or JSON as asked, through whoever owns the terminal', () => {
    const lines: string[] = [];
    interceptLogLines((line) => lines.push(line));
    configureLogging({ format: 'pretty', level: 'info' });
    getLogger('test').info({ step: 3 }, 'a step');
    getLogger('test').debug('not at this level');
    configureLogging({ format: 'json', level: 'info' });
    getLogger('test').warn('careful');
    expect(lines[0]).toBe('a step (step 3)');
    expect(JSON.parse(lines[1] as string)).toMatchObject({ level: 40, msg: 'careful', component: 'test', name: 'harma' });
    expect(lines).toHaveLength(2);
  });

  it('refuses an unknown HARMA_LOG_FORMAT with what to use', () => {
    process.env.HARMA_LOG_FORMAT = 'xml';
    expect(() => configureLogging({})).toThrow("HARMA_LOG_FORMAT is 'xml'; use 'pretty' or 'json'");
  });
});
