// The fstab rewrite against golden files (test/fixtures/fstab/<case>/): input fstab and options in,
// exact fstab, directories and notes out. OROOT_UPDATE_GOLDEN=1 rewrites the expected files.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rewriteFstab, type RewriteOptions } from '../../src/overlayroot/fstab/index.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/fstab');
const update = process.env.OROOT_UPDATE_GOLDEN === '1';
const cases = readdirSync(fixtures, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);

const read = (dir: string, name: string) => {
  const file = path.join(fixtures, dir, name);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};

describe('fstab rewrite golden files', () => {
  it('has the cases the specification names', () => {
    for (const name of ['escapes', 'four-field', 'swap-0', 'swap-1', 'unsupported', 'network', 'bind', 'virtual', 'nested', 'recurse-0', 'no-fstab-ro', 'no-fstab-rw', 'usr']) {
      expect(cases).toContain(name);
    }
  });

  for (const name of cases) {
    it(name, () => {
      const options = JSON.parse(read(name, 'options.json')!) as RewriteOptions;
      const result = rewriteFstab(read(name, 'fstab'), options);
      const summary = `${JSON.stringify({ directories: result.directories, notes: result.notes }, null, 2)}\n`;
      if (update) {
        if (result.text === undefined) rmSync(path.join(fixtures, name, 'expected.fstab'), { force: true });
        else writeFileSync(path.join(fixtures, name, 'expected.fstab'), result.text);
        writeFileSync(path.join(fixtures, name, 'expected.json'), summary);
      }
      expect(result.text).toBe(read(name, 'expected.fstab'));
      expect(summary).toBe(read(name, 'expected.json'));
    });
  }
});
