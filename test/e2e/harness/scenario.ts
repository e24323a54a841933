// What the scenario tests share: their setup, a marker per boot, the command-line words that tell
// the check script what to expect, and the checks every overlay boot makes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { requireRoot } from '../../helpers/machine.js';
import { bootGuest, type BootOptions, type BootResult } from './qemu.js';
import { fact, mountOn } from './report.js';
import { guestSystem, type GuestSystem, type SystemVariant } from './system.js';

export function newMarker(): string {
  return `OROOT-E2E-MARKER-${randomBytes(12).toString('hex')}`;
}

export interface Expectation {
  readonly marker: string;
  /** `overlay`: / must be the overlay named overlayroot; `none`: / must not be an overlay. */
  readonly expect: 'overlay' | 'none';
  /** The source that must be mounted on /media/root-rw. */
  readonly upper?: string;
  /** Harness self-test: the guest writes the marker in clear text onto this ext4 device. */
  readonly plaintext?: string;
}

export function expectationWords(expectation: Expectation): string[] {
  const words = [`oroot_e2e.marker=${expectation.marker}`, `oroot_e2e.expect=${expectation.expect}`];
  if (expectation.upper) words.push(`oroot_e2e.upper=${expectation.upper}`);
  if (expectation.plaintext) words.push(`oroot_e2e.plaintext=${expectation.plaintext}`);
  return words;
}

export function scratchDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oroot-e2e-disks-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Everything worth reading when a boot did not go as expected. */
export function explain(boot: BootResult): string {
  const consoleTail = boot.console.split('\n').slice(-60).join('\n');
  return [
    `accel ${boot.accel}, ${boot.durationMs} ms${boot.timedOut ? ', TIMED OUT' : ''}, verdict ${boot.report.verdict} ${boot.report.reasons}`,
    '--- report ---',
    boot.report.raw,
    '--- console (tail) ---',
    consoleTail,
  ].join('\n');
}

/** The checks every successful overlay boot shares: the guest's verdict and the layout it saw. */
export function expectOverlayBoot(boot: BootResult, upper: string): void {
  expect(boot.report.verdict, explain(boot)).toBe('PASS');
  expect(mountOn(boot.report, '/'), explain(boot)).toMatchObject({ source: 'overlayroot', fstype: 'overlay' });
  expect(mountOn(boot.report, '/media/root-rw')?.source).toBe(upper);
  expect(mountOn(boot.report, '/media/root-ro')?.options).toContain('ro');
  expect(fact(boot.report, 'marker-in-upper')).toBe('yes');
  expect(fact(boot.report, 'lower-writable')).toBe('no');
}

/** A fallback boot: the guest runs on a tmpfs upper layer and the console said so, even with `quiet`. */
export function expectTmpfsFallback(boot: BootResult, message: RegExp): void {
  expectOverlayBoot(boot, 'tmpfs-root');
  expect(boot.report.state?.outcome, explain(boot)).toBe('fallback');
  expect(boot.console, explain(boot)).toMatch(message);
}

export interface ScenarioBoot extends BootResult {
  readonly marker: string;
}

/** Boot with a fresh marker and the check script told what to expect. */
export async function bootScenario(options: BootOptions & { readonly expectation: Omit<Expectation, 'marker'> }): Promise<ScenarioBoot> {
  const marker = newMarker();
  const { expectation, cmdline = [], ...boot } = options;
  const result = await bootGuest({ ...boot, cmdline: [...cmdline, ...expectationWords({ ...expectation, marker })] });
  return { ...result, marker };
}

export interface ScenarioSuite {
  /** The guest system, ready once the file's beforeAll has run. */
  readonly system: GuestSystem;
  /** A scratch directory for disk images, removed after the file's tests. */
  readonly dir: string;
}

/** The setup every scenario file shares: root, the guest system (built or cached), a scratch dir. */
export function scenarioSuite(variant: SystemVariant = 'oroot'): ScenarioSuite {
  const scratch = scratchDir();
  let system: GuestSystem | undefined;
  beforeAll(async () => {
    requireRoot();
    system = await guestSystem(variant);
  });
  afterAll(() => scratch.cleanup());
  return {
    get system() {
      if (!system) throw new Error('the guest system is only ready inside tests (after beforeAll)');
      return system;
    },
    dir: scratch.dir,
  };
}
