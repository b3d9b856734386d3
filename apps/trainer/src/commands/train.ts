import path from 'node:path';
import type { AdapterMethodName } from '@harma/adapters';
import { initBackend } from '@harma/core';
import { formatMetricsTable } from '@harma/metrics';
import { checkConfigFiles } from '../config/check-files';
import { loadTrainConfig } from '../config/load-config';
import { RUN_FILES, runTraining, type TrainRunResult } from '../train/run-training';
import { RunInterrupted } from '../train/run-interruption';
import { resumeCommandLine } from './resume-command';
import type { TrainingRunMessage } from './train-supervisor';

/** The flags of `harma train`. */
export interface TrainFlags {
  config: string;
  set: string[];
  backbone?: string;
  adapter?: AdapterMethodName;
  trainable?: string;
  epochs?: string;
  output?: string;
  resume?: boolean;
  checkpointEvery?: string;
  progress: boolean;
}

/** Exit status of a run stopped by a signal, as a shell reports a command ended by it. */
function signalStatus(signal: NodeJS.Signals | undefined): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/** Where a stopped run stands, in words: `in epoch 2 after step 5 of 8`. */
export function describeStop(result: TrainRunResult, epochs: number): string {
  if (result.epochsDone >= epochs) return 'after its last epoch, before the test evaluation';
  if (result.stepInEpoch >= result.stepsPerEpoch) return `after the steps of epoch ${result.epochsDone + 1}, before its validation`;
  if (result.stepInEpoch === 0) return result.epochsDone === 0 ? 'before its first step' : `after epoch ${result.epochsDone}`;
  return `in epoch ${result.epochsDone + 1} after step ${result.stepInEpoch} of ${result.stepsPerEpoch.toLocaleString('en')}`;
}

/**
 * `harma train` in this process: the run with SIGINT and SIGTERM asking it to stop gracefully (the
 * step in progress finishes, the state is saved, the command that continues the run is printed).
 * Resolves with the exit status. Under `superviseTraining` a second signal kills this process.
 */
export async function trainCommand(flags: TrainFlags): Promise<number> {
  const controller = new AbortController();
  let stopSignal: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    stopSignal ??= signal;
    controller.abort();
  };
  // The supervisor is gone (killed): nothing is listening any more, so stop with it.
  const orphaned = (): never => process.exit(1);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('disconnect', orphaned);
  // The channel to the supervisor must not keep this process alive once the run is over.
  process.channel?.unref();
  try {
    const overrides = [...flags.set];
    if (flags.trainable) overrides.push(`training.trainable=${flags.trainable}`);
    if (flags.epochs) overrides.push(`training.epochs=${flags.epochs}`);
    if (flags.output) overrides.push(`output=${flags.output}`);
    const config = await loadTrainConfig(flags.config, overrides, { backbone: flags.backbone });
    checkConfigFiles(config, { splits: ['train', 'val', 'test'], source: flags.config });
    const resume = resumeCommandLine();
    const state = path.join(config.output, RUN_FILES.state);
    process.send?.({ type: 'harma-train-run', state, resume } satisfies TrainingRunMessage);
    await initBackend();
    let result: TrainRunResult;
    try {
      result = await runTraining(config, {
        resume: flags.resume,
        adapterType: flags.adapter,
        checkpointEverySteps: flags.checkpointEvery ? Number(flags.checkpointEvery) : undefined,
        progress: flags.progress,
        signal: controller.signal,
      });
    } catch (error) {
      if (!(error instanceof RunInterrupted)) throw error;
      process.stderr.write('harma: stopped before the run started; nothing was written\n');
      return signalStatus(stopSignal);
    }
    if (result.interrupted) {
      process.stderr.write(
        `harma: the run stopped ${describeStop(result, config.training.epochs)} (${result.globalStep.toLocaleString('en')} of ${result.totalSteps.toLocaleString('en')} steps done); ` +
          `its state is saved in ${path.relative(process.cwd(), state) || state}. Continue it with:\n  ${resume}\n`,
      );
      return signalStatus(stopSignal);
    }
    const rows = [];
    if (result.bestValidation && result.bestEpoch !== undefined) rows.push({ name: `best validation (epoch ${result.bestEpoch})`, metrics: result.bestValidation });
    if (result.test) rows.push({ name: 'test (best adapters)', metrics: result.test.metrics });
    process.stdout.write(`${formatMetricsTable(rows, { label: 'run' })}\n`);
    const skipped = result.skippedImages > 0 ? `; ${result.skippedImages} unreadable images left out` : '';
    process.stdout.write(
      `trained ${result.parameters.trainable.toLocaleString('en')} of ${result.parameters.total.toLocaleString('en')} parameters in ${result.seconds.toFixed(0)} s${skipped}; the run's files are in ${result.output}\n`,
    );
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('disconnect', orphaned);
  }
}
