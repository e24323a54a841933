import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { repoRoot, runCli } from '../helpers/cli.js';

describe('version', () => {
  it('matches package.json, and oroot --version prints it', async () => {
    const pkg = JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const result = await runCli(['--version']);
    expect(result.stdout.trim()).toBe(pkg.version);
  });
});
