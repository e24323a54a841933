// Issue 7 §3: faults. Each boots to a usable system per the failure policy (default: a tmpfs upper
// layer), prints a clear message that survives `quiet`, writes nothing in clear text to the second
// disk, and never reformats an existing volume. Plus the init-bottom script's own safety net: a root
// without a Node.js runtime, and the `halt` policy.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CFGDISK_WORD, configDisk, newKeyFile } from './harness/cfgdisk.js';
import { blankDisk, headHash, isAllZeros, luksVersion, plaintextProblems, scribble } from './harness/disks.js';
import { factLines } from './harness/report.js';
import { bootScenario, expectOverlayBoot, expectTmpfsFallback, explain, scenarioSuite } from './harness/scenario.js';
import { guestSystem } from './harness/system.js';

const suite = scenarioSuite();
const FALLBACK_NOTICE = /oroot: a tmpfs overlay is in place instead \(failure policy tmpfs\)/;
const tmpfsExpected = { expect: 'overlay', upper: 'tmpfs-root' } as const;

describe('the second disk', () => {
  it('missing: falls back to tmpfs and says why', async () => {
    const boot = await bootScenario({ system: suite.system, quiet: true, cmdline: ['overlayroot=crypt:dev=/dev/vdb'], expectation: tmpfsExpected });
    expectTmpfsFallback(boot, FALLBACK_NOTICE);
    expect(boot.console).toMatch(/oroot: could not set up the crypt overlay: \/dev\/vdb did not appear/);
  });

  it('appearing late: the stage waits for it (timeout=) and formats it once it is there', async () => {
    const disk = await blankDisk(path.join(suite.dir, 'late.img'), 256);
    const boot = await bootScenario({
      system: suite.system,
      lateDisk: { file: disk, afterConsole: /oroot: configuring overlayroot/, delayMs: 2_000 },
      cmdline: ['overlayroot=crypt:dev=/dev/vdb,timeout=120'],
      expectation: { expect: 'overlay', upper: '/dev/mapper/secure' },
    });
    expectOverlayBoot(boot, '/dev/mapper/secure');
    const wait = boot.report.state?.steps.find((step) => step.kind === 'wait-device');
    expect(wait, explain(boot)).toMatchObject({ status: 'done' });
    expect(wait!.durationMs).toBeGreaterThan(1_000);
    expect(await plaintextProblems(disk, boot.marker)).toEqual([]);
  });
});

describe('an existing persistent volume', () => {
  const disk = path.join(suite.dir, 'persistent.img');
  const rightKey = newKeyFile(suite.dir, 'right.key');
  const bootWith = async (key: string, expectation: Parameters<typeof bootScenario>[0]['expectation']) => {
    const cfg = await configDisk(path.join(suite.dir, 'cfg.img'), 'crypt:dev=/dev/vdb', key);
    return bootScenario({ system: suite.system, quiet: true, disks: [{ file: disk }, { file: cfg, readonly: true }], cmdline: [CFGDISK_WORD], expectation });
  };

  beforeAll(async () => {
    await blankDisk(disk, 256);
    const made = await bootWith(rightKey, { expect: 'overlay', upper: '/dev/mapper/secure' });
    expect(made.report.state?.applied.crypt?.formatted, explain(made)).toBe(true);
  });

  it('wrong key: never reformats, falls back to tmpfs', async () => {
    const before = headHash(disk);
    const boot = await bootWith(newKeyFile(suite.dir, 'wrong.key'), tmpfsExpected);
    expectTmpfsFallback(boot, FALLBACK_NOTICE);
    expect(boot.console).toMatch(/oroot: could not set up the crypt overlay/);
    expect(headHash(disk)).toBe(before);
    expect(await plaintextProblems(disk, boot.marker)).toEqual([]);
  });

  it('corrupted LUKS header: never reformats, falls back to tmpfs', async () => {
    // Damage the JSON metadata of both LUKS2 header copies (primary at 0, secondary at 16 KiB).
    scribble(disk, 4096 + 64, 512);
    scribble(disk, 16384 + 4096 + 64, 512);
    const before = headHash(disk);
    const boot = await bootWith(rightKey, tmpfsExpected);
    expectTmpfsFallback(boot, FALLBACK_NOTICE);
    expect(headHash(disk)).toBe(before);
    expect(luksVersion(disk)).toBe(2);
    expect(await plaintextProblems(disk, boot.marker)).toEqual([]);
  });
});

describe('configuration and runtime faults', () => {
  it('invalid configuration: the safe default (tmpfs) applies and the message names the problem', async () => {
    const disk = await blankDisk(path.join(suite.dir, 'invalid.img'), 64);
    const boot = await bootScenario({
      system: suite.system,
      quiet: true,
      disks: [{ file: disk }],
      cmdline: ['overlayroot=crypt:dev=/dev/vdb,recurce=0'],
      expectation: tmpfsExpected,
    });
    expectTmpfsFallback(boot, FALLBACK_NOTICE);
    expect(boot.console).toMatch(/oroot: could not set up the .* overlay: invalid configuration: .*recurce/);
    expect(await isAllZeros(disk)).toBe(true);
  });

  it('no Node.js on the root: the init-bottom script sets up the tmpfs overlay itself, loudly', async () => {
    const noRuntime = await guestSystem('no-runtime');
    const disk = await blankDisk(path.join(suite.dir, 'no-runtime.img'), 64);
    const boot = await bootScenario({
      system: noRuntime,
      quiet: true,
      disks: [{ file: disk }],
      cmdline: ['overlayroot=crypt:dev=/dev/vdb'],
      expectation: tmpfsExpected,
    });
    expectTmpfsFallback(boot, /oroot: no Node\.js runtime on the root filesystem/);
    expect(boot.console).toMatch(/oroot: falling back to a tmpfs overlay instead of the requested crypt overlay/);
    expect(boot.report.state?.warnings).toContain('set up by the init-bottom script, not by the oroot stage');
    // Disk entries of fstab are disabled so the real init cannot write to them.
    expect(factLines(boot.report, 'fstab')).toContain('#oroot-fallback# /dev/vda / ext4 defaults,errors=remount-ro 0 1');
    expect(await isAllZeros(disk)).toBe(true);
  });

  it('failure policy halt: the boot stops in the initramfs instead of continuing', async () => {
    const boot = await bootScenario({
      system: suite.system,
      quiet: true,
      cmdline: ['overlayroot=crypt:dev=/dev/vdb,failure=halt'],
      expectation: tmpfsExpected,
    });
    expect(boot.report.verdict, explain(boot)).toBe('missing');
    expect(boot.console).toMatch(/oroot: failure policy halt: stopping the boot/);
    expect(boot.console).toMatch(/Rebooting automatically due to panic= boot argument/);
  });
});
