/** One training-step measurement of the PyTorch script, at one batch size. */
export interface PytorchStepMeasurement {
  batch: number;
  /** Median seconds of the timed steps. */
  medianSeconds: number;
  /** Seconds of each timed step (a busy machine spreads them). */
  seconds: number[];
  /** Peak RSS of the script's process after this batch's steps, bytes. */
  peakRssBytes: number;
}

/** What `pytorch/pytorch_anchor.py` prints: the figures of the parts it was asked for. */
export interface PytorchMeasurement {
  /** `torch.__version__`, e.g. `1.13.0a0`. */
  torch: string;
  threads: number;
  steps?: PytorchStepMeasurement[];
  imagesPerSecond?: number;
  captionsPerSecond?: number;
  matmulGflops?: number;
  /** The BLAS library torch loaded (Debian's alternatives choose it). */
  blas?: string;
  /** Optional imports of the official open_clip replaced by empty stand-ins. */
  stubbed?: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function positive(record: Record<string, unknown>, key: string, where: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`${where}${key} is ${JSON.stringify(value)}, not a positive number`);
  return value;
}

function positiveList(value: unknown, name: string): number[] {
  if (!Array.isArray(value)) throw new Error(`${name} is not a list`);
  return value.map((item: unknown, i) => {
    if (typeof item !== 'number' || !Number.isFinite(item) || item <= 0) throw new Error(`${name}[${i}] is ${JSON.stringify(item)}, not a positive number`);
    return item;
  });
}

function optionalPositive(record: Record<string, unknown>, key: string): number | undefined {
  return record[key] === undefined ? undefined : positive(record, key, '');
}

/**
 * The figures of the PyTorch script's output: its last non-empty line, one JSON object. Throws
 * an error saying what is wrong when the line is missing or a figure is not a positive number.
 */
export function parsePytorchLine(stdout: string): PytorchMeasurement {
  const line = stdout.trim().split('\n').pop()?.trim() ?? '';
  if (!line.startsWith('{')) throw new Error(line ? `its last line is not JSON: ${line.slice(0, 200)}` : 'it printed nothing');
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new Error(`its last line is not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(parsed)) throw new Error('its last line is not a JSON object');
  if (typeof parsed.torch !== 'string') throw new Error('its line has no torch version');
  const measurement: PytorchMeasurement = { torch: parsed.torch, threads: positive(parsed, 'threads', '') };
  if (parsed.steps !== undefined) {
    if (!Array.isArray(parsed.steps)) throw new Error('steps is not a list');
    measurement.steps = parsed.steps.map((step: unknown, i) => {
      if (!isRecord(step)) throw new Error(`steps[${i}] is not an object`);
      const where = `steps[${i}].`;
      return {
        batch: positive(step, 'batch', where),
        medianSeconds: positive(step, 'medianSeconds', where),
        seconds: step.seconds === undefined ? [] : positiveList(step.seconds, `${where}seconds`),
        peakRssBytes: positive(step, 'peakRssBytes', where),
      };
    });
  }
  for (const key of ['imagesPerSecond', 'captionsPerSecond', 'matmulGflops'] as const) {
    const value = optionalPositive(parsed, key);
    if (value !== undefined) measurement[key] = value;
  }
  if (typeof parsed.blas === 'string') measurement.blas = parsed.blas;
  if (Array.isArray(parsed.stubbed)) measurement.stubbed = parsed.stubbed.filter((name): name is string => typeof name === 'string');
  return measurement;
}
