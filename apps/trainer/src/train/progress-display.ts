import cliProgress from 'cli-progress';
import { getLogger, interceptLogLines } from '@harma/core';

/** What the display draws on: a terminal (`isTTY`) or anything else (CI logs, files). */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * Training progress: a bar with loss and ETA on an interactive terminal — log lines written while
 * it runs are printed above it, never glued to it — and a log line every few seconds otherwise.
 */
export class ProgressDisplay {
  readonly #bars: cliProgress.MultiBar | undefined;
  #bar: cliProgress.SingleBar | undefined;
  readonly #logger = getLogger('train');
  #lastLog = 0;
  #total = 0;
  readonly #started = performance.now();

  constructor(readonly enabled: boolean, stream: ProgressStream = process.stderr) {
    if (enabled && stream.isTTY) {
      this.#bars = new cliProgress.MultiBar(
        {
          format: ' {bar} {percentage}% | step {value}/{total} | epoch {epoch} | loss {loss} | lr {lr} | ETA {eta_formatted}',
          stream,
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  start(total: number, done: number): void {
    this.#total = total;
    if (!this.#bars) return;
    this.#bar = this.#bars.create(total, done, { epoch: '-', loss: '-', lr: '-' });
    const bars = this.#bars;
    interceptLogLines((line) => bars.log(`${line}\n`));
  }

  update(done: number, values: { epoch: number; loss: number; lr: number }): void {
    const payload = { epoch: values.epoch + 1, loss: values.loss.toFixed(4), lr: values.lr.toExponential(2) };
    if (this.#bar) {
      this.#bar.update(done, payload);
      return;
    }
    const now = performance.now();
    if (this.enabled && now - this.#lastLog > 5000) {
      this.#lastLog = now;
      const elapsed = Math.round((now - this.#started) / 1000);
      this.#logger.info(
        { step: done, total: this.#total, ...payload, elapsedSeconds: elapsed },
        `step ${done} of ${this.#total}, epoch ${payload.epoch}: loss ${payload.loss}, ${elapsed} s so far`,
      );
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
