import cliProgress from 'cli-progress';
import { getLogger, interceptLogLines } from '@harma/core';

/** What the display draws on: a terminal (`isTTY`) or anything else (CI logs, files). */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

/** How one kind of progress looks: the bar's line on a terminal, a sentence in logs. */
export interface ProgressView<Values> {
  /** cli-progress format: `{bar}`, `{percentage}`, `{value}`, `{total}`, `{eta_formatted}` and the fields of `fields`. */
  bar: string;
  /** The fields' text before the first update. */
  initial: Record<string, string>;
  fields(values: Values): Record<string, string>;
  /** The log line written every few seconds where there is no terminal. */
  sentence(done: number, total: number, values: Values, elapsedSeconds: number): string;
}

/** Where a training run is: the epoch (counted from 1), the step's loss and learning rate. */
export interface TrainingProgress {
  epoch: number;
  loss: number;
  lr: number;
}

export const TRAINING_PROGRESS: ProgressView<TrainingProgress> = {
  bar: ' {bar} {percentage}% | step {value}/{total} | epoch {epoch} | loss {loss} | lr {lr} | ETA {eta_formatted}',
  initial: { epoch: '-', loss: '-', lr: '-' },
  fields: ({ epoch, loss, lr }) => ({ epoch: String(epoch), loss: loss.toFixed(4), lr: lr.toExponential(2) }),
  sentence: (done, total, { epoch, loss }, elapsed) => `step ${done.toLocaleString('en')} of ${total.toLocaleString('en')}, epoch ${epoch}: loss ${loss.toFixed(4)}, ${elapsed} s so far`,
};

/** Checking the images of a data set before training: nothing but the count. */
export const IMAGE_CHECK_PROGRESS: ProgressView<undefined> = {
  bar: ' checking images {bar} {value}/{total} | ETA {eta_formatted}',
  initial: {},
  fields: () => ({}),
  sentence: (done, total, _values, elapsed) => `checked ${done.toLocaleString('en')} of ${total.toLocaleString('en')} images, ${elapsed} s so far`,
};

/**
 * Progress of a long task: a bar on an interactive terminal — log lines written while it runs are
 * printed above it, never glued to it — and a log line every few seconds otherwise.
 */
export class ProgressDisplay<Values = TrainingProgress> {
  readonly #bars: cliProgress.MultiBar | undefined;
  readonly #view: ProgressView<Values>;
  #bar: cliProgress.SingleBar | undefined;
  readonly #logger = getLogger('train');
  #lastLog = 0;
  #total = 0;
  readonly #started = performance.now();

  constructor(readonly enabled: boolean, stream: ProgressStream = process.stderr, view?: ProgressView<Values>) {
    this.#view = view ?? (TRAINING_PROGRESS as unknown as ProgressView<Values>);
    if (enabled && stream.isTTY) {
      this.#bars = new cliProgress.MultiBar({ format: this.#view.bar, stream, hideCursor: true, etaBuffer: 20 }, cliProgress.Presets.shades_classic);
    }
  }

  start(total: number, done: number): void {
    this.#total = total;
    if (!this.#bars) return;
    this.#bar = this.#bars.create(total, done, this.#view.initial);
    const bars = this.#bars;
    interceptLogLines((line) => bars.log(`${line}\n`));
  }

  update(done: number, values: Values): void {
    if (this.#bar) {
      this.#bar.update(done, this.#view.fields(values));
      return;
    }
    const now = performance.now();
    if (this.enabled && now - this.#lastLog > 5000) {
      this.#lastLog = now;
      const elapsed = Math.round((now - this.#started) / 1000);
      this.#logger.info(this.#view.sentence(done, this.#total, values, elapsed));
    }
  }

  /** Stop drawing; log lines go straight to the terminal again. Safe to call more than once. */
  stop(): void {
    if (!this.#bar) return;
    this.#bars?.stop();
    this.#bar = undefined;
    interceptLogLines(undefined);
  }
}
