// Is the kernel CRNG initialised? The passphrase's strength rests on /dev/urandom, which never
// blocks and, before initialisation, returns output from an unseeded generator. getrandom(2)
// with flags 0 and (since Linux 5.6) /dev/random block exactly until the CRNG is ready; a read
// of /dev/random opened O_NONBLOCK answers the same question with EAGAIN instead of blocking.
// We poll that, bounded, so a machine that never gets ready cannot hang the boot.
//
// In practice the answer is "ready, waited 0 ms": Node's OpenSSL calls getrandom(…, 0) while the
// process starts, so the process cannot run before the CRNG is ready (docs/entropy.md). The
// check is still done and reported, because that is a property of the runtime, not a promise.
import { readFileSync } from 'node:fs';
import type { Host } from '../system/host.js';
import { describeError, elapsedMs, readNonBlocking } from './sources/read.js';

export const DEFAULT_CRNG_WAIT_MS = 10_000;

export interface CrngStatus {
  ready: boolean;
  waitedMs: number;
  /** How readiness was established, for the log. */
  detail: string;
}

export async function waitForCrng(host: Host, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<CrngStatus> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CRNG_WAIT_MS;
  const started = performance.now();
  const kernel = kernelRelease(host);
  if (kernel && !hasGetrandomSemanticsForDevRandom(kernel)) {
    // Before 5.6 /dev/random blocks on its entropy estimate long after the CRNG is ready, so
    // EAGAIN there would not mean "not ready". This process's start-up already waited in
    // getrandom(…, 0), which is the readiness we need.
    return { ready: true, waitedMs: 0, detail: `kernel ${kernel} < 5.6: implied by getrandom() at process start` };
  }
  try {
    const byte = await readNonBlocking(host.path('/dev/random'), 1, started + timeoutMs, options.pollMs);
    const waitedMs = elapsedMs(started);
    if (byte.length === 1) return { ready: true, waitedMs, detail: '/dev/random readable (getrandom semantics)' };
    return { ready: false, waitedMs, detail: `/dev/random still not readable after ${timeoutMs} ms` };
  } catch (error) {
    return { ready: false, waitedMs: elapsedMs(started), detail: `cannot read /dev/random: ${describeError(error)}` };
  }
}

/** "6.1.0-18-amd64" from /proc/sys/kernel/osrelease, or undefined when it cannot be read. */
function kernelRelease(host: Host): string | undefined {
  try {
    return readFileSync(host.path('/proc/sys/kernel/osrelease'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** True for Linux ≥ 5.6, where /dev/random waits only for CRNG readiness; unknown formats count as modern. */
export function hasGetrandomSemanticsForDevRandom(release: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(release);
  if (!match) return true;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 5 || (major === 5 && minor >= 6);
}
