// The boot stage's fast start: the package's postinst made a V8 startup snapshot with the guest's
// own Node.js, and the init-bottom script starts the stage from it. A snapshot that no longer
// matches the runtime (Node.js upgraded) is never used, and one Node.js cannot start from is
// followed by the plain bundle: either way the boot gets its overlay, and the log says why.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/system/spawn.js';
import { copyImage } from './harness/disks.js';
import { commandFacts, scenarioWords, type ScenarioName } from './harness/guest-run.js';
import { factLines } from './harness/report.js';
import { bootScenario, expectOverlayBoot, explain, scenarioSuite, type ScenarioBoot } from './harness/scenario.js';

const suite = scenarioSuite();
const RUNTIME_DIR = 'usr/lib/oroot/boot-runtime';
const FROM_SNAPSHOT = /init-bottom: starting the boot stage from the runtime snapshot: \S+ \/usr\/lib\/oroot\/boot-runtime\/oroot-boot\.blob$/;
const FROM_BUNDLE = /init-bottom: starting the boot stage: \S+ \/usr\/lib\/oroot\/oroot-boot\.cjs$/;

/** A read-write copy of the system's root image, changed by `change(root)` through a loop mount. */
async function changedRoot(name: string, change: (root: string) => Promise<void>): Promise<string> {
  const image = await copyImage(suite.system.rootImage, path.join(suite.dir, `${name}.img`));
  const mountpoint = mkdtempSync(path.join(suite.dir, 'mnt-'));
  await run(['mount', '-o', 'loop', image, mountpoint]);
  try {
    await change(mountpoint);
  } finally {
    await run(['umount', mountpoint]);
    rmSync(mountpoint, { recursive: true });
  }
  return image;
}

/** The runtime.conf the postinst wrote, as key → value. */
function runtimeConf(root: string): Map<string, string> {
  const lines = readFileSync(path.join(root, RUNTIME_DIR, 'runtime.conf'), 'utf8').split('\n');
  return new Map(lines.filter((line) => /^\w+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

function tmpfsBoot(writableRoot?: string, scenarios: readonly ScenarioName[] = []): Promise<ScenarioBoot> {
  return bootScenario({
    system: suite.system,
    writableRoot,
    cmdline: ['overlayroot=tmpfs', ...(scenarios.length > 0 ? scenarioWords(scenarios) : [])],
    expectation: { expect: 'overlay', upper: 'tmpfs-root' },
  });
}

const logOf = (boot: ScenarioBoot) => factLines(boot.report, 'log');

describe('the boot runtime snapshot', () => {
  it('is made at install by the guest Node.js after a rehearsal of every mode, and the stage starts from it', async () => {
    // Made again on the guest's CPU by the harness (system.ts), as an install on the instance would;
    // the guest has block devices, so the device and crypt modes are rehearsed too (the image-build
    // chroot has none and rehearses tmpfs only).
    expect(suite.system.installLog).toMatch(
      /\(guest boot\) \S+prepare-boot-runtime\.cjs\noroot: boot runtime prepared in \/usr\/lib\/oroot\/boot-runtime \(Node\.js v18\.\d+\.\d+, snapshot \d+ KiB, rehearsed tmpfs, device:dev=\/dev\/vdb, crypt:dev=\/dev\/vdb\)/,
    );
    const boot = await tmpfsBoot();
    expectOverlayBoot(boot, 'tmpfs-root');
    const log = logOf(boot);
    expect(log.some((line) => FROM_SNAPSHOT.test(line)), explain(boot)).toBe(true);
    expect(log.some((line) => FROM_BUNDLE.test(line)), explain(boot)).toBe(false);
    expect(boot.report.state?.outcome).toBe('configured');
    // The addon was loaded from the root: every mount made with mount(2), none by mount(8).
    expect(log.filter((line) => line.includes('by mount(2), no process')).length, explain(boot)).toBeGreaterThanOrEqual(5);
    expect(log.some((line) => line.includes('mounting with mount(8)')), explain(boot)).toBe(false);
  });

  it('made by another build of Node.js (its reference time differs): not used, the plain bundle runs; oroot chroot makes it again', async () => {
    const root = await changedRoot('stale', async (mounted) => {
      // What a nodejs upgrade without the trigger would leave: the runtime file is newer than the snapshot.
      await run(['touch', '-d', '2030-01-01', path.join(mounted, runtimeConf(mounted).get('snapshot_ref')!)]);
    });
    const boot = await tmpfsBoot(root, ['reprepare-runtime']);
    expectOverlayBoot(boot, 'tmpfs-root');
    const log = logOf(boot);
    expect(log.some((line) => /the runtime snapshot was made by another build of Node\.js than \S+ \(upgraded since\?\); starting the plain boot stage/.test(line)), explain(boot)).toBe(true);
    expect(log.some((line) => FROM_SNAPSHOT.test(line))).toBe(false);
    expect(log.some((line) => FROM_BUNDLE.test(line))).toBe(true);
    expect(boot.report.state?.outcome).toBe('configured');

    // docs/install.md's remedy, run on that booted instance: the next boot starts from the snapshot.
    const reprepare = commandFacts(boot.report, 'reprepare-runtime');
    expect(reprepare.exit, explain(boot)).toBe(0);
    expect(reprepare.stdout).toMatch(/^oroot: boot runtime prepared in \/usr\/lib\/oroot\/boot-runtime/m);
    const next = await tmpfsBoot(root);
    expectOverlayBoot(next, 'tmpfs-root');
    expect(logOf(next).some((line) => FROM_SNAPSHOT.test(line)), explain(next)).toBe(true);
    expect(logOf(next).some((line) => FROM_BUNDLE.test(line))).toBe(false);
  });

  it('that Node.js cannot start from (damaged, reference time intact): the plain bundle runs after it', async () => {
    const root = await changedRoot('damaged', async (mounted) => {
      const blob = path.join(mounted, RUNTIME_DIR, 'oroot-boot.blob');
      const bytes = readFileSync(blob);
      bytes.fill(0xa5, 64, 64 + 4096); // past the header, into the serialised heap
      writeFileSync(blob, bytes);
      await run(['touch', '-r', path.join(mounted, runtimeConf(mounted).get('snapshot_ref')!), blob]);
    });
    const boot = await tmpfsBoot(root);
    expectOverlayBoot(boot, 'tmpfs-root');
    const log = logOf(boot);
    const snapshotAt = log.findIndex((line) => FROM_SNAPSHOT.test(line));
    const diedAt = log.findIndex((line) => /Node\.js could not start from the runtime snapshot \(exit status \d+; made on a CPU with other features, or damaged\); starting the plain boot stage/.test(line));
    const bundleAt = log.findIndex((line) => FROM_BUNDLE.test(line));
    expect(snapshotAt, explain(boot)).toBeGreaterThanOrEqual(0);
    expect(diedAt).toBeGreaterThan(snapshotAt);
    expect(bundleAt).toBeGreaterThan(diedAt);
    expect(boot.report.state?.outcome).toBe('configured');
  });
});
