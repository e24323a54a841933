// Machine paths under a host root: underRoot skips normalize() for paths that are already normal,
// and must give exactly what normalize() gives, and never leave the root.
import fc from 'fast-check';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { underRoot } from '../../src/system/host.js';
import { tokenizeCmdline } from '../../src/overlayroot/config/cmdline.js';

const segment = fc.constantFrom('a', 'b c', '.', '..', '', '.x', '..y', '...', 'media', 'root-ro');
const machinePath = fc.tuple(fc.boolean(), fc.array(segment, { maxLength: 6 })).map(([absolute, parts]) => `${absolute ? '/' : ''}${parts.join('/')}`);

describe('underRoot', () => {
  it('is path.posix.normalize under "/" and a join under any other root, for every path', () => {
    fc.assert(
      fc.property(machinePath, (p) => {
        const normalized = path.posix.normalize(`/${p}`);
        expect(underRoot('/', p)).toBe(normalized);
        expect(underRoot('/tmp/fixture', p)).toBe(path.join('/tmp/fixture', normalized));
        expect(underRoot('/tmp/fixture', p).startsWith('/tmp/fixture')).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps normal paths as they are', () => {
    for (const p of ['/', '/proc/cmdline', '/.random-seed', '/a/..b/...']) expect(underRoot('/', p)).toBe(p);
    expect(underRoot('/', '/a/../../etc')).toBe('/etc');
  });
});

describe('tokenizeCmdline', () => {
  it('separates words at exactly the characters of the regular expression class \\s', () => {
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      if (c === '"' || c === '=') continue;
      expect(tokenizeCmdline(`a${c}b`).length, `U+${code.toString(16)}`).toBe(/\s/.test(c) ? 2 : 1);
    }
  });
});
