// The entropy stage the boot calls: mix saved seeds into /dev/urandom, make sure the kernel CRNG
// is ready, hash every source into a SHA-512 pool and hand back the 128-hex passphrase as a
// Secret together with a report that contains no secret bytes. docs/entropy.md explains why
// each step is there and what each source is really worth.
import type { Host } from '../system/host.js';
import type { Secret } from '../system/secret.js';
import type { EntropySourceRecord } from '../overlayroot/state.js';
import { waitForCrng } from './crng.js';
import { CrngNotReadyError, CsprngUnavailableError } from './errors.js';
import { RequiredSourceError, gatherInto } from './gather.js';
import { passphraseFromDigest } from './passphrase.js';
import { EntropyPool } from './pool.js';
import { summarizeReport, type EntropyReport } from './report.js';
import { mixSeedFiles } from './seedfiles.js';
import { CSPRNG_PATH, kernelCsprng, type Csprng } from './sources/csprng.js';
import { poolSources } from './sources/index.js';

export type { EntropyReport } from './report.js';
export type { Csprng } from './sources/csprng.js';
export { CrngNotReadyError, CsprngUnavailableError } from './errors.js';

export interface DeriveOptions {
  /** Where the real root is mounted (its seed files are used); default '/'. */
  rootmnt?: string;
  /** Backing device whose first 4096 bytes are mixed in (optional). */
  device?: string;
  /** Bound for the CRNG readiness wait; default 10 s. On timeout the derivation fails. */
  crngWaitMs?: number;
  /** Injectable for tests; default: 4096 bytes of the kernel's /dev/urandom. */
  csprng?: Csprng;
  /** Write the seed files into /dev/urandom first (default true; `entropy report` turns it off). */
  mixSeeds?: boolean;
  /** Also read this hardware RNG through the FIPS 140-2 tests, e.g. '/dev/hwrng' (default: no). */
  hwrng?: string;
  hwrngBlocks?: number;
  hwrngWaitMs?: number;
}

/** Write the seed files into /dev/urandom (mixed, not credited). derivePassphrase does this itself. */
export async function seedUrandom(host: Host, options: { rootmnt?: string } = {}): Promise<EntropySourceRecord[]> {
  return mixSeedFiles(host, options.rootmnt ?? '/');
}

export async function derivePassphrase(host: Host, options: DeriveOptions = {}): Promise<{ passphrase: Secret; report: EntropyReport }> {
  const rootmnt = options.rootmnt ?? '/';
  const mixed = options.mixSeeds === false ? [] : mixSeedFiles(host, rootmnt);

  const crng = await waitForCrng(host, { timeoutMs: options.crngWaitMs });
  const reportWith = (sources: EntropySourceRecord[]): EntropyReport => ({
    crngReady: crng.ready,
    crngWaitMs: crng.waitedMs,
    sources: [...mixed, ...sources],
  });
  if (!crng.ready) {
    host.log.error(`kernel CRNG not ready: ${crng.detail}`);
    throw new CrngNotReadyError(crng.detail, reportWith([]));
  }
  host.log.info(`kernel CRNG ready after ${crng.waitedMs} ms (${crng.detail})`);

  const pool = new EntropyPool();
  const sources = poolSources(host, {
    rootmnt,
    device: options.device,
    csprng: options.csprng ?? kernelCsprng(host),
    csprngPath: options.csprng ? undefined : CSPRNG_PATH,
    hwrng: options.hwrng,
    hwrngBlocks: options.hwrngBlocks,
    hwrngWaitMs: options.hwrngWaitMs,
  });
  let records: EntropySourceRecord[];
  try {
    records = await gatherInto(pool, sources);
  } catch (error) {
    if (!(error instanceof RequiredSourceError)) throw error;
    host.log.error(`cannot derive a passphrase: ${error.message}`);
    throw new CsprngUnavailableError(error.reason, reportWith(error.records), error.cause);
  }
  for (const record of records) host.log.debug(`entropy source ${record.name}: ${record.status}, ${record.bytes} bytes, ${record.durationMs} ms`);

  const report = reportWith(records);
  host.log.info(summarizeReport(report));
  return { passphrase: passphraseFromDigest(pool.digest()), report };
}
