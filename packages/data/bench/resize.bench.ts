// Resize speed and fidelity: the Pillow port (exact) against sharp's bicubic (fast), on the golden
// images (300×256 → 224×224, the RSITMD case) and on a large image (augmentation of big scenes).
// Run with `npm run bench:resize` (or as part of `npm run bench`) in packages/data.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '@harma/core';
import { decodeImage, resizeBicubic, resizeWithSharp, type RgbImage } from '../src/index';

/** The repository root, two levels above this package's bench folder. */
const REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DIR = path.join(REPOSITORY, 'fixtures', 'golden', 'preprocess');
const SIZE = 224;
const order = (JSON.parse(readFileSync(path.join(DIR, 'index.json'), 'utf8')) as { order: string[] }).order;
const expected = (await readSafetensors(path.join(DIR, 'expected.safetensors'))).tensors.get('resized_u8')?.data as Uint8Array;
const plane = SIZE * SIZE * 3;

function steps(actual: Uint8Array, reference: Uint8Array): string {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs((actual[i] as number) - (reference[i] as number));
    sum += d;
    max = Math.max(max, d);
  }
  return `max ${String(max).padStart(3)} mean ${(sum / reference.length).toFixed(4)}`;
}

async function perCall(work: () => unknown, repeats: number): Promise<number> {
  // A few untimed calls first, so the JIT has compiled the loops.
  for (let i = 0; i < 3; i++) await work();
  const start = performance.now();
  for (let i = 0; i < repeats; i++) await work();
  return (performance.now() - start) / repeats;
}

process.stdout.write('difference from Pillow (resized_u8 of fixtures/golden/preprocess), in 1/255 steps:\n');
const decoded: RgbImage[] = [];
for (const [i, name] of order.entries()) {
  const image = await decodeImage(path.join(DIR, name));
  decoded.push(image);
  const reference = expected.subarray(i * plane, (i + 1) * plane);
  const pillow = resizeBicubic(image, SIZE, SIZE).data;
  const sharpPixels = (await resizeWithSharp(image, SIZE, SIZE)).data;
  const note = name === 'ramp_gray16.tif' ? '  (16-bit: scaled here, clipped by Pillow — differs by design)' : '';
  process.stdout.write(`  ${name.padEnd(18)} pillow port: ${steps(pillow, reference)}   sharp: ${steps(sharpPixels, reference)}${note}\n`);
}

const big: RgbImage = { data: Uint8Array.from({ length: 2048 * 2048 * 3 }, (_, i) => (i * 2654435761) >>> 24), width: 2048, height: 2048 };
process.stdout.write('resize speed (ms per image, mean of repeated calls):\n');
for (const [label, image, repeats] of [['300×256 → 224×224', decoded[0] as RgbImage, 50], ['2048×2048 → 224×224', big, 5]] as const) {
  const pillow = await perCall(() => resizeBicubic(image, SIZE, SIZE), repeats);
  const viaSharp = await perCall(() => resizeWithSharp(image, SIZE, SIZE), repeats);
  process.stdout.write(
    `  ${label.padEnd(20)} pillow port ${pillow.toFixed(2)} ms, sharp ${viaSharp.toFixed(2)} ms: pillow port / sharp = ${(pillow / viaSharp).toFixed(2)}×\n`,
  );
}
