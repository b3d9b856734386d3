import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findImports, packageOf, undeclaredImports } from './dependency-scan';

describe('findImports', () => {
  it('finds static, dynamic, require, require.resolve and createRequire loads, ternaries included', () => {
    const code = [
      'import { a } from "zod";',
      "import * as tf from '@tensorflow/tfjs-core';",
      "export * from './local';",
      "import 'side-effect';",
      'var import_x = require("commander");',
      'const requireFromHere = createRequire(import.meta.url);',
      'var requireHere = (0, import_node_module.createRequire)(importMetaUrl);',
      'requireFromHere(backend === "tensorflow-gpu" ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node");',
      "requireHere.resolve('@scope/wasm/package.json');",
      "const later = await import('onnxruntime-node');",
      'import fs from "node:fs"; import path from "path";',
    ].join('\n');
    expect(findImports(code).map((i) => i.specifier).sort()).toEqual([
      '@scope/wasm/package.json',
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-node-gpu',
      'commander',
      'onnxruntime-node',
      'side-effect',
      'zod',
    ]);
  });

  it('ignores comments, strings that only look like imports, and option names', () => {
    const code = [
      '/** import { x } from "in-a-comment"; */',
      '// const y = require("line-comment");',
      'program.command("import").description("imports data");',
      'program.requiredOption("-c, --config <file>", "YAML config");',
      'const text = "export default from here";',
    ].join('\n');
    expect(findImports(code)).toEqual([]);
  });

  it('maps specifiers to packages', () => {
    expect(packageOf('@scope/name/deep/file.js')).toBe('@scope/name');
    expect(packageOf('protobufjs/light.js')).toBe('protobufjs');
    expect(packageOf('node:fs')).toBeUndefined();
    expect(packageOf('crypto')).toBeUndefined();
    expect(packageOf('./x.js')).toBeUndefined();
  });
});

describe('undeclaredImports', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pack-check-scan-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names packages the code loads but package.json does not declare (devDependencies do not count)', () => {
    mkdirSync(path.join(dir, 'dist'));
    writeFileSync(path.join(dir, 'dist', 'index.js'), 'import { z } from "zod";\nimport YAML from "yaml";\nimport { self } from "@x/me/sub";\n');
    writeFileSync(path.join(dir, 'dist', 'index.cjs'), 'const pino = require("pino");\nconst z = require("zod");\n');
    writeFileSync(path.join(dir, 'dist', 'index.d.ts'), 'import type { Hidden } from "types-only";\n');
    const manifest = { name: '@x/me', version: '1.0.0', dependencies: { zod: '^3' }, devDependencies: { yaml: '^2' } };
    expect(undeclaredImports(dir, manifest, ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts'])).toEqual([
      "@x/me: imports yaml (only a devDependency) without declaring it in dependencies, peerDependencies or optionalDependencies: dist/index.js loads 'yaml'",
      "@x/me: imports pino without declaring it in dependencies, peerDependencies or optionalDependencies: dist/index.cjs loads 'pino'",
    ]);
  });
});
