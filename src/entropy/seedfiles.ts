// Seed files: bytes saved by an earlier boot (or baked into the initramfs) that we write into
// /dev/urandom before gathering. A write to /dev/urandom MIXES the bytes into the kernel's input
// pool but CREDITS NO ENTROPY: it can only help, never make the kernel claim readiness, and the
// CRNG picks the bytes up at its next reseed. The same files are also hashed into our pool.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Host } from '../system/host.js';
import type { EntropySourceRecord } from '../overlayroot/state.js';
import { describeError, elapsedMs, readHead, statusOfError } from './sources/read.js';

/** Seeds larger than this add nothing: the kernel's input pool is 256 bits. */
export const SEED_READ_LIMIT = 4096;
export const URANDOM = '/dev/urandom';
/** Report names of mixing records: "mix:systemd". */
export const MIX_PREFIX = 'mix:';

export interface SeedFile {
  /** Short name used in reports and in the pool framing. */
  name: string;
  /** Machine path, given where the real root is mounted. */
  path(rootmnt: string): string;
}

export const SEED_FILES: readonly SeedFile[] = [
  // Written by overlayroot's initramfs hook at build time; the same on every boot until rebuilt.
  { name: 'initramfs', path: () => '/.random-seed' },
  // systemd-random-seed.service saves this at boot and shutdown.
  { name: 'systemd', path: (rootmnt) => path.posix.join(rootmnt, 'var/lib/systemd/random-seed') },
  // sysvinit's urandom script.
  { name: 'sysvinit', path: (rootmnt) => path.posix.join(rootmnt, 'var/lib/urandom/random-seed') },
];

/**
 * Write every seed file that exists into /dev/urandom. One record per seed file, named
 * "mix:<name>"; a missing seed is normal (first boot, no systemd) and only reported.
 */
export function mixSeedFiles(host: Host, rootmnt = '/'): EntropySourceRecord[] {
  const records: EntropySourceRecord[] = [];
  let urandomFd: number | undefined;
  let urandomError: unknown;
  try {
    // No O_CREAT: under a fixture root a missing /dev/urandom must not become a regular file.
    urandomFd = openSync(host.path(URANDOM), constants.O_WRONLY);
  } catch (error) {
    urandomError = error;
  }
  try {
    for (const seed of SEED_FILES) records.push(mixOne(host, seed, rootmnt, urandomFd, urandomError));
  } finally {
    if (urandomFd !== undefined) closeSync(urandomFd);
  }
  return records;
}

function mixOne(host: Host, seed: SeedFile, rootmnt: string, urandomFd: number | undefined, urandomError: unknown): EntropySourceRecord {
  const started = performance.now();
  const machinePath = seed.path(rootmnt);
  const name = `${MIX_PREFIX}${seed.name}`;
  let bytes: Buffer;
  try {
    bytes = readHead(host.path(machinePath), SEED_READ_LIMIT);
  } catch (error) {
    host.log.debug(`no seed file ${machinePath} (${describeError(error)})`);
    return { name, bytes: 0, durationMs: elapsedMs(started), status: statusOfError(error), detail: `${machinePath}: ${describeError(error)}` };
  }
  try {
    if (urandomFd === undefined) throw urandomError;
    writeSync(urandomFd, bytes);
  } catch (error) {
    host.log.warn(`could not mix ${machinePath} into ${URANDOM}: ${describeError(error)}`);
    return { name, bytes: 0, durationMs: elapsedMs(started), status: 'failed', detail: `${URANDOM}: ${describeError(error)}` };
  } finally {
    bytes.fill(0);
  }
  host.log.info(`mixed ${bytes.length} bytes of ${machinePath} into ${URANDOM} (mixed, not credited: the kernel counts no entropy for it)`);
  return { name, bytes: bytes.length, durationMs: elapsedMs(started), status: 'ok', detail: `${machinePath}: mixed into ${URANDOM}, not credited` };
}
