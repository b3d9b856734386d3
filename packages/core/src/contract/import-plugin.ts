import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { backboneRegistry } from './backbone-registry';
import { tokenizerRegistry } from './text-tokenizer';

/** What a plug-in module must register when it is imported. */
export interface PluginProvides {
  /** A backbone kind (`conv-dual-encoder`). */
  backbone?: string;
  /** A tokenizer kind. */
  tokenizer?: string;
}

function missing(provides: PluginProvides): string[] {
  const out: string[] = [];
  if (provides.backbone !== undefined && !backboneRegistry.has(provides.backbone)) out.push(`backbone '${provides.backbone}'`);
  if (provides.tokenizer !== undefined && !tokenizerRegistry.has(provides.tokenizer)) out.push(`tokenizer '${provides.tokenizer}'`);
  return out;
}

/**
 * Import the module that registers a plug-in's kinds — a package specifier
 * (`@harma-examples/conv-dual-encoder/register`) or a file path, relative paths against `from` —
 * unless what it provides is registered already; afterwards check that it was. A run config's
 * `backbone.plugin` and an export's recorded plug-in both come through here, in every thread that
 * builds a model.
 */
export async function importPlugin(specifier: string, provides: PluginProvides, options: { from?: string } = {}): Promise<void> {
  if (missing(provides).length === 0) return;
  const isPath = specifier.startsWith('.') || path.isAbsolute(specifier);
  const target = isPath ? pathToFileURL(path.resolve(options.from ?? process.cwd(), specifier)).href : specifier;
  try {
    await import(target);
  } catch (error) {
    throw new Error(`plug-in '${specifier}' could not be imported: ${(error as Error).message}`, { cause: error });
  }
  const still = missing(provides);
  if (still.length > 0) {
    throw new Error(`plug-in '${specifier}' was imported but registered no ${still.join(' and no ')} (registered backbones: ${backboneRegistry.names().join(', ') || 'none'})`);
  }
}
