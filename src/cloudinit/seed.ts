// Where seed bytes come from: the OS CSPRNG through node:crypto by default, or a file or device
// the operator names (/dev/random, /dev/hwrng). A fleet asks for many seeds at once, so reading
// is batched: one call returns `count` seeds of `bytes` each, every one distinct.
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { fsReason } from './fsErrors.js';

export const SEED_BYTES = { default: 512, min: 32, max: 8192 } as const;

/** `csprng` is node:crypto (getrandom(2) on Linux); anything else is a path to read from. */
export type SeedSource = { kind: 'csprng' } | { kind: 'path'; path: string };

export const CSPRNG: SeedSource = { kind: 'csprng' };

/** Parse the --bytes value: a whole number inside the bounds. */
export function parseSeedBytes(text: string, flag = '--bytes'): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < SEED_BYTES.min || value > SEED_BYTES.max) {
    throw new UsageError(`${flag} ${text}: the seed size must be a whole number of bytes from ${SEED_BYTES.min} to ${SEED_BYTES.max}`, {
      hint: `${SEED_BYTES.default} bytes (4096 bits) is the default and plenty; below ${SEED_BYTES.min} the seed adds little, above ${SEED_BYTES.max} it crowds the 16 KiB user-data limit.`,
    });
  }
  return value;
}

export function parseSeedSource(text: string | undefined): SeedSource {
  if (text === undefined || text === 'csprng') return CSPRNG;
  if (text === '') throw new UsageError('--source needs a path, e.g. /dev/random, or "csprng"');
  return { kind: 'path', path: text };
}

/** Read `count` seeds of `bytes` each, as one buffer of count × bytes. */
export async function readSeeds(source: SeedSource, bytes: number, count: number): Promise<Buffer> {
  const total = bytes * count;
  return source.kind === 'csprng' ? randomBytes(total) : readExactly(source.path, total);
}

/** Split a batch from readSeeds into its seeds (views, no copy). */
export function* eachSeed(batch: Buffer, bytes: number): Generator<Buffer> {
  for (let offset = 0; offset + bytes <= batch.length; offset += bytes) yield batch.subarray(offset, offset + bytes);
}

// Devices may return short reads (a hardware RNG hands out a few bytes at a time), so loop until
// the buffer is full; a regular file that ends early is an error, never a silently short seed.
async function readExactly(path: string, total: number): Promise<Buffer> {
  const buffer = Buffer.alloc(total);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw sourceError(path, error);
  }
  try {
    let filled = 0;
    while (filled < total) {
      const { bytesRead } = await handle.read(buffer, filled, total - filled, null);
      if (bytesRead === 0) {
        throw new UsageError(`--source ${path}: it gave only ${filled} of the ${total} bytes needed`, {
          hint: 'Use a device that keeps producing (/dev/random, /dev/hwrng) or a larger file, or omit --source to use the OS CSPRNG.',
        });
      }
      filled += bytesRead;
    }
    return buffer;
  } catch (error) {
    throw error instanceof UsageError ? error : sourceError(path, error);
  } finally {
    await handle.close();
  }
}

function sourceError(path: string, error: unknown): UsageError {
  return new UsageError(`--source ${path}: cannot read it: ${fsReason(error)}`, {
    hint: 'Omit --source to use the OS CSPRNG (node:crypto), which is the right choice on almost every machine.',
  });
}
