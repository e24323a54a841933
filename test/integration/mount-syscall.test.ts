// The mount(2) half of the addon (native/oroot_sys.c) on this machine's kernel, loaded into the test
// runner's own Node.js, as root: tmpfs and overlay mounts, a move, remounts that keep their flags,
// and the errors the boot stage must tell apart. Everything happens on a private tmpfs mounted on a
// fresh temporary directory (private, so a move is allowed even where / is shared), and whatever a
// test leaves mounted is unmounted after it, failed or not.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  MNT_DETACH,
  mountFlagsOf,
  mountOptionsToFlags,
  MS_MOVE,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REMOUNT,
  type MountSyscalls,
} from '../../src/system/mount-syscall.js';
import { findMount, MOUNTINFO, parseMountinfo, type MountEntry } from '../../src/system/mounts.js';
import { SYS_ADDON } from '../helpers/boot-fixture.js';
import { requireRoot, tempDir } from '../helpers/machine.js';
import { buildAddon, buildAndLoadAddon, thrown, typeErrorOf } from '../helpers/native-addon.js';

let sys: MountSyscalls;
let work: ReturnType<typeof tempDir>;
let base: string;

beforeAll(() => {
  requireRoot();
  sys = buildAndLoadAddon();
});

beforeEach(() => {
  work = tempDir('oroot-mount-syscall-');
  base = work.dir;
  sys.mount('oroot-test-base', base, 'tmpfs', 0, 'mode=0755,size=8m');
  sys.mount(null, base, null, MS_PRIVATE, null);
});

afterEach(() => {
  // A lazy unmount of the base takes every mount below it along, whatever a test left.
  while (findMount(table(), base)) sys.umount(base, MNT_DETACH);
  work.cleanup();
});

const table = () => parseMountinfo(readFileSync(MOUNTINFO, 'utf8'));
const mountAt = (mountPoint: string): MountEntry | undefined => findMount(table(), mountPoint);
const dir = (name: string) => {
  const made = path.join(base, name);
  mkdirSync(made, { recursive: true });
  return made;
};

describe('mount and umount on a real kernel', () => {
  it('mounts a tmpfs with flags and filesystem data, as mountinfo shows it', () => {
    const target = dir('tmp');
    const { flags, data } = mountOptionsToFlags(['nosuid', 'nodev', 'mode=0700', 'size=1m']);
    sys.mount('oroot-test', target, 'tmpfs', flags, data);
    const entry = mountAt(target)!;
    expect(entry).toMatchObject({ source: 'oroot-test', fstype: 'tmpfs' });
    expect(entry.mountOptions).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev']));
    expect(entry.superOptions).toEqual(expect.arrayContaining(['size=1024k', 'mode=700']));
    expect(statSync(target).mode & 0o777).toBe(0o700);
    sys.umount(target);
    expect(mountAt(target)).toBeUndefined();
  });

  it('moves a mount with MS_MOVE', () => {
    const [from, to] = [dir('from'), dir('to')];
    sys.mount('oroot-test', from, 'tmpfs', 0, null);
    writeFileSync(path.join(from, 'marker'), 'moved');
    const { mountId } = mountAt(from)!;
    sys.mount(from, to, null, MS_MOVE, null);
    expect(mountAt(from)).toBeUndefined();
    expect(mountAt(to)?.mountId).toBe(mountId);
    expect(readFileSync(path.join(to, 'marker'), 'utf8')).toBe('moved');
  });

  it('remounts read-only and back, keeping the flags and data it does not change', () => {
    const target = dir('remount');
    const { flags, data } = mountOptionsToFlags(['nosuid', 'nodev', 'noexec', 'size=1m']);
    sys.mount('oroot-test', target, 'tmpfs', flags, data);
    sys.mount(null, target, null, MS_REMOUNT | mountFlagsOf(mountAt(target)!) | MS_RDONLY, null);
    expect(mountAt(target)!.mountOptions).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    expect(thrown(() => writeFileSync(path.join(target, 'file'), 'x')).code).toBe('EROFS');

    sys.mount(null, target, null, MS_REMOUNT | (mountFlagsOf(mountAt(target)!) & ~MS_RDONLY), null);
    const entry = mountAt(target)!;
    expect(entry.mountOptions).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev', 'noexec']));
    expect(entry.superOptions).toContain('size=1024k');
    writeFileSync(path.join(target, 'file'), 'x');

    // Why mountFlagsOf exists: a remount with only MS_RDONLY drops the per-mount flags.
    sys.mount(null, target, null, MS_REMOUNT | MS_RDONLY, null);
    expect(mountAt(target)!.mountOptions).not.toContain('nosuid');
  });

  it('mounts an overlay whose writes land in the upper directory', () => {
    const [lower, upper, workdir, merged] = ['lower', 'upper', 'work', 'merged'].map(dir) as [string, string, string, string];
    writeFileSync(path.join(lower, 'from-lower'), 'lower');
    sys.mount('oroot-test-overlay', merged, 'overlay', 0, `lowerdir=${lower},upperdir=${upper},workdir=${workdir}`);
    expect(mountAt(merged)).toMatchObject({ source: 'oroot-test-overlay', fstype: 'overlay' });
    expect(readFileSync(path.join(merged, 'from-lower'), 'utf8')).toBe('lower');
    writeFileSync(path.join(merged, 'written'), 'through the overlay');
    expect(readFileSync(path.join(upper, 'written'), 'utf8')).toBe('through the overlay');
    expect(() => statSync(path.join(lower, 'written'))).toThrow();
    sys.umount(merged);
    expect(mountAt(merged)).toBeUndefined();
  });
});

describe('errors', () => {
  it.each([
    ['mount on a missing target', 'ENOENT', 'mount', () => sys.mount('oroot-test', path.join(base, 'missing'), 'tmpfs', 0, null)],
    ['umount of a directory that is not a mount point', 'EINVAL', 'umount2', () => sys.umount(dir('plain'))],
    ['an unknown filesystem type', 'ENODEV', 'mount', () => sys.mount('oroot-test', dir('unknown'), 'oroot-no-such-fs', 0, null)],
  ])('%s: %s from %s', (_, code, syscall, call) => {
    const error = thrown(call);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code, syscall, errno: constants.errno[code as keyof typeof constants.errno] });
    expect(error.message).toMatch(new RegExp(`^${syscall}\\(2\\): [A-Z]`));
  });

  it('umount of a busy mount: EBUSY', () => {
    const target = dir('busy');
    sys.mount('oroot-test', target, 'tmpfs', 0, null);
    const fd = openSync(path.join(target, 'open'), 'w');
    try {
      expect(thrown(() => sys.umount(target))).toMatchObject({ code: 'EBUSY', syscall: 'umount2', message: 'umount2(2): Device or resource busy' });
    } finally {
      closeSync(fd);
    }
  });

  it('refuses wrong arguments with a TypeError before any call', () => {
    const mount = sys.mount as (...args: unknown[]) => void;
    expect(typeErrorOf(() => mount(null, 42, null, 0, null))).toBe('ERR_INVALID_ARG_TYPE: mount: target must be a string');
    expect(typeErrorOf(() => mount(null, base, null, 0))).toBe('ERR_INVALID_ARG_TYPE: mount: data must be a string or null');
    expect(typeErrorOf(() => mount(null, `${base}\0x`, null, 0, null))).toBe('ERR_INVALID_ARG_VALUE: mount: target must be a string without NUL characters');
    expect(typeErrorOf(() => mount(null, base, null, -1, null))).toBe('ERR_OUT_OF_RANGE: mount: flags must be an integer from 0 to 2^32-1');
    expect(typeErrorOf(() => sys.umount(base, '2' as never))).toBe('ERR_INVALID_ARG_TYPE: umount: flags must be a number');
  });
});

describe('the build', () => {
  it('is byte-for-byte reproducible', () => {
    const outputs = ['a.node', 'b.node'].map((name) => path.join(work.dir, name));
    for (const output of outputs) buildAddon(output);
    expect(readFileSync(outputs[0]!).equals(readFileSync(outputs[1]!))).toBe(true);
    expect(readFileSync(outputs[0]!).equals(readFileSync(SYS_ADDON))).toBe(true);
  });
});
