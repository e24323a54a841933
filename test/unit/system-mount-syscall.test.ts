// The pure half of the mount(2) binding: mount(8)-style option words as flags and data, the flags
// a remount must keep, and loading an addon that is not there (native.ts). The syscalls themselves are proven on the real kernel in
// test/integration/mount-syscall.test.ts.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  mountFlagsOf,
  mountOptionsToFlags,
  MS_DIRSYNC,
  MS_LAZYTIME,
  MS_NOATIME,
  MS_NODEV,
  MS_NODIRATIME,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_RELATIME,
  MS_SILENT,
  MS_STRICTATIME,
  MS_SYNCHRONOUS,
} from '../../src/system/mount-syscall.js';
import { findMount, parseMountinfo } from '../../src/system/mounts.js';
import { loadNativeSys } from '../../src/system/native.js';
import { tempDir } from '../helpers/machine.js';

describe('mountOptionsToFlags', () => {
  it('turns flag words into flags and keeps every other word as data, in order', () => {
    expect(mountOptionsToFlags(['ro', 'mode=0755', 'nosuid', 'size=10m', 'nodev', 'noexec', 'errors=remount-ro'])).toEqual({
      flags: MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
      data: 'mode=0755,size=10m,errors=remount-ro',
    });
    expect(mountOptionsToFlags(['lowerdir=/a:/b', 'upperdir=/u', 'workdir=/w'])).toEqual({ flags: 0, data: 'lowerdir=/a:/b,upperdir=/u,workdir=/w' });
    expect(mountOptionsToFlags([])).toEqual({ flags: 0, data: '' });
  });

  it('lets a later word override an earlier one, as mount(8) does', () => {
    expect(mountOptionsToFlags(['ro', 'rw']).flags).toBe(0);
    expect(mountOptionsToFlags(['rw', 'ro']).flags).toBe(MS_RDONLY);
    expect(mountOptionsToFlags(['nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'sync', 'async']).flags).toBe(0);
    expect(mountOptionsToFlags(['noatime', 'atime', 'nodiratime', 'diratime', 'relatime', 'norelatime']).flags).toBe(0);
    expect(mountOptionsToFlags(['strictatime', 'nostrictatime', 'lazytime', 'nolazytime', 'silent', 'loud']).flags).toBe(0);
    expect(mountOptionsToFlags(['atime', 'noatime', 'diratime', 'nodiratime', 'async', 'sync', 'loud', 'silent', 'nolazytime', 'lazytime']).flags).toBe(
      MS_NOATIME | MS_NODIRATIME | MS_SYNCHRONOUS | MS_SILENT | MS_LAZYTIME,
    );
  });

  it('treats defaults as util-linux does: it changes nothing', () => {
    expect(mountOptionsToFlags(['defaults'])).toEqual({ flags: 0, data: '' });
    expect(mountOptionsToFlags(['ro', 'defaults', 'size=1m']).flags).toBe(MS_RDONLY);
    expect(mountOptionsToFlags(['defaults', 'noexec']).flags).toBe(MS_NOEXEC);
  });

  it('skips empty words', () => {
    expect(mountOptionsToFlags(['', 'mode=0700', ''])).toEqual({ flags: 0, data: 'mode=0700' });
  });
});

describe('mountFlagsOf', () => {
  const table = parseMountinfo(
    [
      '64 69 7:0 / /media/root-ro ro,relatime - ext4 /dev/loop0 ro',
      '73 69 0:44 / /run rw,nosuid,nodev,relatime - tmpfs tmpfs rw,mode=755',
      '80 69 0:50 / /srv rw,nosuid,nodev,noexec,noatime,nodiratime - ext4 /dev/vdb rw,sync,dirsync,lazytime,errors=remount-ro',
      '81 69 0:51 / /strict rw - tmpfs tmpfs rw',
    ].join('\n'),
  );
  const flagsAt = (mountPoint: string) => mountFlagsOf(findMount(table, mountPoint)!);

  it('reads ro and the per-mount flags', () => {
    expect(flagsAt('/media/root-ro')).toBe(MS_RDONLY | MS_RELATIME);
    expect(flagsAt('/run')).toBe(MS_NOSUID | MS_NODEV | MS_RELATIME);
  });

  it('adds the superblock flags a remount would otherwise clear, and ignores the filesystem options', () => {
    expect(flagsAt('/srv')).toBe(MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_SYNCHRONOUS | MS_DIRSYNC | MS_LAZYTIME);
  });

  it('reads a mount listed with neither noatime nor relatime as strictatime', () => {
    expect(flagsAt('/strict')).toBe(MS_STRICTATIME);
  });
});

describe('loadNativeSys', () => {
  const load = (addonPath: string): { ok: boolean; reason?: string } => loadNativeSys(addonPath);
  let work: ReturnType<typeof tempDir> | undefined;
  afterEach(() => work?.cleanup());

  it('gives a reason naming the path for a missing file', () => {
    const missing = '/nonexistent/oroot-sys.node';
    const loaded = load(missing);
    expect(loaded.ok).toBe(false);
    expect(loaded.reason).toContain(missing);
  });

  it('gives a reason naming the path for a file that is not a shared object', () => {
    work = tempDir('oroot-addon-');
    const notElf = path.join(work.dir, 'oroot-sys.node');
    writeFileSync(notElf, 'not an ELF file\n');
    const loaded = load(notElf);
    expect(loaded.ok).toBe(false);
    expect(loaded.reason).toContain(notElf);
  });
});
