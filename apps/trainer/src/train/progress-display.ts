import cliProgress from 'cli-progress';
import { getLogger } from '@harma/core';

/**
 * Training progress: a bar with loss and ETA on an interactive terminal, a log line every few
 * seconds otherwise (CI logs, files).
 */
export class ProgressDisplay {
  readonly #bar: cliProgress.SingleBar | undefined;
  readonly #logger = getLogger('train');
  #lastLog = 0;
  #total = 0;
  readonly #started = performance.now();

  constructor(readonly enabled: boolean) {
    if (enabled && process.stderr.isTTY) {
      this.#bar = new cliProgress.SingleBar(
        {
          format: ' {bar} {percentage}% | step {value}/{total} | epoch {epoch} | loss {loss} | lr {lr} | ETA {eta_formatted}',
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  start(total: number, done: number): void {
    this.#total = total;
    this.#bar?.start(total, done, { epoch: '-', loss: '-', lr: '-' });
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
      const elapsed = (now - this.#started) / 1000;
      this.#logger.info({ step: done, total: this.#total, ...payload, elapsedSeconds: Math.round(elapsed) }, `step ${done}/${this.#total}`);
    }
  }

  stop(): void {
    this.#bar?.stop();
  }
}
