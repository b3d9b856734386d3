import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath, repositoryRoot } from './repository';

describe('repositoryRoot and fixturePath', () => {
  it('finds the nearest folder with turbo.json and fixtures/ above the given one', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'test-support-root-'));
    writeFileSync(path.join(root, 'turbo.json'), '{}');
    mkdirSync(path.join(root, 'fixtures'));
    // A nested turbo.json without fixtures/ (a package's own) is not the root.
    const nested = path.join(root, 'packages', 'x', 'src');
    mkdirSync(nested, { recursive: true });
    writeFileSync(path.join(root, 'packages', 'x', 'turbo.json'), '{}');
    expect(repositoryRoot(nested)).toBe(root);
  });

  it('says where it looked when there is no repository above', () => {
    const lonely = mkdtempSync(path.join(os.tmpdir(), 'test-support-none-'));
    expect(() => repositoryRoot(lonely)).toThrow(`no HarMA.js repository root (turbo.json + fixtures/) above ${lonely}`);
  });

  it('finds this repository from the working directory, and its committed fixtures', () => {
    const root = repositoryRoot();
    expect(path.join(root, 'tools', 'test-support')).toBe(path.resolve('.'));
    expect(fixturePath('golden', 'metrics', 'cases.json')).toBe(path.join(root, 'fixtures', 'golden', 'metrics', 'cases.json'));
  });
});
