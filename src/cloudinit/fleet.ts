// Writing one user-data file per instance for a fleet launch: N files, each with its own seed,
// each created new with mode 0600. Seeds are read in batches and files written with a bounded
// number in flight, so 10,000 files take about as long as the filesystem needs to create them.
// No fsync per file: a crash mid-run leaves files the operator regenerates, not a secret
// exposed, and syncing each one would cost more than everything else together.
import { constants } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { writeError } from './fsErrors.js';
import { eachSeed, readSeeds, type SeedSource } from './seed.js';
import type { UserDataBuilder } from './userdata.js';

const SEEDS_PER_BATCH = 1024;
const FILES_IN_FLIGHT = 32;

export interface FleetRequest {
  dir: string;
  count: number;
  seedBytes: number;
  source: SeedSource;
  /** Replace files that already exist. */
  force: boolean;
}

export interface FleetResult {
  files: string[];
  totalBytes: number;
}

export function fleetFileName(index: number, count: number): string {
  return `user-data-${String(index + 1).padStart(Math.max(4, String(count).length), '0')}`;
}

export async function writeFleet(builder: UserDataBuilder, request: FleetRequest): Promise<FleetResult> {
  const names = Array.from({ length: request.count }, (_, index) => fleetFileName(index, request.count));
  await mkdir(request.dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
    throw writeError(request.dir, error);
  });
  await refuseExisting(request, names);
  const created: string[] = [];
  let totalBytes = 0;
  try {
    for (let first = 0; first < names.length; first += SEEDS_PER_BATCH) {
      const batchNames = names.slice(first, first + SEEDS_PER_BATCH);
      const seeds = [...eachSeed(await readSeeds(request.source, request.seedBytes, batchNames.length), request.seedBytes)];
      let next = 0;
      let stop = false;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < batchNames.length && !stop; i = next++) {
          const file = path.join(request.dir, batchNames[i]!);
          try {
            const { bytes } = builder.build(seeds[i]!);
            await createFile(file, bytes, request.force).catch((error: unknown) => {
              throw writeError(file, error);
            });
            created.push(file);
            totalBytes += bytes.length;
          } catch (error) {
            stop = true;
            throw error;
          }
        }
      };
      // allSettled, not all: every worker must stop before a failure is cleaned up.
      const results = await Promise.allSettled(Array.from({ length: Math.min(FILES_IN_FLIGHT, batchNames.length) }, worker));
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    }
  } catch (error) {
    // Leave no partial fleet behind: remove what this run created, then report the first error.
    await Promise.all(created.map((file) => rm(file, { force: true })));
    throw error;
  }
  return { files: names.map((name) => path.join(request.dir, name)), totalBytes };
}

async function refuseExisting(request: FleetRequest, names: string[]): Promise<void> {
  if (request.force) return;
  const present = new Set(await readdir(request.dir));
  const clashes = names.filter((name) => present.has(name));
  if (clashes.length > 0) {
    throw new UsageError(`${path.join(request.dir, clashes[0]!)} already exists${clashes.length > 1 ? ` (and ${clashes.length - 1} more)` : ''}; refusing to overwrite`, {
      hint: 'Use an empty --out-dir, or pass --force to replace them.',
    });
  }
}

// O_EXCL with mode 0600: the file is never readable by others, not even for a moment (the umask
// can only narrow the mode, so no chmod is needed). With --force an old file is removed first
// rather than rewritten in place, so it cannot keep a wider mode from before.
async function createFile(file: string, bytes: Buffer, replace: boolean): Promise<void> {
  if (replace) await rm(file, { force: true });
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(bytes);
  } catch (error) {
    await handle.close();
    await rm(file, { force: true });
    throw error;
  }
  await handle.close();
}
