// An optional hardware RNG (/dev/hwrng: virtio-rng, TPM, RDRAND-backed drivers). Like rngd, we
// run the FIPS 140-2 tests on each 20,000-bit block and hash only blocks that pass; failing
// blocks are discarded and counted. Opt-in: the kernel already feeds the same device into its
// pool through its hwrng thread, and a virtio-rng can be slow (docs/entropy.md has figures).
import type { Host } from '../../system/host.js';
import { CONTINUOUS_WORD_BYTES, FIPS_BLOCK_BYTES, FipsTester } from '../fips.js';
import { readNonBlocking } from './read.js';

export const DEFAULT_HWRNG = '/dev/hwrng';
export const DEFAULT_HWRNG_BLOCKS = 1;
export const DEFAULT_HWRNG_WAIT_MS = 1000;

export interface HwrngReading {
  data: Buffer;
  detail: string;
}

export async function readHwrng(
  host: Host,
  device: string,
  options: { blocks?: number; waitMs?: number } = {},
): Promise<HwrngReading> {
  const blocks = options.blocks ?? DEFAULT_HWRNG_BLOCKS;
  const wanted = CONTINUOUS_WORD_BYTES + blocks * FIPS_BLOCK_BYTES;
  const raw = await readNonBlocking(host.path(device), wanted, performance.now() + (options.waitMs ?? DEFAULT_HWRNG_WAIT_MS));
  try {
    if (raw.length < wanted) {
      throw new Error(`${device} gave ${raw.length} of ${wanted} bytes within ${options.waitMs ?? DEFAULT_HWRNG_WAIT_MS} ms`);
    }
    const tester = new FipsTester(raw.subarray(0, CONTINUOUS_WORD_BYTES));
    const passed: Buffer[] = [];
    for (let offset = CONTINUOUS_WORD_BYTES; offset < wanted; offset += FIPS_BLOCK_BYTES) {
      const block = raw.subarray(offset, offset + FIPS_BLOCK_BYTES);
      if (tester.test(block).passed) passed.push(block); // a view: wiped with raw below
    }
    const summary = `${device}: ${passed.length} of ${blocks} FIPS 140-2 blocks passed, ${tester.failedBlocks} discarded`;
    if (passed.length === 0) throw new Error(summary);
    return { data: Buffer.concat(passed), detail: summary };
  } finally {
    raw.fill(0);
  }
}
