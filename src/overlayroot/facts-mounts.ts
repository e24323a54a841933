// The mounts the boot stage cares about: the one at $rootmnt and everything below it. Mount points
// are turned into machine paths (relative to host.root), so a test that runs against a fixture
// tree sees the same "/root" and "/root/usr" as the initramfs would.
import { readFileSync } from 'node:fs';
import type { Host } from '../system/host.js';
import { isReadOnly, MOUNTINFO, parseMountinfo, type MountEntry } from '../system/mounts.js';
import { relativeInside } from './plan/layout.js';

export interface MountFact {
  /** Machine path of the mount point. */
  readonly mountPoint: string;
  readonly source: string;
  readonly fstype: string;
  readonly readOnly: boolean;
  /** Per-mount and superblock options, as mountinfo lists them. */
  readonly options: readonly string[];
  /** "major:minor" of the filesystem (for matching a device against what is mounted). */
  readonly majorMinor: string;
}

export interface RootMounts {
  readonly root: MountFact | undefined;
  readonly submounts: readonly MountFact[];
}

export async function readMounts(host: Host, rootmnt: string): Promise<RootMounts> {
  return selectRootMounts(await readMachineMounts(host), rootmnt);
}

/** The whole mount table, mount points as machine paths (mounts outside host.root are left out). */
export async function readMachineMounts(host: Host): Promise<MountEntry[]> {
  let text = '';
  try {
    // Synchronous, like the other small /proc files the boot reads (facts.ts).
    text = readFileSync(host.path(MOUNTINFO), 'utf8');
  } catch (error) {
    host.log.debug(`cannot read /proc/self/mountinfo: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return asMachinePaths(parseMountinfo(text), host.root);
}

export function asMachinePaths(entries: readonly MountEntry[], hostRoot: string): MountEntry[] {
  if (hostRoot === '/') return [...entries];
  return entries.flatMap((entry) => {
    const mountPoint = relativeInside(hostRoot, entry.mountPoint);
    return mountPoint === undefined ? [] : [{ ...entry, mountPoint }];
  });
}

/** Pure: from the whole table, the visible mount at `rootmnt` and the ones below it. */
export function selectRootMounts(entries: readonly MountEntry[], rootmnt: string): RootMounts {
  const visible = new Map<string, MountFact>();
  for (const entry of entries) {
    // A later line for the same mount point is mounted on top of the earlier one: it is the one seen.
    visible.delete(entry.mountPoint);
    visible.set(entry.mountPoint, toFact(entry, entry.mountPoint));
  }
  const root = visible.get(rootmnt);
  const submounts = [...visible.values()].filter((fact) => relativeInside(rootmnt, fact.mountPoint) !== undefined && fact.mountPoint !== rootmnt);
  return { root, submounts: root ? submounts.sort((a, b) => depth(a.mountPoint) - depth(b.mountPoint)) : [] };
}

function toFact(entry: MountEntry, mountPoint: string): MountFact {
  const options = [...entry.mountOptions, ...entry.superOptions.filter((option) => !entry.mountOptions.includes(option))];
  return {
    mountPoint,
    source: entry.source,
    fstype: entry.fstype,
    readOnly: isReadOnly(entry),
    options,
    majorMinor: entry.majorMinor,
  };
}

function depth(machinePath: string): number {
  return machinePath.split('/').filter(Boolean).length;
}

