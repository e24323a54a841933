// Reading helpers shared by the sources: bounded reads of files and character devices, a
// non-blocking read for devices that may not have data yet, and the mapping from errno to the
// status a report shows. Machine paths are resolved by the caller through host.path().
import { closeSync, constants, openSync, readSync } from 'node:fs';
import type { EntropySourceRecord } from '../../overlayroot/state.js';

export type SourceStatus = EntropySourceRecord['status'];

/** Read up to `limit` bytes from the start of `file` (like `head -c`), fewer if it is shorter. */
export function readHead(file: string | Buffer, limit: number): Buffer {
  const fd = openSync(file, constants.O_RDONLY);
  try {
    return readUpTo(fd, limit);
  } finally {
    closeSync(fd);
  }
}

function readUpTo(fd: number, limit: number): Buffer {
  const buffer = Buffer.alloc(limit);
  let filled = 0;
  while (filled < limit) {
    const n = readSync(fd, buffer, filled, limit - filled, null);
    if (n === 0) break;
    filled += n;
  }
  return filled === limit ? buffer : buffer.subarray(0, filled);
}

/**
 * Read `length` bytes from a device that may make us wait (/dev/random before the CRNG is
 * ready, /dev/hwrng while the hypervisor answers), without ever blocking a thread: the file is
 * opened O_NONBLOCK and polled until `deadline` (a performance.now() value). A blocked read
 * could not be cancelled, and a pending read keeps Node's event loop (and the boot) alive.
 * Returns what was read by the deadline, possibly fewer bytes than asked for.
 */
export async function readNonBlocking(
  file: string,
  length: number,
  deadline: number,
  pollMs = 10,
): Promise<Buffer> {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  const buffer = Buffer.alloc(length);
  let filled = 0;
  try {
    for (;;) {
      const n = readOrZeroWhenBusy(fd, buffer, filled);
      filled += n;
      if (filled === length || performance.now() >= deadline) break;
      if (n === 0) await sleep(Math.min(pollMs, Math.max(0, deadline - performance.now())));
    }
  } finally {
    closeSync(fd);
  }
  return buffer.subarray(0, filled);
}

function readOrZeroWhenBusy(fd: number, buffer: Buffer, offset: number): number {
  try {
    return readSync(fd, buffer, offset, buffer.length - offset, null);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
    throw error;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How a failed read shows in the report: absent things are "missing", forbidden ones "unreadable". */
export function statusOfError(error: unknown): SourceStatus {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO' || code === 'ENOTDIR') return 'missing';
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
  return 'failed';
}

/** A short reason for the report, e.g. "ENOENT"; never contains file contents. */
export function describeError(error: unknown): string {
  const errno = error as NodeJS.ErrnoException;
  return errno.code ?? (error instanceof Error ? error.message : String(error));
}

/** Milliseconds with microsecond precision, for reports. */
export function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
