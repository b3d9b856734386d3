/** The comment that marks a README's runnable example: the next ```js block runs in the pack check. */
export const EXAMPLE_MARKER = '<!-- pack-check: example -->';

/**
 * The code of the block that follows the marker in a README, or undefined when the README has no
 * marker. A marker not followed by a ```js / ```mjs block is an error.
 */
export function extractReadmeExample(markdown: string, source = 'README.md'): string | undefined {
  const at = markdown.indexOf(EXAMPLE_MARKER);
  if (at < 0) return undefined;
  const rest = markdown.slice(at + EXAMPLE_MARKER.length);
  const match = /^\s*```(?:js|mjs|javascript)\n([\s\S]*?)\n```/.exec(rest);
  if (!match) throw new Error(`${source}: ${EXAMPLE_MARKER} must be followed by a \`\`\`js code block`);
  if (markdown.indexOf(EXAMPLE_MARKER, at + 1) >= 0) throw new Error(`${source}: more than one ${EXAMPLE_MARKER}`);
  return match[1] as string;
}

const IMPORT = /^import\s+(?:([\w$]+)\s*,?\s*)?(?:\*\s+as\s+([\w$]+)|\{([^}]*)\})?\s*from\s*['"]([^'"]+)['"];?[ \t]*$/gm;

function destructure(names: string): string {
  return names
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
    .map((name) => name.replace(/^([\w$]+)\s+as\s+([\w$]+)$/, '$1: $2'))
    .join(', ');
}

/**
 * The same program as CommonJS: `import` declarations become `require` calls (or `await import()`
 * for the packages in `esmOnly`, as CommonJS users must load them), and the body runs in an async
 * function (CommonJS has no top-level await). Only the import forms README examples use are
 * supported; anything else is refused rather than guessed.
 */
export function toCommonJs(code: string, esmOnly: ReadonlySet<string> = new Set()): string {
  const body = code.replace(IMPORT, (_line, defaultName: string | undefined, namespace: string | undefined, named: string | undefined, specifier: string) => {
    const packageName = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
    const esm = esmOnly.has(packageName as string);
    const load = esm ? `(await import(${JSON.stringify(specifier)}))` : `require(${JSON.stringify(specifier)})`;
    const lines: string[] = [];
    if (defaultName) lines.push(esm ? `const ${defaultName} = ${load}.default;` : `const ${defaultName} = __defaultOf(${load});`);
    if (namespace) lines.push(`const ${namespace} = ${load};`);
    if (named) lines.push(`const { ${destructure(named)} } = ${load};`);
    return lines.join(' ');
  });
  const leftover = /^\s*(import\s|export\s)/m.exec(body);
  if (leftover) throw new Error(`toCommonJs: unsupported module syntax near '${body.slice(leftover.index, leftover.index + 60).trim()}'`);
  if (body.includes('import.meta')) throw new Error('toCommonJs: import.meta has no CommonJS equivalent here; write the example without it');
  return [
    "'use strict';",
    'const __defaultOf = (m) => (m && m.__esModule && "default" in m ? m.default : m);',
    '(async () => {',
    body,
    '})().catch((error) => {',
    '  console.error(error);',
    '  process.exitCode = 1;',
    '});',
    '',
  ].join('\n');
}
