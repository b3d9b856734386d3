import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** How log records are written: one sentence a line (`pretty`) or pino's JSON lines (`json`). */
export type LogFormat = 'pretty' | 'json';

export interface LoggingOptions {
  /** pino level. Default: `HARMA_LOG_LEVEL`, else `info`. */
  level?: string;
  /** Default: `HARMA_LOG_FORMAT` (`pretty` | `json`), else `pretty` when stderr is a terminal and `json` when it is not (files, CI, pipes). */
  format?: LogFormat;
}

/** Fields every pino record carries, which a sentence on a terminal leaves out. */
const BOOKKEEPING = new Set(['level', 'time', 'pid', 'hostname', 'name', 'component', 'msg', 'err', 'v']);

function describeValue(value: number | string | boolean): string {
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en') : String(Number(value.toPrecision(4)));
  return String(value);
}

function isScalar(value: unknown): value is number | string | boolean {
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean';
}

/**
 * One pino record (parsed JSON) as a line a person reads: `warning:`/`error:` for those levels,
 * the message, the error's own message when there is one, then the record's other plain fields as
 * `key value` pairs (numbers with thousands separators); nested details stay in the JSON format.
 */
export function formatLogRecord(record: Record<string, unknown>): string {
  const level = typeof record.level === 'number' ? record.level : 30;
  const prefix = level >= 50 ? 'error: ' : level >= 40 ? 'warning: ' : '';
  const message = typeof record.msg === 'string' ? record.msg : '';
  const error = record.err as { message?: unknown } | undefined;
  const reason = error && typeof error.message === 'string' && !message.includes(error.message) ? `: ${error.message}` : '';
  const details = Object.entries(record)
    .filter((entry): entry is [string, number | string | boolean] => !BOOKKEEPING.has(entry[0]) && isScalar(entry[1]))
    .map(([key, value]) => `${key} ${describeValue(value)}`);
  return `${prefix}${message}${reason}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

/** Where log lines go while something else owns the terminal (a progress bar); undefined: stderr. */
let lineInterceptor: ((line: string) => void) | undefined;

/**
 * Route every log line through `write` (e.g. a progress bar's own `log`, which prints above the
 * bar) until called again with `undefined`. Lines then never break what is drawn on the terminal.
 */
export function interceptLogLines(write: ((line: string) => void) | undefined): void {
  lineInterceptor = write;
}

function emit(line: string): void {
  if (lineInterceptor) lineInterceptor(line);
  else process.stderr.write(`${line}\n`);
}

function resolveFormat(format: LogFormat | undefined): LogFormat {
  const chosen = format ?? process.env.HARMA_LOG_FORMAT;
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  if (chosen !== undefined && chosen !== '') throw new Error(`HARMA_LOG_FORMAT is '${chosen}'; use 'pretty' or 'json'`);
  return process.stderr.isTTY ? 'pretty' : 'json';
}

function createRootLogger(options: LoggingOptions): Logger {
  const format = resolveFormat(options.format);
  const destination = {
    write(json: string): void {
      const trimmed = json.endsWith('\n') ? json.slice(0, -1) : json;
      emit(format === 'json' ? trimmed : formatLogRecord(JSON.parse(trimmed) as Record<string, unknown>));
    },
  };
  return pino({ name: 'harma', level: options.level ?? process.env.HARMA_LOG_LEVEL ?? 'info' }, destination);
}

let rootLogger: Logger | undefined;

/**
 * The process-wide HarMA logger. Logs go to stderr so that commands can keep stdout for their
 * results (JSON lines, tables): readable sentences on a terminal, JSON lines otherwise or on
 * request (`HARMA_LOG_FORMAT=json`); the level comes from `HARMA_LOG_LEVEL` (default `info`).
 */
export function getLogger(component?: string): Logger {
  rootLogger ??= createRootLogger({});
  return component === undefined ? rootLogger : rootLogger.child({ component });
}

/** Recreate the process-wide logger with these settings (a CLI's `--log-format json`); loggers handed out before keep theirs. */
export function configureLogging(options: LoggingOptions): void {
  rootLogger = createRootLogger(options);
}

/** Replace the process-wide logger, e.g. with an application's own pino instance or a silent one in tests. */
export function setLogger(logger: Logger): void {
  rootLogger = logger;
}
