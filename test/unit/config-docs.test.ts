// docs/configuration.md documents every option the parser accepts, with its default, and the
// list of accepted-but-ignored overlayroot options; a new option cannot ship undocumented.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, IGNORED_OPTIONS, OPTIONS } from '../../src/overlayroot/config/index.js';
import { repoRoot } from '../helpers/cli.js';

const doc = readFileSync(path.join(repoRoot, 'docs/configuration.md'), 'utf8');
const row = (name: string) => doc.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));

describe('docs/configuration.md', () => {
  for (const [name, def] of Object.entries(OPTIONS)) {
    it(`documents ${name} for ${def.modes.join(', ')} mode`, () => {
      const line = row(name);
      expect(line, `no table row for ${name}`).toBeDefined();
      const modes = def.modes.length === 3 ? 'all' : def.modes.join(', ');
      expect(line).toContain(`| ${modes} |`);
    });
  }

  it('states the compatible defaults', () => {
    for (const [name, value] of [['dir', DEFAULTS.dir], ['mapname', DEFAULTS.mapname], ['fstype', DEFAULTS.fstype], ['driver', DEFAULTS.driver], ['failure', DEFAULTS.failure], ['mkfs', String(DEFAULTS.mkfs)], ['timeout', String(DEFAULTS.timeout)]] as const) {
      expect(row(name)).toContain(`| \`${value}\` |`);
    }
  });

  it('lists the options accepted but ignored', () => {
    for (const name of Object.keys(IGNORED_OPTIONS)) expect(row(name)).toBeDefined();
  });
});
