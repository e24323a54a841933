// bench/cryptsetup's guest run: boots the harness's guest (overlayroot disabled) with
// bench/cryptsetup-guest.sh on a files disk and a blank disk to format, where dm-crypt really opens
// volumes, and returns the script's figures and the guest's own facts (which decided nothing: the
// script's flags were resolved on the host for GUEST_FACTS, so callers compare the two).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProfileFacts } from '../../../src/cryptsetup-wrap/profiles.js';
import { parseMeminfo } from '../../../src/overlayroot/facts-parse.js';
import { blankDisk } from './disks.js';
import { commandFacts, filesDisk, scenarioWords } from './guest-run.js';
import { repoRoot } from './paths.js';
import { bootGuest, type BootResult } from './qemu.js';
import { fact, factLines } from './report.js';
import { guestSystem } from './system.js';

export const GUEST_BENCH_SCRIPT = path.join(repoRoot, 'bench', 'cryptsetup-guest.sh');

export interface BenchSample {
  readonly profile: string;
  readonly round: number;
  readonly formatMs: number;
  readonly openMs: number;
}

export interface GuestBenchRun {
  readonly samples: readonly BenchSample[];
  /** BENCH-DONE was printed: every profile formatted and opened in every round. */
  readonly done: boolean;
  /** What BENCH-FAIL said, or why the script did not finish. */
  readonly failure?: string;
  /** The guest's facts as the boot's own probe reads them (MemTotal, osrelease, cryptsetup --version). */
  readonly facts: ProfileFacts | undefined;
  readonly clock: string;
  readonly boot: BootResult;
}

export interface GuestBenchOptions {
  readonly rounds: number;
  /** The blank disk's size; the script needs at least 32 MiB. */
  readonly diskMiB?: number;
}

export async function runGuestCryptsetupBench(options: GuestBenchOptions): Promise<GuestBenchRun> {
  const system = await guestSystem('oroot');
  // Not scenario.ts's scratchDir: bench/cryptsetup bundles this file and runs it outside vitest.
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'oroot-bench-cryptsetup-'));
  try {
    const disk = await blankDisk(path.join(scratch, 'bench.img'), options.diskMiB ?? 64);
    const files = await filesDisk(path.join(scratch, 'files.img'), { 'cryptsetup-guest.sh': { contents: readFileSync(GUEST_BENCH_SCRIPT, 'utf8') } });
    const boot = await bootGuest({
      system,
      disks: [{ file: disk }, { file: files, readonly: true }],
      cmdline: ['overlayroot=disabled', ...scenarioWords(['cryptsetup-bench'], { bench_device: '/dev/vdb', rounds: options.rounds })],
      // Compat and persistent pay Argon2 (seconds each under TCG), every round.
      timeoutMs: 300_000 + options.rounds * 240_000,
    });
    return { ...parseBenchOutput(commandFacts(boot.report, 'bench').stdout, fact(boot.report, 'kernel'), factLines(boot.report, 'meminfo')), boot };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The script's lines (BENCH-INFO, BENCH …, BENCH-DONE | BENCH-FAIL) and the report's kernel and meminfo facts. */
export function parseBenchOutput(output: string, kernelRelease: string, meminfo: readonly string[]): Omit<GuestBenchRun, 'boot'> {
  const samples: BenchSample[] = [];
  let done = false;
  let failure: string | undefined;
  let info: Record<string, string> = {};
  for (const line of output.split('\n')) {
    if (line.startsWith('BENCH-INFO ')) info = fields(line);
    else if (line === 'BENCH-DONE') done = true;
    else if (line.startsWith('BENCH-FAIL')) failure = line.slice('BENCH-FAIL'.length).trim();
    else if (line.startsWith('BENCH ')) {
      const f = fields(line);
      samples.push({ profile: f.profile ?? '?', round: Number(f.round), formatMs: Number(f.format_ms), openMs: Number(f.open_ms) });
    }
  }
  if (!done && !failure) failure = output.trim() === '' ? 'the guest printed nothing (did the boot reach the scenario?)' : 'the script stopped before BENCH-DONE';
  const { totalKiB } = parseMeminfo(meminfo.join('\n'));
  const facts = info.cryptsetup && kernelRelease && totalKiB > 0
    ? { memoryBytes: totalKiB * 1024, kernelRelease, cryptsetupVersion: info.cryptsetup }
    : undefined;
  return { samples, done, ...(failure ? { failure } : {}), facts, clock: info.clock ?? 'unknown' };
}

function fields(line: string): Record<string, string> {
  return Object.fromEntries(line.split(' ').filter((word) => word.includes('=')).map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]));
}
