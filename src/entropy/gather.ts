// Read each source in order, frame its bytes into the pool and record what happened. Optional
// sources that fail are reported and skipped; the required one (the CSPRNG) stops everything.
import type { EntropySourceRecord } from '../overlayroot/state.js';
import type { EntropyPool } from './pool.js';
import type { PoolSource } from './sources/index.js';
import { describeError, elapsedMs, statusOfError } from './sources/read.js';

export class RequiredSourceError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
    readonly records: EntropySourceRecord[],
    options: { cause: unknown },
  ) {
    super(`${source}: ${reason}`, options);
  }
}

export async function gatherInto(pool: EntropyPool, sources: readonly PoolSource[]): Promise<EntropySourceRecord[]> {
  const records: EntropySourceRecord[] = [];
  for (const source of sources) {
    if (source.skip !== undefined) {
      records.push({ name: source.name, bytes: 0, durationMs: 0, status: 'skipped', detail: source.skip });
      continue;
    }
    const started = performance.now();
    let data: Buffer;
    let detail: string | undefined;
    try {
      ({ data, detail } = await source.read());
    } catch (error) {
      const reason = describeError(error);
      const failure = source.path && !reason.startsWith(source.path) ? `${source.path}: ${reason}` : reason;
      records.push({ name: source.name, bytes: 0, durationMs: elapsedMs(started), status: statusOfError(error), detail: failure });
      if (source.required) throw new RequiredSourceError(source.name, failure, records, { cause: error });
      continue;
    }
    pool.add(source.name, data);
    if (source.secret) data.fill(0);
    detail ??= source.path;
    records.push({ name: source.name, bytes: data.length, durationMs: elapsedMs(started), status: 'ok', ...(detail ? { detail } : {}) });
  }
  return records;
}
