export { benchResult, mergeResults, repositoryResultsFile } from './results-file';
export type { BenchResult } from './results-file';
