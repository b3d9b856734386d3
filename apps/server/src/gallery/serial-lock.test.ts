import { describe, expect, it } from 'vitest';
import { SerialLock } from './serial-lock';

describe('SerialLock', () => {
  it('runs tasks one at a time in call order, also after a task fails', async () => {
    const lock = new SerialLock();
    const events: string[] = [];
    const task = (name: string, ms: number, fail = false) => async () => {
      events.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      events.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const a = lock.run(task('a', 20));
    const b = lock.run(task('b', 1, true));
    const c = lock.run(task('c', 5));
    expect(lock.pending).toBe(3);
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b');
    await expect(c).resolves.toBe('c');
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(lock.pending).toBe(0);
  });
});
