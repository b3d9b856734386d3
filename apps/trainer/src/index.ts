// Programmatic API of the harma CLI: what the commands run, for scripts and tests.
export { trainConfigSchema } from './config/train-config';
export type { TrainConfig, TrainConfigInput } from './config/train-config';
export { loadTrainConfig, parseTrainConfig, applyOverride, ConfigError } from './config/load-config';
export { expandEnvironment } from './config/expand-environment';
export { buildTrainingModel, registerConfigBackbone } from './model/build-model';
export type { TrainingModel, BuildModelOptions } from './model/build-model';
export { countFor } from './model/count-parameters';
export type { ParameterCounts, ParameterGroup, CountOptions } from './model/count-parameters';
export { runTraining, RUN_FILES } from './train/run-training';
export { NonFiniteLossError } from './train/optimiser-step';
export type { TrainRunOptions, TrainRunResult } from './train/run-training';
export { MetricsLog } from './train/metrics-log';
export type { MetricsRecord, StepRecord, EvaluationRecord } from './train/metrics-log';
export { evaluateCommand, formatEvaluationRows } from './commands/evaluate';
export type { EvaluateOptions, EvaluationRow } from './commands/evaluate';
export { exportCommand } from './commands/export';
export type { ExportOptions, ExportResult } from './commands/export';
export { renderHtmlReport } from './report/html-report';
