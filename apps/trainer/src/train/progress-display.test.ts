import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { configureLogging, getLogger, interceptLogLines } from '@harma/core';
import { ProgressDisplay, type ProgressStream } from './progress-display';

/** A terminal control sequence (ESC [ … letter), built from its code so the pattern holds no control character. */
const CONTROL_SEQUENCE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

/** A fake terminal: what the bar draws, as text. */
function terminal(): { stream: ProgressStream; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120, rows: 40, cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

afterEach(() => {
  interceptLogLines(undefined);
});

describe('ProgressDisplay on a terminal', () => {
  it('prints log lines written during training above the bar, each on a line of its own', async () => {
    configureLogging({ format: 'pretty', level: 'info' });
    const { stream, text } = terminal();
    const display = new ProgressDisplay(true, stream);
    display.start(10, 0);
    display.update(3, { epoch: 1, loss: 1.2345, lr: 1e-4 });
    getLogger('train').info('validation after epoch 1: r_mean 23.58');
    display.update(6, { epoch: 2, loss: 0.9, lr: 2e-4 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    display.stop();
    // What a terminal shows: control sequences (cursor moves, line clears) removed.
    const output = text().replace(CONTROL_SEQUENCE, '');
    const lines = output.split(/\r|\n/);
    // The log line stands alone: not glued to the bar (`ETA 0s{…`) nor to anything else.
    expect(lines).toContain('validation after epoch 1: r_mean 23.58');
    expect(output).not.toMatch(/ETA[^\n]*validation/);
    expect(output).not.toContain('{"level"');
    expect(output).toMatch(/step 6\/10 \| epoch 2 \| loss 0\.9000/);
  });

  it('hands the terminal back when it stops: later lines go to stderr again', () => {
    const { stream } = terminal();
    const display = new ProgressDisplay(true, stream);
    display.start(2, 0);
    display.stop();
    display.stop();
    const lines: string[] = [];
    interceptLogLines((line) => lines.push(line));
    configureLogging({ format: 'pretty' });
    getLogger().info('after');
    expect(lines).toEqual(['after']);
  });
});

describe('ProgressDisplay elsewhere (CI logs, files)', () => {
  it('draws nothing and leaves log lines to the logger', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false });
    let drawn = '';
    stream.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    const display = new ProgressDisplay(true, stream);
    display.start(5, 0);
    display.update(1, { epoch: 1, loss: 1, lr: 0 });
    display.stop();
    expect(drawn).toBe('');
  });
});
