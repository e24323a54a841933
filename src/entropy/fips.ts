// FIPS 140-2 random number generator tests, as rngd applies them to a hardware RNG before its
// bytes reach the kernel: monobit, poker, runs and long run on each 20,000-bit block (thresholds of
// FIPS 140-2 change notice 1, errata of 2001-10-10), plus the continuous test of section 4.9.2 on
// consecutive 32-bit words. A block that fails any test is discarded and counted.
//
// Bits are read most significant first within each byte, bytes in order; poker segments are the
// high nibble then the low nibble of each byte.

export const FIPS_BLOCK_BYTES = 2500;
export const FIPS_BLOCK_BITS = FIPS_BLOCK_BYTES * 8;
/** rngd starts the continuous test with one 32-bit word that is compared but not tested. */
export const CONTINUOUS_WORD_BYTES = 4;

export const FIPS_TESTS = ['monobit', 'poker', 'runs', 'longRun', 'continuous'] as const;
export type FipsTest = (typeof FIPS_TESTS)[number];

/** Published limits. A test passes when the statistic lies inside (bounds as commented). */
export const FIPS_LIMITS = {
  /** 9725 < ones < 10275 */
  monobit: { above: 9725, below: 10275 },
  /** 2.16 < X < 46.17, X = 16/5000 · Σ f(i)² − 5000 */
  poker: { above: 2.16, below: 46.17 },
  /** Runs of length 1…5 and ≥6, for zeros and ones alike: min ≤ count ≤ max */
  runs: [
    [2315, 2685],
    [1114, 1386],
    [527, 723],
    [240, 384],
    [103, 209],
    [103, 209],
  ] as ReadonlyArray<readonly [number, number]>,
  /** A run of 26 or more equal bits fails. */
  longRun: 26,
} as const;

export interface BlockStatistics {
  ones: number;
  pokerX: number;
  /** runs[bit][length-1], length 6 meaning "6 or more" */
  runs: [number[], number[]];
  longestRun: number;
}

export function blockStatistics(block: Buffer): BlockStatistics {
  if (block.length !== FIPS_BLOCK_BYTES) throw new RangeError(`a FIPS block is ${FIPS_BLOCK_BYTES} bytes, got ${block.length}`);
  const nibbles = new Int32Array(16);
  const runCounts = new Int32Array(12); // index bit * 6 + min(length, 6) - 1
  let ones = 0;
  let longestRun = 0;
  let runBit = (block[0] as number) >> 7;
  let runLength = 0;
  for (let i = 0; i < block.length; i += 1) {
    const byte = block[i] as number;
    nibbles[byte >> 4]! += 1;
    nibbles[byte & 0x0f]! += 1;
    for (let shift = 7; shift >= 0; shift -= 1) {
      const bit = (byte >> shift) & 1;
      ones += bit;
      if (bit === runBit) {
        runLength += 1;
        continue;
      }
      runCounts[runBit * 6 + Math.min(runLength, 6) - 1]! += 1;
      if (runLength > longestRun) longestRun = runLength;
      runBit = bit;
      runLength = 1;
    }
  }
  runCounts[runBit * 6 + Math.min(runLength, 6) - 1]! += 1; // the run that ends the block
  if (runLength > longestRun) longestRun = runLength;
  const sumOfSquares = nibbles.reduce((sum, f) => sum + f * f, 0);
  const runs: [number[], number[]] = [Array.from(runCounts.subarray(0, 6)), Array.from(runCounts.subarray(6))];
  return { ones, pokerX: (16 / 5000) * sumOfSquares - 5000, runs, longestRun };
}

/** Which of the four statistical tests a block fails. */
export function failedStatisticalTests(stats: BlockStatistics): FipsTest[] {
  const failed: FipsTest[] = [];
  const { monobit, poker, runs, longRun } = FIPS_LIMITS;
  if (!(stats.ones > monobit.above && stats.ones < monobit.below)) failed.push('monobit');
  if (!(stats.pokerX > poker.above && stats.pokerX < poker.below)) failed.push('poker');
  const runsOk = stats.runs.every((counts) => counts.every((count, i) => count >= runs[i]![0] && count <= runs[i]![1]));
  if (!runsOk) failed.push('runs');
  if (stats.longestRun >= longRun) failed.push('longRun');
  return failed;
}

export interface BlockVerdict {
  passed: boolean;
  failed: FipsTest[];
}

/**
 * Tests a stream block by block, keeping the last 32-bit word for the continuous test, which
 * fails a block when any word equals the one before it (a stuck or looping generator).
 */
export class FipsTester {
  #previousWord: number | undefined;
  readonly failures: Record<FipsTest, number> = { monobit: 0, poker: 0, runs: 0, longRun: 0, continuous: 0 };
  blocks = 0;
  failedBlocks = 0;

  /** `startWord`: the 4 bytes that precede the first block (compared, not tested), as rngd does. */
  constructor(startWord?: Buffer) {
    if (startWord) this.#previousWord = startWord.readUInt32BE(0);
  }

  test(block: Buffer): BlockVerdict {
    const failed = failedStatisticalTests(blockStatistics(block));
    if (this.#repeatsAWord(block)) failed.push('continuous');
    this.blocks += 1;
    for (const test of failed) this.failures[test] += 1;
    if (failed.length > 0) this.failedBlocks += 1;
    return { passed: failed.length === 0, failed };
  }

  #repeatsAWord(block: Buffer): boolean {
    let repeated = false;
    for (let offset = 0; offset < block.length; offset += 4) {
      const word = block.readUInt32BE(offset);
      if (word === this.#previousWord) repeated = true;
      this.#previousWord = word;
    }
    return repeated;
  }
}
