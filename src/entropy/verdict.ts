// When does a FIPS 140-2 run mean the generator is broken? Not at the first failing block: an
// ideal source fails about 0.08% of 20,000-bit blocks (2,379 of 3,000,000 in a published rngtest
// run; docs/entropy.md has our own measurement). rngtest exits 1 on any failure, so a long check
// of a perfect source fails by chance. We call a run failed when it has more failing blocks than
// an ideal source produces in fewer than one run in a million (binomial upper tail).

/** Per-block failure probability of an ideal source under the five tests (rounded up from 0.079%). */
export const IDEAL_BLOCK_FAILURE_RATE = 0.0008;
/** How unlikely a false alarm on an ideal source must be. */
export const FALSE_ALARM_PROBABILITY = 1e-6;

/**
 * The largest number of failing blocks out of `blocks` that an ideal source still reaches with
 * probability ≥ `alpha`: P(X > allowed) < alpha for X ~ Binomial(blocks, rate).
 */
export function allowedFailingBlocks(blocks: number, rate = IDEAL_BLOCK_FAILURE_RATE, alpha = FALSE_ALARM_PROBABILITY): number {
  if (!Number.isInteger(blocks) || blocks < 0) throw new RangeError(`blocks must be a whole number ≥ 0, got ${blocks}`);
  const mean = blocks * rate;
  const last = Math.min(blocks, Math.ceil(mean + 40 * Math.sqrt(mean + 1) + 40));
  // log P(X = j), built up from P(X = 0) so nothing overflows for a million blocks.
  const logPmf: number[] = [blocks * Math.log1p(-rate)];
  for (let j = 0; j < last; j += 1) {
    logPmf.push(logPmf[j]! + Math.log(blocks - j) - Math.log(j + 1) + Math.log(rate) - Math.log1p(-rate));
  }
  // Upper tail from the top down: the first k whose tail reaches alpha is the allowed count.
  let tail = 0;
  for (let k = last; k >= 0; k -= 1) {
    tail += Math.exp(logPmf[k]!);
    if (tail >= alpha) return k;
  }
  return 0;
}

/** The fewest blocks for which any failure count can be a verdict of "broken". */
export function minimumBlocksForVerdict(): number {
  let blocks = 1;
  while (allowedFailingBlocks(blocks) >= blocks) blocks += 1;
  return blocks;
}
