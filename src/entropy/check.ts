// `oroot entropy check`: run the FIPS 140-2 tests over a source (the kernel CSPRNG by default,
// or a file or device such as /dev/hwrng) the way rngtest does: 32 bits to start the continuous
// test, then N blocks of 20,000 bits. The verdict follows verdict.ts, not "any failure".
import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { CONTINUOUS_WORD_BYTES, FIPS_BLOCK_BYTES, FipsTester, type FipsTest } from './fips.js';
import { IDEAL_BLOCK_FAILURE_RATE, allowedFailingBlocks } from './verdict.js';
import { elapsedMs } from './sources/read.js';

export const DEFAULT_CHECK_SOURCE = '/dev/urandom';
export const DEFAULT_CHECK_BLOCKS = 100;
export const MAX_CHECK_BLOCKS = 1_000_000;

export interface CheckResult {
  source: string;
  blocks: number;
  bytesRead: number;
  durationMs: number;
  /** Blocks that failed each test (a block can fail several). */
  failures: Record<FipsTest, number>;
  failedBlocks: number;
  /** The most failing blocks an ideal source still reaches once in a million checks. */
  allowedFailedBlocks: number;
  idealFailureRate: number;
  verdict: 'pass' | 'fail';
}

export async function checkSource(source: string, blocks: number): Promise<CheckResult> {
  const started = performance.now();
  const unreadable = (error: NodeJS.ErrnoException): never => {
    throw new InputError(`--source ${source}`, `cannot read it (${error.code ?? error.message})`, { cause: error });
  };
  const handle = await open(source, 'r').catch(unreadable);
  try {
    const start = Buffer.alloc(CONTINUOUS_WORD_BYTES);
    let bytesRead = await readFully(handle, start, unreadable);
    let complete = bytesRead === CONTINUOUS_WORD_BYTES;
    const tester = new FipsTester(complete ? start : undefined);
    const block = Buffer.alloc(FIPS_BLOCK_BYTES);
    for (let i = 0; complete && i < blocks; i += 1) {
      const n = await readFully(handle, block, unreadable);
      bytesRead += n;
      complete = n === FIPS_BLOCK_BYTES;
      if (complete) tester.test(block);
    }
    const needed = CONTINUOUS_WORD_BYTES + blocks * FIPS_BLOCK_BYTES;
    if (bytesRead < needed) {
      throw new InputError(`--source ${source}`, `ended after ${bytesRead} bytes; ${blocks} blocks need ${needed} (4 + ${blocks} × ${FIPS_BLOCK_BYTES})`, {
        hint: `Use --blocks ${Math.max(0, Math.floor((bytesRead - CONTINUOUS_WORD_BYTES) / FIPS_BLOCK_BYTES))} or a longer source.`,
      });
    }
    const allowed = allowedFailingBlocks(blocks);
    return {
      source,
      blocks,
      bytesRead,
      durationMs: elapsedMs(started),
      failures: { ...tester.failures },
      failedBlocks: tester.failedBlocks,
      allowedFailedBlocks: allowed,
      idealFailureRate: IDEAL_BLOCK_FAILURE_RATE,
      verdict: tester.failedBlocks > allowed ? 'fail' : 'pass',
    };
  } finally {
    await handle.close();
  }
}

async function readFully(handle: FileHandle, buffer: Buffer, unreadable: (error: NodeJS.ErrnoException) => never): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null).catch(unreadable);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}
