export { readMetricsCases } from './metrics-cases';
export type { MetricsCase } from './metrics-cases';
