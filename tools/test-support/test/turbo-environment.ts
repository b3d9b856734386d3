import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where a file's mention of a `HARMA_*` variable matters: code that libraries and apps run (so
 * under tests and benches alike), test code, bench code, or documentation (which must name a
 * variable some task passes through).
 */
export type VariableUse = 'runtime' | 'test' | 'bench' | 'docs';

/** Folders that hold no code or documentation of ours. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.git', '.turbo', 'coverage', 'runs', 'fixtures', '.changeset', '.scratch']);
const CODE = /\.(ts|js|mjs|cjs)$/;

/** How a repository file's mentions count, or undefined for a file that is not read. */
export function variableUse(file: string): VariableUse | undefined {
  const parts = file.split('/');
  const name = parts[parts.length - 1] as string;
  if (name === 'CHANGELOG.md') return undefined;
  if (parts.includes('bench')) return CODE.test(name) ? 'bench' : undefined;
  // Tools run under turbo only as their tests (the golden CLI and pack-check have no bench task).
  const testOnly = parts[0] === '.ci' || parts[0] === 'tools' || parts.includes('test') || /\.test\.ts$/.test(name);
  if (testOnly && !name.endsWith('.md')) return 'test';
  if (CODE.test(name) || /\.ya?ml$/.test(name)) return 'runtime';
  if (name.endsWith('.md')) return 'docs';
  return undefined;
}

/** `HARMA_*` names a file declares as identifiers (`export const HARMA_LOSS_DEFAULTS = ...`). */
export function declaredIdentifiers(text: string): Set<string> {
  return new Set([...text.matchAll(/\b(?:const|let|var|function|class|enum|type|interface)\s+(HARMA_[A-Z0-9_]+)/g)].map((match) => match[1] as string));
}

/**
 * The `HARMA_*` names a text mentions as environment variables: every one except identifiers —
 * by default those the text itself declares.
 */
export function mentionedVariables(text: string, identifiers: Set<string> = declaredIdentifiers(text)): Set<string> {
  return new Set([...text.matchAll(/\bHARMA_[A-Z0-9_]+\b/g)].map((match) => match[0]).filter((name) => !identifiers.has(name)));
}

/**
 * Every mention under `root`, by variable: the files (relative, `/`-separated) and how each counts.
 * A name some code file declares as an identifier is no variable anywhere (it is imported and
 * documented under that name too).
 */
export function variableMentions(root: string): Map<string, Array<{ file: string; use: VariableUse }>> {
  const files: Array<{ file: string; use: VariableUse; text: string }> = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const file = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) visit(file);
        continue;
      }
      const use = variableUse(file);
      if (entry.isFile() && use) files.push({ file, use, text: readFileSync(path.join(root, file), 'utf8') });
    }
  };
  visit('');
  const identifiers = new Set(files.filter(({ file }) => CODE.test(file)).flatMap(({ text }) => [...declaredIdentifiers(text)]));
  const mentions = new Map<string, Array<{ file: string; use: VariableUse }>>();
  for (const { file, use, text } of files) {
    for (const name of mentionedVariables(text, identifiers)) {
      const list = mentions.get(name) ?? [];
      list.push({ file, use });
      mentions.set(name, list);
    }
  }
  return mentions;
}

interface TurboJson {
  tasks?: Record<string, { env?: string[] }>;
}

/**
 * What turbo.json fails to declare: runtime and test mentions need the `test` task's `env`,
 * runtime and bench mentions the `bench` task's, and a documented variable one of the two —
 * else strict env mode hides the variable from the task and leaves it out of the cache key. A
 * declared `HARMA_*` name nothing mentions is reported too, so the list stays true.
 */
export function undeclaredVariables(mentions: Map<string, Array<{ file: string; use: VariableUse }>>, turbo: TurboJson): string[] {
  const declared = (task: string): Set<string> => new Set(turbo.tasks?.[task]?.env ?? []);
  const test = declared('test');
  const bench = declared('bench');
  const problems: string[] = [];
  for (const [name, uses] of [...mentions].sort(([a], [b]) => a.localeCompare(b))) {
    const where = (kinds: VariableUse[]): string => uses.find((use) => kinds.includes(use.use))?.file ?? '';
    if (uses.some((use) => use.use === 'runtime' || use.use === 'test') && !test.has(name)) {
      problems.push(`${name} (${where(['runtime', 'test'])}) is missing from tasks.test.env`);
    }
    if (uses.some((use) => use.use === 'runtime' || use.use === 'bench') && !bench.has(name)) {
      problems.push(`${name} (${where(['runtime', 'bench'])}) is missing from tasks.bench.env`);
    }
    if (uses.every((use) => use.use === 'docs') && !test.has(name) && !bench.has(name)) {
      problems.push(`${name} (${where(['docs'])}) is documented but in neither tasks.test.env nor tasks.bench.env`);
    }
  }
  for (const [task, names] of [['test', test], ['bench', bench]] as const) {
    for (const name of names) if (name.startsWith('HARMA_') && !mentions.has(name)) problems.push(`tasks.${task}.env declares ${name}, which nothing mentions`);
  }
  return problems;
}
