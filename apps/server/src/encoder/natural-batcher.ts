interface Pending<I, O> {
  items: readonly I[];
  resolve: (outputs: O[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs one model call at a time and merges the requests that arrive meanwhile into the next call
 * (at most `maxBatch` items, a request's items always together): no added latency when idle, larger
 * batches under load. A failing call fails the requests it carried.
 */
export class NaturalBatcher<I, O> {
  private readonly run: (items: I[]) => Promise<O[]>;
  private readonly maxBatch: number;
  private readonly queue: Array<Pending<I, O>> = [];
  private busy = false;

  constructor(run: (items: I[]) => Promise<O[]>, maxBatch: number) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`NaturalBatcher: maxBatch must be a positive integer, got ${maxBatch}`);
    this.run = run;
    this.maxBatch = maxBatch;
  }

  submit(items: readonly I[]): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0) return;
    const batch: Array<Pending<I, O>> = [this.queue.shift() as Pending<I, O>];
    let size = (batch[0] as Pending<I, O>).items.length;
    while (this.queue.length > 0 && size + (this.queue[0] as Pending<I, O>).items.length <= this.maxBatch) {
      const next = this.queue.shift() as Pending<I, O>;
      size += next.items.length;
      batch.push(next);
    }
    this.busy = true;
    const items = batch.flatMap((entry) => entry.items);
    this.run(items)
      .then(
        (outputs) => {
          if (outputs.length !== items.length) throw new Error(`NaturalBatcher: the model returned ${outputs.length} results for ${items.length} inputs`);
          let offset = 0;
          for (const entry of batch) {
            entry.resolve(outputs.slice(offset, offset + entry.items.length));
            offset += entry.items.length;
          }
        },
      )
      .catch((error: unknown) => {
        for (const entry of batch) entry.reject(error);
      })
      .finally(() => {
        this.busy = false;
        this.pump();
      });
  }
}
