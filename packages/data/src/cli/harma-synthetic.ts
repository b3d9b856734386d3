#!/usr/bin/env node
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { generateSyntheticDataset, type SyntheticDatasetOptions } from '../synthetic/generate-dataset';
import { SCENE_CLASSES, type SceneClass } from '../synthetic/scene-classes';
import type { SyntheticImageFormat } from '../synthetic/write-scene';

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return parsed;
}

const program = new Command('harma-synthetic')
  .description('Draw the synthetic remote-sensing data set (RSITMD layout: images/{train,val,test}, annotations/, dataset.json)')
  .argument('<dir>', 'output folder (with --style both: <dir>/source and <dir>/target)')
  .option('--seed <seed>', 'seed of the data set', '0')
  .option('--images <n>', 'number of images, five captions each', integer, 3000)
  .option('--style <style>', 'source (pretraining), target (shifted) or both', 'source')
  .option('--size <px>', 'image side in pixels', integer, 256)
  .option('--format <format>', 'png, tif or jpg', 'png')
  .option('--val <n>', 'images in the validation split (default 10%)', integer)
  .option('--test <n>', 'images in the test split (default 10%)', integer)
  .option('--classes <list>', `comma-separated scene classes (default all: ${SCENE_CLASSES.join(',')})`)
  .option('--workers <n>', 'worker threads (default one per core for 200+ images)', integer)
  .option('--quiet', 'no progress on stderr')
  .action(async (dir: string, flags: Record<string, string | number | boolean | undefined>) => {
    const styles = flags.style === 'both' ? (['source', 'target'] as const) : [flags.style as 'source' | 'target'];
    if (!styles.every((s) => s === 'source' || s === 'target')) throw new InvalidArgumentError(`--style must be source, target or both, got ${String(flags.style)}`);
    const classes = typeof flags.classes === 'string' ? flags.classes.split(',').map((c) => c.trim()) : undefined;
    const unknown = classes?.filter((c) => !(SCENE_CLASSES as readonly string[]).includes(c)) ?? [];
    if (unknown.length > 0) throw new InvalidArgumentError(`unknown scene classes: ${unknown.join(', ')}`);
    for (const style of styles) {
      const out = styles.length > 1 ? path.join(dir, style) : dir;
      const options: SyntheticDatasetOptions = {
        seed: String(flags.seed),
        images: flags.images as number,
        style,
        size: flags.size as number,
        format: flags.format as SyntheticImageFormat,
        ...(flags.val === undefined && flags.test === undefined ? {} : { split: { ...(flags.val === undefined ? {} : { val: flags.val as number }), ...(flags.test === undefined ? {} : { test: flags.test as number }) } }),
        ...(classes === undefined ? {} : { classes: classes as SceneClass[] }),
        ...(flags.workers === undefined ? {} : { workers: flags.workers as number }),
        ...(flags.quiet === true ? {} : { onProgress: progress(style) }),
      };
      const manifest = await generateSyntheticDataset(out, options);
      if (flags.quiet !== true) process.stderr.write('\n');
      const { train, val, test } = manifest.counts;
      process.stdout.write(`${style}: ${train + val + test} images (train ${train}, val ${val}, test ${test}), ${manifest.size}px ${manifest.format}, in ${manifest.seconds.toFixed(1)} s → ${path.resolve(out)}\n`);
    }
  });

function progress(style: string): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    const percent = Math.floor((100 * done) / total);
    if (percent !== last) process.stderr.write(`\r${style}: ${done}/${total} images (${percent}%)`);
    last = percent;
  };
}

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`harma-synthetic: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
