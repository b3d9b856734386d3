import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

let rootLogger: Logger | undefined;

/**
 * The process-wide HarMA logger. Logs go to stderr so that commands can keep stdout for their
 * results (JSON lines, tables); the level comes from `HARMA_LOG_LEVEL` (default `info`).
 */
export function getLogger(component?: string): Logger {
  rootLogger ??= pino(
    { name: 'harma', level: process.env.HARMA_LOG_LEVEL ?? 'info' },
    pino.destination({ fd: 2, sync: true }),
  );
  return component === undefined ? rootLogger : rootLogger.child({ component });
}

/** Replace the process-wide logger, e.g. with an application's own pino instance or a silent one in tests. */
export function setLogger(logger: Logger): void {
  rootLogger = logger;
}
