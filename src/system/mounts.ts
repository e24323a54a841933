// The kernel's mount table, as data. /proc/self/mountinfo (proc(5)) is the one source: unlike
// /proc/mounts it has mount and parent ids (so stacked and hidden mounts can be told apart), the
// root of bind mounts, and per-mount and superblock options separately.
//
// The kernel escapes space, tab, newline and backslash in paths as \040, \011, \012, \134, and in
// option values also the comma (\054), so option lists are split on ',' BEFORE decoding.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Host } from './host.js';

export interface MountEntry {
  readonly mountId: number;
  readonly parentId: number;
  /** "major:minor" of the filesystem's device (0:N for virtual filesystems). */
  readonly majorMinor: string;
  /** The directory of the filesystem that is mounted here ("/" unless a bind of a subdirectory). */
  readonly root: string;
  /** Relative to the reading process's root. */
  readonly mountPoint: string;
  /** Per-mount options: ro/rw, nosuid, nodev, noexec, relatime… */
  readonly mountOptions: readonly string[];
  /** Optional fields: "shared:N", "master:N", "propagate_from:N", "unbindable". */
  readonly propagation: readonly string[];
  readonly fstype: string;
  /** "none" when the filesystem has no source. */
  readonly source: string;
  /** Superblock options, e.g. "lowerdir=/media/root-ro" for an overlay. */
  readonly superOptions: readonly string[];
}

export const MOUNTINFO = '/proc/self/mountinfo';

/** Read and parse the mount table of this process (through host.path, so tests can use a fixture). */
export async function readMountTable(host: Host, file: string = MOUNTINFO): Promise<MountEntry[]> {
  return parseMountinfo(await readFile(host.path(file), 'utf8'));
}

/** Lines that do not have the mountinfo shape are skipped (there are none in a real table). */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (separator < 0 || fields.length < separator + 4) continue;
    const [mountId, parentId, majorMinor, root, mountPoint, mountOptions] = fields;
    entries.push({
      mountId: Number(mountId),
      parentId: Number(parentId),
      majorMinor: majorMinor!,
      root: decodeOctalEscapes(root!),
      mountPoint: decodeOctalEscapes(mountPoint!),
      mountOptions: splitOptions(mountOptions!),
      propagation: fields.slice(6, separator),
      fstype: decodeOctalEscapes(fields[separator + 1]!),
      source: decodeOctalEscapes(fields[separator + 2]!),
      superOptions: splitOptions(fields.slice(separator + 3).join(' ')),
    });
  }
  return entries;
}

/** "\040" → " ": every three-digit octal escape, as the kernel and util-linux write them. */
export function decodeOctalEscapes(text: string): string {
  // Most fields have no escape: skip the replace (a cold regular expression call is slow at boot).
  if (!text.includes('\\')) return text;
  return text.replace(/\\([0-3][0-7]{2})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function splitOptions(field: string): string[] {
  return field === '' ? [] : field.split(',').map(decodeOctalEscapes);
}

/** The value of `name=value` (the last one wins, as for mount(8)); undefined when absent. */
export function optionValue(options: readonly string[], name: string): string | undefined {
  const prefix = `${name}=`;
  for (let i = options.length - 1; i >= 0; i--) if (options[i]!.startsWith(prefix)) return options[i]!.slice(prefix.length);
  return undefined;
}

export function isReadOnly(entry: MountEntry): boolean {
  return entry.mountOptions.includes('ro');
}

/**
 * The mount a path resolves into, following the mount tree as the kernel does: from the root mount
 * down through each path prefix, always taking the mount on top of a stack. Mounts covered by a
 * later mount (on the same point, or on a parent directory) are never returned.
 */
export function resolveMount(entries: readonly MountEntry[], machinePath: string): MountEntry | undefined {
  const ids = new Set(entries.map((e) => e.mountId));
  // A mount whose parent is not listed hangs from outside this process's root (or is the root).
  const childAt = (parent: MountEntry | undefined, point: string) =>
    lastOf(entries, (e) => e.mountPoint === point && (parent ? e.parentId === parent.mountId : !ids.has(e.parentId)));
  let current = topOf(entries, childAt(undefined, '/'));
  const parts = path.posix.resolve('/', machinePath).split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const child = childAt(current, `/${parts.slice(0, i).join('/')}`);
    if (child) current = topOf(entries, child);
  }
  return current;
}

/** The visible mount whose mount point is exactly `mountPoint`. */
export function findMount(entries: readonly MountEntry[], mountPoint: string): MountEntry | undefined {
  const target = path.posix.resolve('/', mountPoint);
  const found = resolveMount(entries, target);
  return found?.mountPoint === target ? found : undefined;
}

export function isMountPoint(entries: readonly MountEntry[], machinePath: string): boolean {
  return findMount(entries, machinePath) !== undefined;
}

/** Visible mounts strictly below `dir`, in mount order (parents before children): unmount in reverse. */
export function mountsUnder(entries: readonly MountEntry[], dir: string): MountEntry[] {
  const base = path.posix.resolve('/', dir);
  const prefix = base === '/' ? '/' : `${base}/`;
  const depth = (e: MountEntry) => e.mountPoint.split('/').length;
  // A moved mount can be listed before its new parent; shallower mount points first puts parents first.
  return entries.filter((e) => e.mountPoint !== base && e.mountPoint.startsWith(prefix) && resolveMount(entries, e.mountPoint) === e).sort((a, b) => depth(a) - depth(b));
}

/** Layers of an overlay mount, from its superblock options (overlayfs escapes ':' and ',' with '\'). */
export function overlayLayers(entry: MountEntry): { lower: string[]; upper?: string; work?: string } {
  const lower = optionValue(entry.superOptions, 'lowerdir');
  const upper = optionValue(entry.superOptions, 'upperdir');
  const work = optionValue(entry.superOptions, 'workdir');
  return {
    lower: lower === undefined ? [] : splitUnescaped(lower, ':').filter(Boolean).map(unescapeBackslashes),
    ...(upper === undefined ? {} : { upper: unescapeBackslashes(upper) }),
    ...(work === undefined ? {} : { work: unescapeBackslashes(work) }),
  };
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function unescapeBackslashes(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/** Follow mounts stacked on `entry`'s own mount point up to the one on top. */
function topOf(entries: readonly MountEntry[], entry: MountEntry | undefined): MountEntry | undefined {
  let current = entry;
  for (;;) {
    const below: MountEntry | undefined = current;
    const above = below && lastOf(entries, (e) => e.parentId === below.mountId && e.mountPoint === below.mountPoint);
    if (!above) return current;
    current = above;
  }
}

function lastOf(entries: readonly MountEntry[], predicate: (entry: MountEntry) => boolean): MountEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (predicate(entries[i]!)) return entries[i];
  return undefined;
}
