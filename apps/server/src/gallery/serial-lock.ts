/** Runs tasks one at a time, in call order: the index's single writer. */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Tasks queued or running. */
  get pending(): number {
    return this.waiting;
  }

  run<T>(task: () => Promise<T> | T): Promise<T> {
    this.waiting += 1;
    const result = this.tail.then(task);
    const settle = (): void => {
      this.waiting -= 1;
    };
    this.tail = result.then(settle, settle);
    return result;
  }
}
