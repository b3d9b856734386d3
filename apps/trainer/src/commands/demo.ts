import { runDemo, formatDemoSummary, type DemoOptions } from '../demo/run-demo';

/** `harma demo`: the offline end-to-end demo; prints the summary table. */
export async function demoCommand(options: DemoOptions): Promise<string> {
  const summary = await runDemo(options);
  return formatDemoSummary(summary);
}
