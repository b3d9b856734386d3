import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isStaticSite, SITE_MANIFEST_FILE } from './site-manifest';

/**
 * Refuse an output folder that is not ours to replace: it may be missing, an empty folder, or a
 * site an earlier run wrote (its `site.json`). Anything else — a gallery, a model, a home folder —
 * is left alone.
 */
export async function checkSiteFolder(out: string): Promise<void> {
  const info = await stat(out).catch(() => undefined);
  if (info === undefined) return;
  if (!info.isDirectory()) throw new Error(`output ${out} exists and is not a folder`);
  if ((await readdir(out)).length === 0 || (await isStaticSite(out))) return;
  throw new Error(`output ${out} is a folder that holds no site written by harma site (no ${SITE_MANIFEST_FILE}); choose a new or empty folder`);
}

/**
 * A new hidden folder beside `out` to write the site into: on the same file system, so that it
 * becomes `out` by a rename, and hidden, so that a gallery scan never enters it.
 */
export async function createStagingFolder(out: string): Promise<string> {
  await mkdir(path.dirname(out), { recursive: true });
  const staging = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  await mkdir(staging);
  return staging;
}

/**
 * Put the complete site in `staging` at `out` by renames: readers see the earlier site or the new
 * one, never a half-written folder (for the instant between the two renames, none). The earlier
 * site is deleted afterwards.
 */
export async function publishStagingFolder(staging: string, out: string): Promise<void> {
  await checkSiteFolder(out);
  const earlier = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.old`);
  const replacing = await stat(out).then(
    () => true,
    () => false,
  );
  if (replacing) await rename(out, earlier);
  try {
    await rename(staging, out);
  } catch (error) {
    if (replacing) await rename(earlier, out).catch(() => undefined);
    throw error;
  }
  if (replacing) await rm(earlier, { recursive: true, force: true });
}
