// One `oroot chroot` session at a time. Two sessions would undo each other's binds and remount the
// lower read-only under the other one (overlayroot-chroot's weakness W12). The lock file under /run
// names its holder (pid and process start time, so a reused pid is not mistaken for the holder) and
// records what the session has changed, so the next session can undo what a session killed with
// SIGKILL left behind.
import { readFile, rm } from 'node:fs/promises';
import { ExitCode, OrootError } from '../errors.js';
import { writeNewFile } from '../system/files.js';
import type { Host } from '../system/host.js';

export const CHROOT_LOCK = '/run/oroot-chroot.lock';

/** Something a session changed, in the order it did it. */
export type SessionChange =
  | { readonly kind: 'mount'; readonly target: string; readonly what: string }
  | { readonly kind: 'writable'; readonly target: string };

export interface LockRecord {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat: with the pid, identifies the process. */
  readonly startTime: string;
  readonly lower: string;
  readonly changes: readonly SessionChange[];
}

/**
 * Take the lock. A lock whose holder is gone is taken over, and its record returned so the caller
 * can undo what that session left behind.
 */
export async function acquireLock(host: Host, lower: string): Promise<{ record: LockRecord; stale: LockRecord | undefined }> {
  const record: LockRecord = { pid: process.pid, startTime: (await startTimeOf(host, process.pid)) ?? '', lower, changes: [] };
  const file = host.path(CHROOT_LOCK);
  let stale: LockRecord | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeNewFile(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      return { record, stale };
    } catch (error) {
      if (!(error instanceof OrootError)) throw error; // not "it exists": a real I/O problem
    }
    const holder = await readLock(host);
    if (holder && (await isAlive(host, holder))) {
      throw new OrootError(`another oroot chroot session (pid ${holder.pid}) is working on ${holder.lower}; refusing a second one`, ExitCode.failure, {
        hint: `Wait for it to end. If pid ${holder.pid} is no oroot chroot session, remove ${CHROOT_LOCK}.`,
      });
    }
    stale = holder ?? stale;
    await rm(file, { force: true });
  }
  throw new OrootError(`cannot take the lock ${CHROOT_LOCK}: another session keeps creating it`);
}

/** Record a change before relying on it, so a killed session can be cleaned up later. */
export async function recordChange(host: Host, record: LockRecord, change: SessionChange): Promise<LockRecord> {
  const next = { ...record, changes: [...record.changes, change] };
  await writeNewFile(host.path(CHROOT_LOCK), `${JSON.stringify(next)}\n`, { mode: 0o600, overwrite: true });
  return next;
}

export async function releaseLock(host: Host): Promise<void> {
  await rm(host.path(CHROOT_LOCK), { force: true });
}

async function readLock(host: Host): Promise<LockRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(host.path(CHROOT_LOCK), 'utf8')) as Partial<LockRecord>;
    if (typeof parsed.pid !== 'number' || !Array.isArray(parsed.changes)) return undefined;
    return { pid: parsed.pid, startTime: String(parsed.startTime ?? ''), lower: String(parsed.lower ?? '?'), changes: parsed.changes };
  } catch {
    return undefined; // unreadable or half-written: its holder died while writing it
  }
}

async function isAlive(host: Host, holder: LockRecord): Promise<boolean> {
  const startTime = await startTimeOf(host, holder.pid);
  return startTime !== undefined && startTime === holder.startTime;
}

/** The start time of a process (clock ticks since boot), undefined when there is no such process. */
export async function startTimeOf(host: Host, pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(host.path(`/proc/${pid}/stat`), 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
