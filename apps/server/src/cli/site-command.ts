import { Command, InvalidArgumentError, Option } from 'commander';
import type { SitePrecision } from '../site/site-model';
import { writeStaticSite, type SiteProgress, type StaticSite, type StaticSiteOptions } from '../site/write-static-site';

function positiveInteger(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return Number(value);
  };
}

interface SiteFlags {
  model: string;
  gallery: string;
  out: string;
  precision: SitePrecision;
  title?: string;
  batchSize: number;
  thumbnailSize: number;
  maxImagePixels?: number;
  threads?: number;
  progress: boolean;
}

const STAGES: Record<SiteProgress['stage'], string> = {
  'loading-model': 'loading the model',
  scanning: 'scanning the gallery',
  embedding: 'embedding images',
  publishing: 'writing the site',
};

/**
 * Progress on a stream: one line rewritten in place on a terminal; otherwise a line per stage and
 * per tenth of the images, so that logs stay short.
 */
export function siteProgressPrinter(stream: NodeJS.WriteStream): (progress: SiteProgress) => void {
  let lastStage = '';
  let lastTenth = -1;
  return (progress) => {
    const counts = progress.total > 0 ? ` ${progress.done}/${progress.total}${progress.skipped > 0 ? ` (${progress.skipped} skipped)` : ''}` : '';
    const line = `harma site: ${STAGES[progress.stage]}${counts}`;
    if (stream.isTTY) {
      stream.write(`\r${line}\u001b[K${progress.stage === 'publishing' ? '\n' : ''}`);
      return;
    }
    const tenth = progress.total > 0 ? Math.floor((10 * progress.done) / progress.total) : -1;
    if (progress.stage !== lastStage || tenth !== lastTenth) stream.write(`${line}\n`);
    lastStage = progress.stage;
    lastTenth = tenth;
  };
}

/** What `harma site` prints when done: where the site is, its size, and the files left out. */
export function formatSiteSummary(site: StaticSite): string {
  const { manifest } = site;
  const lines = [
    `wrote ${site.out}: ${manifest.gallery.images} images, ${manifest.model.precision} text model${site.quantized ? ' (quantised from the float32 graph: the export has no int8 graphs)' : ''}, ${(site.bytes / 1e6).toFixed(1)} MB in ${site.seconds.toFixed(1)} s`,
    ...site.skipped.map((file) => `  skipped ${file.path}: ${file.reason}`),
    `serve the folder with any static file host, e.g. \`npx http-server ${site.out}\` or \`python3 -m http.server -d ${site.out}\`, and open it in a browser`,
  ];
  return lines.join('\n');
}

/** Map parsed `site` flags to `writeStaticSite` options. */
export function siteOptionsFromFlags(flags: SiteFlags): StaticSiteOptions {
  return {
    model: flags.model,
    gallery: flags.gallery,
    out: flags.out,
    precision: flags.precision,
    title: flags.title,
    batchSize: flags.batchSize,
    thumbnailSize: flags.thumbnailSize,
    maxImagePixels: flags.maxImagePixels,
    threads: flags.threads,
    onProgress: flags.progress ? siteProgressPrinter(process.stderr) : undefined,
  };
}

/**
 * `harma site` (and `harma-server site`), on a new command named `name`: write a static site that
 * searches a gallery in the browser (`writeStaticSite`), then print where it is.
 */
export function siteCommand(name: string): Command {
  return new Command(name)
    .description('write a static site (index.html, the text model, the runtime, image embeddings and thumbnails) that searches the gallery in the browser, with no server')
    .requiredOption('--model <dir>', 'model folder written by `harma export`')
    .requiredOption('--gallery <dir>', 'folder of images to publish')
    .requiredOption('--out <dir>', 'site folder to write (new, empty, or a site written earlier, which is replaced)')
    .addOption(new Option('--precision <precision>', "the text model's weights in the page").choices(['int8', 'fp32']).default('int8'))
    .option('--title <text>', 'title of the page (default: "<gallery folder> — HarMA.js search")')
    .option('--batch-size <n>', 'images per vision-model call', positiveInteger('--batch-size'), 16)
    .option('--thumbnail-size <px>', 'longest side of the thumbnails', positiveInteger('--thumbnail-size'), 256)
    .option('--max-image-pixels <n>', 'largest image decoded (width × height); larger files are skipped', positiveInteger('--max-image-pixels'))
    .option('--threads <n>', 'ONNX Runtime threads while embedding (default: every core)', positiveInteger('--threads'))
    .option('--no-progress', 'no progress output')
    .action(async (flags: SiteFlags) => {
      // Ctrl-C stops at the next batch and removes the partial site; a second one kills at once.
      const controller = new AbortController();
      const stop = (signal: NodeJS.Signals): void => controller.abort(new Error(`stopped by ${signal}; nothing was written`));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const site = await writeStaticSite({ ...siteOptionsFromFlags(flags), signal: controller.signal });
        process.stdout.write(`${formatSiteSummary(site)}\n`);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
