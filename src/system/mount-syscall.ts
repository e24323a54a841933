// mount(2) and umount2(2) without a child process, through the Node-API addon built from
// native/oroot_sys.c (loaded by native.ts), and the mount(8) option words as mount(2) takes them.
// Under emulation each `mount` process costs 0.1-0.15 s of the boot.
import type { MountEntry } from './mounts.js';

// <linux/mount.h>
export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_SYNCHRONOUS = 16;
export const MS_REMOUNT = 32;
export const MS_DIRSYNC = 128;
export const MS_NOSYMFOLLOW = 256;
export const MS_NOATIME = 1024;
export const MS_NODIRATIME = 2048;
export const MS_MOVE = 8192;
export const MS_SILENT = 32768;
export const MS_PRIVATE = 1 << 18;
export const MS_RELATIME = 1 << 21;
export const MS_STRICTATIME = 1 << 24;
export const MS_LAZYTIME = 1 << 25;

// umount2(2) flags, <sys/mount.h>
export const MNT_DETACH = 2;

/**
 * The addon's functions. A failure throws an Error with `code` ("EBUSY"), `errno` (positive, as in
 * os.constants.errno; Node's own fs errors use negative numbers) and `syscall` ("mount" or
 * "umount2"); a wrong argument throws a TypeError.
 */
export interface MountSyscalls {
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount(target: string, flags?: number): void;
}

/** Option words mount(8) turns into flags: [flag, set (true) or clear (false)]. */
const FLAG_WORDS: ReadonlyMap<string, readonly [number, boolean]> = new Map([
  ['ro', [MS_RDONLY, true]],
  ['rw', [MS_RDONLY, false]],
  ['nosuid', [MS_NOSUID, true]],
  ['suid', [MS_NOSUID, false]],
  ['nodev', [MS_NODEV, true]],
  ['dev', [MS_NODEV, false]],
  ['noexec', [MS_NOEXEC, true]],
  ['exec', [MS_NOEXEC, false]],
  ['sync', [MS_SYNCHRONOUS, true]],
  ['async', [MS_SYNCHRONOUS, false]],
  ['dirsync', [MS_DIRSYNC, true]],
  ['nosymfollow', [MS_NOSYMFOLLOW, true]],
  ['symfollow', [MS_NOSYMFOLLOW, false]],
  ['noatime', [MS_NOATIME, true]],
  ['atime', [MS_NOATIME, false]],
  ['nodiratime', [MS_NODIRATIME, true]],
  ['diratime', [MS_NODIRATIME, false]],
  ['relatime', [MS_RELATIME, true]],
  ['norelatime', [MS_RELATIME, false]],
  ['strictatime', [MS_STRICTATIME, true]],
  ['nostrictatime', [MS_STRICTATIME, false]],
  ['lazytime', [MS_LAZYTIME, true]],
  ['nolazytime', [MS_LAZYTIME, false]],
  ['silent', [MS_SILENT, true]],
  ['loud', [MS_SILENT, false]],
]);

/**
 * mount(8)-style option words as mount(2) takes them: flag words set or clear their flag, the later
 * word winning; every other word goes to `data`, in order, for the filesystem. `defaults` changes
 * nothing, as in util-linux (`ro,defaults` stays read-only): what it stands for is the state with
 * no flags. Userspace-only words (nofail, _netdev, x-*) are not dropped: the filesystem refuses them.
 */
export function mountOptionsToFlags(options: readonly string[]): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const word of options) {
    const flag = FLAG_WORDS.get(word);
    if (flag) flags = flag[1] ? flags | flag[0] : flags & ~flag[0];
    else if (word !== 'defaults' && word !== '') data.push(word);
  }
  return { flags, data: data.join(',') };
}

/** Superblock options that a remount changes like flags (the rest of superOptions is the filesystem's). */
const SUPERBLOCK_FLAG_WORDS = new Set(['sync', 'dirsync', 'lazytime']);

/**
 * The flags an existing mount has now, from its mountinfo line. A remount (MS_REMOUNT) sets the
 * per-mount flags to exactly what it is given, so it must pass these on with only its own change:
 * `MS_REMOUNT | (mountFlagsOf(entry) & ~MS_RDONLY) | MS_RDONLY` makes a mount read-only and keeps
 * nosuid, nodev, noexec and its atime mode.
 */
export function mountFlagsOf(entry: Pick<MountEntry, 'mountOptions' | 'superOptions'>): number {
  const words = [...entry.mountOptions, ...entry.superOptions.filter((word) => SUPERBLOCK_FLAG_WORDS.has(word))];
  const { flags } = mountOptionsToFlags(words);
  // The kernel lists noatime or relatime; neither means strict atime.
  return (flags & (MS_NOATIME | MS_RELATIME)) !== 0 ? flags : flags | MS_STRICTATIME;
}
