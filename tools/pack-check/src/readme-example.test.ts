import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_MARKER, extractReadmeExample, toCommonJs } from './readme-example';

describe('extractReadmeExample', () => {
  it('takes the js block after the marker and nothing else', () => {
    const markdown = `# x\n\n\`\`\`js\nnot this\n\`\`\`\n${EXAMPLE_MARKER}\n\`\`\`js\nconsole.log(1);\nconsole.log(2);\n\`\`\`\nmore`;
    expect(extractReadmeExample(markdown)).toBe('console.log(1);\nconsole.log(2);');
    expect(extractReadmeExample('# no marker')).toBeUndefined();
    expect(() => extractReadmeExample(`${EXAMPLE_MARKER}\n\`\`\`sh\nnpm i\n\`\`\``, 'pkg/README.md')).toThrow(/pkg\/README.md: .* must be followed by a ```js code block/);
  });
});

describe('toCommonJs', () => {
  it('turns each import form into require, and ESM-only packages into await import()', () => {
    const code = [
      "import assert from 'node:assert/strict';",
      "import * as tf from '@tensorflow/tfjs-core';",
      "import { a, b as c } from '@x/lib';",
      'import {',
      '  d,',
      '  e,',
      "} from '@x/lib';",
      "import { run } from '@x/esm-only';",
      'await run(a, c, d, e);',
    ].join('\n');
    const cjs = toCommonJs(code, new Set(['@x/esm-only']));
    expect(cjs).toContain('const assert = __defaultOf(require("node:assert/strict"));');
    expect(cjs).toContain('const tf = require("@tensorflow/tfjs-core");');
    expect(cjs).toContain('const { a, b: c } = require("@x/lib");');
    expect(cjs).toContain('const { d, e } = require("@x/lib");');
    expect(cjs).toContain('const { run } = (await import("@x/esm-only"));');
    expect(cjs).not.toMatch(/^import /m);
  });

  it('runs: the program executes with require and its async body', async () => {
    const cjs = toCommonJs("import { join } from 'node:path';\nglobalThis.out = join('a', await Promise.resolve('b'));");
    const context: { require: NodeRequire; process: NodeJS.Process; console: Console; globalThis?: unknown; out?: string } = { require, process, console };
    context.globalThis = context;
    runInNewContext(cjs, context);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(context.out).toBe('a/b');
  });

  it('refuses module syntax it does not translate', () => {
    expect(() => toCommonJs("export const x = 1;")).toThrow(/unsupported module syntax near 'export const x = 1;'/);
    expect(() => toCommonJs("import data from './data.json' with { type: 'json' };")).toThrow(/unsupported module syntax near 'import data/);
    expect(() => toCommonJs('console.log(import.meta.url);')).toThrow(/import.meta/);
  });
});
