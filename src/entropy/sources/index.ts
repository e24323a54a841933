// The sources hashed into the pool, in the order they are read and framed. This list is the
// recipe; docs/entropy.md describes each entry and what it is worth.
import type { Host } from '../../system/host.js';
import { SEED_FILES, SEED_READ_LIMIT } from '../seedfiles.js';
import { CSPRNG_BYTES, type Csprng } from './csprng.js';
import { readDeviceHead } from './device.js';
import { readHwrng } from './hwrng.js';
import { BOOT_ID, UUID, readKernelText } from './kernel.js';
import { readHead } from './read.js';
import { statWalk } from './stat.js';

export interface SourceReading {
  data: Buffer;
  /** Shown in the report: paths and counts, never content. */
  detail?: string;
}

export interface PoolSource {
  /** Report name, and the name framed before the bytes in the pool. */
  name: string;
  /** Bytes that must not outlive hashing (they are zeroed afterwards). */
  secret: boolean;
  /** A source whose failure aborts the derivation (only the CSPRNG). */
  required: boolean;
  /** The machine path read, shown in the report's detail. */
  path?: string;
  /** Why the source is not read this time (not requested); it then appears as "skipped". */
  skip?: string;
  read(): SourceReading | Promise<SourceReading>;
}

export interface SourceOptions {
  rootmnt: string;
  device?: string;
  csprng: Csprng;
  /** Shown in the report when the CSPRNG is the kernel's; undefined for an injected one. */
  csprngPath?: string;
  /** Hardware RNG device to read, or undefined to leave it to the kernel. */
  hwrng?: string;
  hwrngBlocks?: number;
  hwrngWaitMs?: number;
}

export const STAT_DIRECTORIES = ['/dev', '/proc', '/sys'] as const;

export function poolSources(host: Host, options: SourceOptions): PoolSource[] {
  const stats = STAT_DIRECTORIES.map<PoolSource>((directory) => ({
    name: `stat:${directory}`,
    path: directory,
    secret: false,
    required: false,
    read: () => {
      const walk = statWalk(host.path(directory));
      return { data: walk.data, detail: `${walk.entries} entries, ${walk.skipped} vanished or unreadable` };
    },
  }));
  const kernelTexts = [
    { name: 'boot_id', path: BOOT_ID },
    { name: 'uuid', path: UUID },
  ].map<PoolSource>(({ name, path }) => ({
    name,
    path,
    secret: false,
    required: false,
    read: () => ({ data: readKernelText(host, path) }),
  }));
  const seeds = SEED_FILES.map<PoolSource>((seed) => {
    const path = seed.path(options.rootmnt);
    return { name: `seed:${seed.name}`, path, secret: true, required: false, read: () => ({ data: readHead(host.path(path), SEED_READ_LIMIT) }) };
  });
  const csprng: PoolSource = {
    name: 'csprng',
    path: options.csprngPath,
    secret: true,
    required: true,
    read: async () => {
      const data = await options.csprng(CSPRNG_BYTES);
      if (data.length !== CSPRNG_BYTES) throw new Error(`returned ${data.length} of ${CSPRNG_BYTES} bytes`);
      return { data };
    },
  };
  const device: PoolSource = {
    name: 'device',
    path: options.device,
    secret: false,
    required: false,
    ...(options.device ? {} : { skip: 'no backing device given' }),
    read: () => ({ data: readDeviceHead(host, options.device as string) }),
  };
  const hwrng: PoolSource = {
    name: 'hwrng',
    path: options.hwrng,
    secret: true,
    required: false,
    ...(options.hwrng ? {} : { skip: 'not requested; the kernel reads /dev/hwrng itself' }),
    read: () => readHwrng(host, options.hwrng as string, { blocks: options.hwrngBlocks, waitMs: options.hwrngWaitMs }),
  };
  return [...stats, ...kernelTexts, ...seeds, csprng, device, hwrng];
}
