import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STAT_FIELDS, statWalk } from '../../src/entropy/sources/stat.js';
import { tempDir } from '../helpers/machine.js';
import { documentedStatWalk } from '../fixtures/entropy/fixture.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('oroot-stat-'));
  writeFileSync(path.join(dir, 'b-file'), 'content');
  mkdirSync(path.join(dir, 'a-dir'));
  writeFileSync(path.join(dir, '.hidden'), 'not in the shell glob');
  symlinkSync('b-file', path.join(dir, 'c-link'));
});
afterEach(() => cleanup());

/** Entry names in the order they were encoded. */
function encodedNames(data: Buffer): string[] {
  const names: string[] = [];
  for (let at = 0; at < data.length; ) {
    const length = data.readUInt16BE(at);
    names.push(data.subarray(at + 2, at + 2 + length).toString());
    at += 2 + length + 8 * STAT_FIELDS.length;
  }
  return names;
}

describe('statWalk', () => {
  it('encodes every visible entry exactly as docs/entropy.md describes', () => {
    const walk = statWalk(dir);
    expect(walk.data).toEqual(documentedStatWalk(dir));
    expect(walk.entries).toBe(3);
  });

  it('sorts names and skips dot entries, like `stat -L dir/*`', () => {
    expect(encodedNames(statWalk(dir).data)).toEqual(['a-dir', 'b-file', 'c-link']);
  });

  it('follows symbolic links: the link entry carries the target inode and size', () => {
    const data = statWalk(dir).data;
    const entryBytes = 2 + 6 + 8 * STAT_FIELDS.length; // every name here is 5 or 6 bytes long
    const linkOffset = data.length - entryBytes; // c-link is last
    const inode = data.readBigUInt64BE(linkOffset + 2 + 6 + 8 * STAT_FIELDS.indexOf('ino'));
    const size = data.readBigUInt64BE(linkOffset + 2 + 6 + 8 * STAT_FIELDS.indexOf('size'));
    const target = statSync(path.join(dir, 'b-file'), { bigint: true });
    expect(inode).toBe(target.ino);
    expect(size).toBe(7n);
  });

  it('skips and counts entries that cannot be stat-ed, instead of failing', () => {
    symlinkSync('nowhere', path.join(dir, 'd-dangling'));
    const walk = statWalk(dir);
    expect(walk.entries).toBe(3);
    expect(walk.skipped).toBe(1);
  });

  it('keeps nanoseconds of the timestamps', () => {
    const data = statWalk(dir).data;
    const mtimeNs = data.readBigUInt64BE(2 + 5 + 8 * STAT_FIELDS.indexOf('mtimeNs')); // a-dir is first
    expect(mtimeNs).toBe(statSync(path.join(dir, 'a-dir'), { bigint: true }).mtimeNs);
  });

  it('throws when the directory itself is missing (the caller reports it)', () => {
    expect(() => statWalk(path.join(dir, 'absent'))).toThrow(/ENOENT/);
  });

  it('walks the real /proc, where processes come and go, without failing', () => {
    const walk = statWalk('/proc');
    expect(walk.entries).toBeGreaterThan(10);
    expect(walk.data.length).toBeGreaterThan(walk.entries * 8 * STAT_FIELDS.length);
  });
});
