import { describe, expect, it } from 'vitest';
import { allowedFailingBlocks, minimumBlocksForVerdict } from '../../src/entropy/verdict.js';

/** P(X ≥ k) for X ~ Binomial(n, p), summed term by term (fine for the small n used here). */
function upperTail(n: number, p: number, k: number): number {
  let tail = 0;
  let coefficient = 1; // C(n, j)
  for (let j = 0; j <= n; j += 1) {
    if (j > 0) coefficient = (coefficient * (n - j + 1)) / j;
    if (j >= k) tail += coefficient * p ** j * (1 - p) ** (n - j);
  }
  return tail;
}

describe('allowedFailingBlocks', () => {
  it.each([2, 3, 10, 100, 250, 1000])('for %i blocks: one more failure would be rarer than 1e-6, this many is not', (n) => {
    const allowed = allowedFailingBlocks(n);
    expect(upperTail(n, 0.0008, allowed + 1)).toBeLessThan(1e-6);
    if (allowed < n) expect(upperTail(n, 0.0008, allowed)).toBeGreaterThanOrEqual(1e-6);
  });

  it('gives the values the help text and docs quote', () => {
    expect(allowedFailingBlocks(2)).toBe(1);
    expect(allowedFailingBlocks(100)).toBe(4);
    expect(allowedFailingBlocks(1000)).toBe(8);
  });

  it('stays finite and sensible for a million blocks (mean 800)', () => {
    const allowed = allowedFailingBlocks(1_000_000);
    expect(allowed).toBeGreaterThan(800 + 4 * Math.sqrt(800));
    expect(allowed).toBeLessThan(800 + 6 * Math.sqrt(800));
  });

  it('never grows when blocks shrink', () => {
    let previous = Infinity;
    for (const n of [100_000, 10_000, 1000, 100, 10, 2]) {
      const allowed = allowedFailingBlocks(n);
      expect(allowed).toBeLessThanOrEqual(previous);
      previous = allowed;
    }
  });

  it('one block can never show a fault; two can', () => {
    expect(allowedFailingBlocks(1)).toBe(1);
    expect(minimumBlocksForVerdict()).toBe(2);
  });

  it('rejects a negative or fractional count', () => {
    expect(() => allowedFailingBlocks(-1)).toThrow(RangeError);
    expect(() => allowedFailingBlocks(2.5)).toThrow(RangeError);
  });
});
