import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@harma/core';
import { generateSyntheticDataset, readEvalAnnotations, readTrainAnnotations, syntheticDatasetFiles } from '@harma/data';
import { repositoryRoot } from '@harma/test-support';
import { sharedDemoRun } from './demo-run';

// The README's "Your own images and captions" commands, run as written in a fresh folder that
// stands for a clone: a package.json with the repository's `harma` script, the files of the
// README's `npm run demo` (from this test run's shared demo, the quick preset), and a user's data
// set in the RSITMD download layout (images in one folder, captions in one dataset_*.json).
const MARKER = '<!-- readme-test: own-data -->';
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const PORT = 8080;
let dir: string;
let server: ChildProcess | undefined;

/** The shell block after the marker. */
function markedBlock(readme: string): string {
  const at = readme.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md has no ${MARKER}`);
  const block = /^\s*```sh\n([\s\S]*?)\n```/.exec(readme.slice(at + MARKER.length));
  if (!block) throw new Error(`README.md: ${MARKER} must be followed by a \`\`\`sh block`);
  return block[1] as string;
}

/** A shell like a user's: no npm variables from the test runner's own `npm run`; the server's index in the test folder's cache. */
function userEnvironment(): NodeJS.ProcessEnv {
  const own = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
  return { ...own, HARMA_LOG_LEVEL: 'warn', XDG_CACHE_HOME: path.join(dir, 'cache') };
}

function bash(script: string, options: { detached?: boolean } = {}): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: userEnvironment(), stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, done: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))) };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer().once('error', () => resolve(false)).once('listening', () => probe.close(() => resolve(true)));
    probe.listen(port, '127.0.0.1');
  });
}

/** The user's data: a small synthetic set rearranged as RSITMD is downloaded. */
async function writeUserData(): Promise<number> {
  const generated = path.join(dir, 'generated');
  await generateSyntheticDataset(generated, { seed: 9, images: 60, size: 64, format: 'tif', split: { val: 6, test: 6 }, workers: 0 });
  const files = syntheticDatasetFiles(generated);
  const images = path.join(dir, 'my-data', 'images');
  await fs.mkdir(images, { recursive: true });
  const entries: Array<{ filename: string; imgid: number; split: string; sentences: Array<{ raw: string }> }> = [];
  const add = async (split: string, image: string, captions: readonly string[]): Promise<void> => {
    await fs.rename(path.join(files.imageRoot, image), path.join(images, path.basename(image)));
    entries.push({ filename: path.basename(image), imgid: entries.length, split, sentences: captions.map((raw) => ({ raw })) });
  };
  const train = await readTrainAnnotations(files.train);
  for (const [index, image] of train.images.entries()) await add('train', image, train.captions.filter((c) => c.imageIndex === index).map((c) => c.raw));
  for (const split of ['val', 'test'] as const) {
    const evaluation = await readEvalAnnotations(files[split]);
    for (const [index, image] of evaluation.images.entries()) await add(split, image, (evaluation.img2txt[index] ?? []).map((t) => evaluation.rawCaptions[t] as string));
  }
  await fs.writeFile(path.join(dir, 'my-data', 'dataset_mine.json'), JSON.stringify({ dataset: 'mine', images: entries }));
  await fs.rm(generated, { recursive: true });
  return entries.length;
}

beforeAll(async () => {
  // The shared demo may run in this process.
  await initBackend();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-readme-'));
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'harma-readme-test', private: true, scripts: { harma: `node ${cli}` } }));
});
afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null && server.signalCode === null) process.kill(-server.pid, 'SIGKILL');
  await fs.rm(dir, { recursive: true, force: true });
});

describe('README: "Your own images and captions"', () => {
  it('runs as written: split the captions, train from the demo\'s model, evaluate, export, serve and search', async () => {
    const block = markedBlock(await fs.readFile(path.join(repositoryRoot(), 'README.md'), 'utf8'));
    const lines = block.split('\n');
    const serveAt = lines.findIndex((line) => line.startsWith('npm run harma -- serve '));
    expect(serveAt, 'the block serves the exported model').toBeGreaterThan(0);
    expect(await portIsFree(PORT), `port ${PORT}, where the README's server listens, is taken`).toBe(true);

    // What `npm run demo` leaves for the section: the pretrained model, its config and vocabulary.
    const demo = await sharedDemoRun();
    await fs.mkdir(path.join(dir, 'runs/demo/pretrain'), { recursive: true });
    for (const file of ['pretrain/best.safetensors', 'model-config.json', 'vocab.txt.gz']) await fs.copyFile(path.join(demo.dir, file), path.join(dir, 'runs/demo', file));
    const images = await writeUserData();

    // Everything up to the server, as one script that stops at the first failing command.
    const setup = await bash(lines.slice(0, serveAt).join('\n')).done;
    expect(setup.code, `${setup.stdout}\n${setup.stderr}`).toBe(0);
    expect(setup.stdout).toMatch(/mine_train\.json: \d+ captions of 48 images/);
    expect(setup.stdout).toMatch(/test \(best adapters\)/);
    expect(setup.stdout).toMatch(/adapted \(test, tfjs\)/);
    expect(setup.stdout).toMatch(/exported to models\/my-run/);

    // The server, then the search "from another terminal".
    const serve = bash(lines[serveAt] as string, { detached: true });
    server = serve.child;
    const deadline = Date.now() + 90_000;
    let health: { images?: number; indexing?: string } = {};
    while (!(health.images === images && health.indexing === 'idle')) {
      if (Date.now() > deadline || serve.child.exitCode !== null) throw new Error(`the server did not index the ${images} images: ${JSON.stringify(health)}\n${(await Promise.race([serve.done, Promise.resolve(undefined)]))?.stderr ?? ''}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
      health = await fetch(`http://127.0.0.1:${PORT}/healthz`).then((r) => r.json() as Promise<typeof health>).catch(() => ({}));
    }
    const search = await bash(lines.slice(serveAt + 1).join('\n')).done;
    expect(search.code, search.stderr).toBe(0);
    const answer = JSON.parse(search.stdout) as { k: number; results: Array<{ path: string; score: number }> };
    expect(answer.k).toBe(3);
    expect(answer.results).toHaveLength(3);
    for (const hit of answer.results) expect(await fs.stat(path.join(dir, 'my-data', 'images', hit.path)).then((s) => s.isFile())).toBe(true);

    // Ctrl-C in the server's terminal: it stops (npm then ends itself with the same signal).
    process.kill(-(serve.child.pid as number), 'SIGINT');
    const stopped = await serve.done;
    expect(stopped.code === 0 || stopped.signal === 'SIGINT', stopped.stderr).toBe(true);
  }, 300_000);
});
