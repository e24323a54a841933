// The mount table parser against tables recorded on a real kernel (test/fixtures/mounts/record.sh):
// an overlayroot-style root, and names with every escaped character, stacked and hidden mounts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/system/host.js';
import {
  decodeOctalEscapes,
  findMount,
  isMountPoint,
  isReadOnly,
  mountsUnder,
  optionValue,
  overlayLayers,
  parseMountinfo,
  readMountTable,
  resolveMount,
} from '../../src/system/mounts.js';
import { tempDir } from '../helpers/machine.js';
import { mkdirSync, writeFileSync } from 'node:fs';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/mounts');
const load = (name: string) => parseMountinfo(readFileSync(path.join(fixtures, `${name}.mountinfo`), 'utf8'));
const booted = load('overlayroot');
const escapes = load('escapes');

describe('parseMountinfo on an overlayroot-style root', () => {
  it('reads every field of every line', () => {
    expect(booted).toHaveLength(10);
    expect(findMount(booted, '/')).toEqual({
      mountId: 69,
      parentId: 63,
      majorMinor: '0:40',
      root: '/',
      mountPoint: '/',
      mountOptions: ['rw', 'relatime'],
      propagation: [],
      fstype: 'overlay',
      source: 'overlayroot',
      superOptions: ['rw', 'lowerdir=/media/root-ro', 'upperdir=/media/root-rw/overlay', 'workdir=/media/root-rw/overlay-workdir/_', 'uuid=on'],
    });
  });

  it('finds the layers of the root overlay and of a nested one', () => {
    expect(overlayLayers(findMount(booted, '/')!)).toEqual({
      lower: ['/media/root-ro'],
      upper: '/media/root-rw/overlay',
      work: '/media/root-rw/overlay-workdir/_',
    });
    expect(overlayLayers(findMount(booted, '/home')!).upper).toBe('/media/root-rw/overlay-mounts/home');
  });

  it('tells read-only from read-write mounts', () => {
    expect(isReadOnly(findMount(booted, '/media/root-ro')!)).toBe(true);
    expect(isReadOnly(findMount(booted, '/media/root-rw')!)).toBe(false);
  });

  it('lists the mounts below a directory, parents before children, even when a moved parent is listed later', () => {
    expect(mountsUnder(booted, '/media/root-ro').map((m) => m.mountPoint)).toEqual(['/media/root-ro/home']);
    const all = mountsUnder(booted, '/').map((m) => m.mountPoint);
    expect(all).toHaveLength(9);
    expect(all.indexOf('/media/root-ro')).toBeLessThan(all.indexOf('/media/root-ro/home'));
    expect(mountsUnder(booted, '/media')).toHaveLength(3);
  });

  it('decodes a mount point and a source with a space', () => {
    const data = findMount(booted, '/mnt/data disk')!;
    expect(data.source).toBe('data disk');
    expect(data.mountOptions).toContain('nodev');
  });

  it('resolves a path to the mount that holds it', () => {
    expect(resolveMount(booted, '/home/user/file')!.mountId).toBe(76);
    expect(resolveMount(booted, '/etc/fstab')!.mountId).toBe(69);
    expect(resolveMount(booted, '/media/root-ro/home/readme')!.mountId).toBe(65);
    expect(isMountPoint(booted, '/media/root-ro/')).toBe(true);
    expect(isMountPoint(booted, '/media')).toBe(false);
  });
});

describe('parseMountinfo with escapes, stacks and hidden mounts', () => {
  it('decodes space, tab, newline and backslash in mount points', () => {
    for (const name of ['/with space', '/tab\there', '/new\nline', '/back\\slash']) expect(isMountPoint(escapes, name)).toBe(true);
    expect(findMount(escapes, '/with space')!.source).toBe('source with space');
  });

  it('keeps the root of a bind mount of a subdirectory', () => {
    expect(findMount(escapes, '/src')).toMatchObject({ root: '/sub dir', source: 'source with space' });
  });

  it('returns the mount on top of a stack, and its propagation field', () => {
    expect(findMount(escapes, '/stack')).toMatchObject({ source: 'second', propagation: ['shared:1'] });
    expect(mountsUnder(escapes, '/').filter((m) => m.mountPoint === '/stack')).toHaveLength(1);
  });

  it('does not see a mount hidden by a later mount on its parent directory', () => {
    expect(findMount(escapes, '/hide')!.source).toBe('cover');
    expect(isMountPoint(escapes, '/hide/inner')).toBe(false);
    expect(mountsUnder(escapes, '/hide')).toEqual([]);
  });

  it('splits overlay options before decoding, so an escaped comma and colon stay in the path', () => {
    const overlay = findMount(escapes, '/merged')!;
    expect(optionValue(overlay.superOptions, 'lowerdir')).toBe('/tmp/oroot-mounts.fixture/esc/l\\,o\\:w');
    expect(overlayLayers(overlay).lower).toEqual(['/tmp/oroot-mounts.fixture/esc/l,o:w']);
  });
});

describe('helpers', () => {
  it('decodes only three-digit octal escapes', () => {
    expect(decodeOctalEscapes('a\\040b\\011c\\012d\\134e')).toBe('a b\tc\nd\\e');
    expect(decodeOctalEscapes('\\40x\\9')).toBe('\\40x\\9');
  });

  it('splits a multi-layer lowerdir and ignores data-only separators', () => {
    const entry = parseMountinfo('5 1 0:9 / /m rw - overlay o rw,lowerdir=/a:/b\\134:c::/d,upperdir=/u\n')[0]!;
    expect(overlayLayers(entry)).toEqual({ lower: ['/a', '/b:c', '/d'], upper: '/u' });
  });

  it('takes the last value of a repeated option, and skips lines that are not mountinfo', () => {
    expect(optionValue(['size=1', 'mode=755', 'size=2'], 'size')).toBe('2');
    expect(optionValue(['ro'], 'size')).toBeUndefined();
    expect(parseMountinfo('garbage\n\n1 2 3\n')).toEqual([]);
  });

  it('finds mounts when the reading process sees no mount at its root', () => {
    const table = parseMountinfo('40 20 0:5 / /a rw - tmpfs t rw\n41 40 0:6 / /a/b rw - tmpfs u rw\n');
    expect(findMount(table, '/a/b')!.source).toBe('u');
    expect(resolveMount(table, '/elsewhere')).toBeUndefined();
  });

  it('reads the table through host.path', async () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(path.join(dir, 'proc/self'), { recursive: true });
      writeFileSync(path.join(dir, 'proc/self/mountinfo'), readFileSync(path.join(fixtures, 'overlayroot.mountinfo')));
      expect(await readMountTable(createHost({ root: dir }))).toEqual(booted);
    } finally {
      cleanup();
    }
  });
});
