import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { syntheticDatasetFiles } from '@harma/data';
import { describe, expect, it } from 'vitest';
import { exportedTinyModel, runCli as run } from './exported-tiny-model';

describe('harma site: the README recipe, harma export then harma site', () => {
  const folder = exportedTinyModel('harma-site-cli-');

  it('writes the site of an exported model and a gallery, and says how to serve it', async () => {
    const dir = folder();
    const gallery = path.relative(dir, syntheticDatasetFiles(path.join(dir, 'data')).imageRoot);
    const { stdout, stderr } = await run(['site', '--model', 'model', '--gallery', gallery, '--out', 'site'], dir);
    expect(stdout).toMatch(/^wrote .*site: 64 images, int8 text model, [\d.]+ MB in [\d.]+ s\nserve the folder with any static file host/);
    expect(stderr).toContain('harma site: embedding images 64/64');
    const manifest = JSON.parse(await readFile(path.join(dir, 'site', 'site.json'), 'utf8')) as { gallery: { images: number }; model: { contextLength: number; precision: string } };
    expect(manifest.gallery.images).toBe(64);
    expect(manifest.model).toMatchObject({ contextLength: 20, precision: 'int8' });
  });

  it('refuses to replace a folder that is not a site, and says why', async () => {
    const dir = folder();
    await mkdir(path.join(dir, 'notes'));
    await writeFile(path.join(dir, 'notes', 'keep.txt'), 'mine');
    const failure = run(['site', '--model', 'model', '--gallery', 'data', '--out', 'notes', '--no-progress'], dir);
    await expect(failure).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('harma: output ') as unknown });
    await expect(failure).rejects.toMatchObject({ stderr: expect.stringContaining('notes is a folder that holds no site written by harma site (no site.json); choose a new or empty folder') as unknown });
    expect(await readFile(path.join(dir, 'notes', 'keep.txt'), 'utf8')).toBe('mine');
  });
});
