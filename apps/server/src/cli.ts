#!/usr/bin/env node
import { Command } from 'commander';
import { getLogger } from '@harma/core';
import { serveCommand } from './cli/serve-command';
import { siteCommand } from './cli/site-command';
import { indexCommand } from './cli/index-command';
import { serveUntilSignal } from './cli/serve-until-signal';

const program = new Command('harma-server').description('HarMA.js retrieval service: text → image, image → image and image → caption search over an image folder');
program.addCommand(serveCommand('serve', async (options) => {
  await serveUntilSignal(options);
}).description('index the gallery (new and changed files) and serve the API and web page'));
program.addCommand(indexCommand('index'));
program.addCommand(siteCommand('site'));

program.parseAsync(process.argv).catch((error: unknown) => {
  getLogger('server').error({ err: error }, error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
