// Issue 4: bench/cryptsetup measures format + open inside a QEMU guest. This runs its guest part
// (one round) as CI would: every profile's exact command lines format and open a real dm-crypt
// volume in the guest, and the committed script's flags are the ones oroot's own probe resolves
// from that guest's kernel, cryptsetup and memory. No timing is asserted: bench/cryptsetup
// prints the figures.
import { describe, expect, it } from 'vitest';
import { GUEST_FACTS, profileCommands, profileFor } from '../../src/cryptsetup-wrap/index.js';
import type { CryptProfileName } from '../../src/overlayroot/config/types.js';
import { requireRoot } from '../helpers/machine.js';
import { runGuestCryptsetupBench } from './harness/cryptsetup-bench.js';
import { explain } from './harness/scenario.js';

const PROFILES: readonly CryptProfileName[] = ['compat', 'ephemeral', 'persistent', 'plain'];

describe('bench/cryptsetup in the QEMU guest', () => {
  it('formats and opens a volume with every profile, with the flags the guest itself resolves', async () => {
    requireRoot();
    const bench = await runGuestCryptsetupBench({ rounds: 1 });
    expect(bench.failure, explain(bench.boot)).toBeUndefined();
    expect(bench.done).toBe(true);
    expect(bench.samples.map((s) => s.profile)).toEqual(PROFILES);
    for (const sample of bench.samples) {
      expect(Number.isInteger(sample.formatMs) && sample.formatMs >= 0, JSON.stringify(sample)).toBe(true);
      expect(Number.isInteger(sample.openMs) && sample.openMs >= 0, JSON.stringify(sample)).toBe(true);
    }
    expect(bench.clock).toBe('date'); // coreutils date: millisecond resolution
    expect(bench.facts, explain(bench.boot)).toBeDefined();
    // The script was generated for GUEST_FACTS; the guest's real facts must give the same open
    // and format flags (kernel and cryptsetup decide the perf flags, the sector size and LUKS2).
    // Persistent's Argon2 cap follows MemTotal, which is a little under the 1 GiB booted with.
    const target = { device: '$dev', name: '$name' };
    for (const name of PROFILES.filter((p) => p !== 'persistent')) {
      expect(profileCommands(profileFor(name, bench.facts!), target), name).toEqual(profileCommands(profileFor(name, GUEST_FACTS), target));
    }
    expect(profileCommands(profileFor('persistent', bench.facts!), target).open).toEqual(profileCommands(profileFor('persistent', GUEST_FACTS), target).open);
  });
});
