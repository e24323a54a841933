import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FIPS_BLOCK_BYTES,
  FipsTester,
  blockStatistics,
  failedStatisticalTests,
  type BlockStatistics,
} from '../../src/entropy/fips.js';
import { allowedFailingBlocks } from '../../src/entropy/verdict.js';
import { aesStream } from '../fixtures/entropy/fixture.js';

const filled = (byte: number): Buffer => Buffer.alloc(FIPS_BLOCK_BYTES, byte);

/** Set bits [from, to) of a block (most significant bit of byte 0 is bit 0) to `value`. */
function setBits(block: Buffer, from: number, to: number, value: 0 | 1): Buffer {
  const copy = Buffer.from(block);
  for (let bit = from; bit < to; bit += 1) {
    const mask = 0x80 >> (bit % 8);
    copy[bit >> 3] = value ? copy[bit >> 3]! | mask : copy[bit >> 3]! & ~mask;
  }
  return copy;
}

// A block of a deterministic CSPRNG stream that passes every test (checked below).
const goodBlock = aesStream(FIPS_BLOCK_BYTES, 7);
const goodStats = blockStatistics(goodBlock);
const withStats = (change: Partial<BlockStatistics>): BlockStatistics => ({ ...goodStats, ...change });

describe('broken generators fail the tests they must fail', () => {
  it('an all-zero stream fails monobit, poker, runs, long run and continuous', () => {
    const tester = new FipsTester(Buffer.alloc(4));
    expect(tester.test(filled(0x00)).failed.sort()).toEqual(['continuous', 'longRun', 'monobit', 'poker', 'runs']);
  });

  it('an alternating 0101… stream passes monobit and long run but fails poker, runs and continuous', () => {
    const stats = blockStatistics(filled(0x55));
    expect(stats.ones).toBe(10_000);
    expect(stats.longestRun).toBe(1);
    expect(stats.pokerX).toBe(75_000); // every nibble is 0101
    expect(stats.runs[0][0]).toBe(10_000);
    expect(new FipsTester().test(filled(0x55)).failed.sort()).toEqual(['continuous', 'poker', 'runs']);
  });

  it('an all-ones stream fails like the all-zero one', () => {
    expect(new FipsTester().test(filled(0xff)).failed.sort()).toEqual(['continuous', 'longRun', 'monobit', 'poker', 'runs']);
  });
});

describe('block statistics', () => {
  it('counts runs most significant bit first, including the run that ends the block', () => {
    // 0x0f = 0000 1111: 5000 runs of length 4, alternating zeros and ones, starting with zeros.
    const stats = blockStatistics(filled(0x0f));
    expect(stats.ones).toBe(10_000);
    expect(stats.runs).toEqual([
      [0, 0, 0, 2500, 0, 0],
      [0, 0, 0, 2500, 0, 0],
    ]);
    expect(stats.longestRun).toBe(4);
    expect(stats.pokerX).toBeCloseTo((16 / 5000) * 2 * 2500 ** 2 - 5000, 6);
  });

  it('puts runs of six or more into the last bucket', () => {
    const block = setBits(setBits(filled(0x00), 0, 8, 1), 16, 30, 1); // 8 ones, 8 zeros, 14 ones, rest zeros
    const stats = blockStatistics(block);
    expect(stats.runs[1]).toEqual([0, 0, 0, 0, 0, 2]);
    expect(stats.runs[0]).toEqual([0, 0, 0, 0, 0, 2]);
    expect(stats.longestRun).toBe(20_000 - 30);
  });

  it('rejects a block of the wrong size', () => {
    expect(() => blockStatistics(Buffer.alloc(100))).toThrow(/2500 bytes/);
  });

  it('inverting every bit swaps the run counts, mirrors the ones and keeps the poker value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: FIPS_BLOCK_BYTES, maxLength: FIPS_BLOCK_BYTES }), (bytes) => {
        const block = Buffer.from(bytes);
        const inverted = Buffer.from(block.map((b) => b ^ 0xff));
        const a = blockStatistics(block);
        const b = blockStatistics(inverted);
        expect(b.ones).toBe(20_000 - a.ones);
        expect(b.runs).toEqual([a.runs[1], a.runs[0]]);
        expect(b.longestRun).toBe(a.longestRun);
        expect(b.pokerX).toBeCloseTo(a.pokerX, 6);
      }),
      { numRuns: 50 },
    );
  });
});

describe('published thresholds (FIPS 140-2 change notice 1)', () => {
  it('the reference block passes all four statistical tests', () => {
    expect(failedStatisticalTests(goodStats)).toEqual([]);
    expect(goodStats.longestRun).toBeLessThan(20);
  });

  it('monobit passes only for 9725 < ones < 10275', () => {
    expect(failedStatisticalTests(withStats({ ones: 9725 }))).toEqual(['monobit']);
    expect(failedStatisticalTests(withStats({ ones: 9726 }))).toEqual([]);
    expect(failedStatisticalTests(withStats({ ones: 10_274 }))).toEqual([]);
    expect(failedStatisticalTests(withStats({ ones: 10_275 }))).toEqual(['monobit']);
  });

  it('poker passes only for 2.16 < X < 46.17', () => {
    expect(failedStatisticalTests(withStats({ pokerX: 2.16 }))).toEqual(['poker']);
    expect(failedStatisticalTests(withStats({ pokerX: 2.1632 }))).toEqual([]);
    expect(failedStatisticalTests(withStats({ pokerX: 46.1696 }))).toEqual([]);
    expect(failedStatisticalTests(withStats({ pokerX: 46.17 }))).toEqual(['poker']);
  });

  it('runs counts must lie inside the intervals, for zeros and for ones', () => {
    const runs = (bit: 0 | 1, index: number, count: number): BlockStatistics['runs'] => {
      const copy: BlockStatistics['runs'] = [[...goodStats.runs[0]], [...goodStats.runs[1]]];
      copy[bit][index] = count;
      return copy;
    };
    expect(failedStatisticalTests(withStats({ runs: runs(0, 0, 2315) }))).toEqual([]);
    expect(failedStatisticalTests(withStats({ runs: runs(0, 0, 2314) }))).toEqual(['runs']);
    expect(failedStatisticalTests(withStats({ runs: runs(1, 0, 2685) }))).toEqual([]);
    expect(failedStatisticalTests(withStats({ runs: runs(1, 0, 2686) }))).toEqual(['runs']);
    expect(failedStatisticalTests(withStats({ runs: runs(1, 5, 209) }))).toEqual([]);
    expect(failedStatisticalTests(withStats({ runs: runs(1, 5, 210) }))).toEqual(['runs']);
    expect(failedStatisticalTests(withStats({ runs: runs(0, 3, 239) }))).toEqual(['runs']);
  });

  it('a run of 25 equal bits passes the long-run test and a run of 26 fails it', () => {
    const withRun = (length: number): Buffer => setBits(setBits(setBits(goodBlock, 999, 1000, 0), 1000, 1000 + length, 1), 1000 + length, 1001 + length, 0);
    expect(blockStatistics(withRun(25)).longestRun).toBe(25);
    expect(failedStatisticalTests(blockStatistics(withRun(25)))).not.toContain('longRun');
    expect(blockStatistics(withRun(26)).longestRun).toBe(26);
    expect(failedStatisticalTests(blockStatistics(withRun(26)))).toContain('longRun');
  });
});

describe('continuous test and counting', () => {
  it('fails a block in which a 32-bit word repeats the previous one', () => {
    const repeated = Buffer.from(goodBlock);
    goodBlock.copy(repeated, 1000, 996, 1000);
    expect(new FipsTester().test(repeated).failed).toEqual(['continuous']);
    expect(new FipsTester().test(goodBlock).failed).toEqual([]);
  });

  it('compares the first word of a block with the start word and with the previous block', () => {
    expect(new FipsTester(goodBlock.subarray(0, 4)).test(goodBlock).failed).toEqual(['continuous']);
    const tester = new FipsTester();
    const next = Buffer.from(aesStream(FIPS_BLOCK_BYTES, 9));
    goodBlock.copy(next, 0, FIPS_BLOCK_BYTES - 4);
    tester.test(goodBlock);
    expect(tester.test(next).failed).toEqual(['continuous']);
  });

  it('counts failing blocks and each failed test', () => {
    const tester = new FipsTester();
    tester.test(goodBlock);
    tester.test(filled(0x00));
    tester.test(filled(0x55));
    expect(tester.blocks).toBe(3);
    expect(tester.failedBlocks).toBe(2);
    expect(tester.failures).toEqual({ monobit: 1, poker: 2, runs: 2, longRun: 1, continuous: 2 });
  });
});

describe('CSPRNG output passes', () => {
  it('a deterministic AES-CTR stream passes every test in all 200 blocks', () => {
    const stream = aesStream(4 + 200 * FIPS_BLOCK_BYTES, 3);
    const tester = new FipsTester(stream.subarray(0, 4));
    for (let i = 0; i < 200; i += 1) tester.test(stream.subarray(4 + i * FIPS_BLOCK_BYTES, 4 + (i + 1) * FIPS_BLOCK_BYTES));
    expect(tester.failedBlocks).toBe(0);
  });

  it('node:crypto output stays within what an ideal source produces (false alarm < 1e-6)', () => {
    const tester = new FipsTester(randomBytes(4));
    for (let i = 0; i < 500; i += 1) tester.test(randomBytes(FIPS_BLOCK_BYTES));
    expect(tester.failedBlocks).toBeLessThanOrEqual(allowedFailingBlocks(500));
    expect(tester.failures.continuous).toBe(0);
  });
});
