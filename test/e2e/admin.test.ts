// Issue 6's admin commands on a booted guest, run as installed by the package (on Debian's
// Node.js 18): `oroot status --json` reports the live crypt volume, its profile and key storage and
// the last boot; `oroot chroot` changes the lower layer for good, returns the command's exit status
// (also 128+9 for a killed command) and leaves the lower layer read-only with nothing bound in it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blankDisk, copyImage, readFromExt4Image } from './harness/disks.js';
import { commandFacts, scenarioWords } from './harness/guest-run.js';
import { fact } from './harness/report.js';
import { bootScenario, expectOverlayBoot, explain, scenarioSuite, type ScenarioBoot } from './harness/scenario.js';
import type { StatusReport } from '../../src/overlayroot/status.js';

const suite = scenarioSuite();

/** The `oroot status --json` report the status scenario got, which must have exited 0 and quietly. */
function statusOf(boot: ScenarioBoot): StatusReport {
  const status = commandFacts(boot.report, 'status-json');
  expect(status.exit, explain(boot)).toBe(0);
  expect(status.stderr).toBe('');
  return JSON.parse(status.stdout) as StatusReport;
}

describe('oroot status in a booted guest', () => {
  it('crypt with a generated key: the live mapping, cipher, profile, key storage and the last boot', async () => {
    const disk = await blankDisk(path.join(suite.dir, 'crypt.img'), 256);
    const boot = await bootScenario({
      system: suite.system,
      disks: [{ file: disk }],
      cmdline: ['overlayroot=crypt:dev=/dev/vdb', ...scenarioWords(['status'])],
      expectation: { expect: 'overlay', upper: '/dev/mapper/secure' },
    });
    expectOverlayBoot(boot, '/dev/mapper/secure');
    const status = statusOf(boot);
    expect(status, explain(boot)).toMatchObject({
      version: 1,
      active: true,
      mode: 'crypt',
      root: { source: 'overlayroot', fstype: 'overlay', upperDir: '/media/root-rw/overlay' },
      lower: { mountPoint: '/media/root-ro', source: '/dev/vda', readOnly: true },
      upper: { mountPoint: '/media/root-rw', source: '/dev/mapper/secure', fstype: 'ext4', readOnly: false },
      crypt: {
        mapname: 'secure',
        recorded: { profile: 'ephemeral', type: 'luks2', cipher: 'aes-xts-plain64', keyBits: 512, keyStorage: 'generated-discarded', formatted: true },
        // From cryptsetup status, asked on the live system.
        live: { active: true, type: 'LUKS2', cipher: 'aes-xts-plain64', keyBits: 512, device: '/dev/vdb', readOnly: false, inUse: true },
      },
      lastBoot: { outcome: 'configured', requested: { mode: 'crypt', source: 'kernel cmdline' }, failedSteps: [] },
      stateFile: { status: 'read' },
      problems: [],
    });
    expect(status.crypt?.keyFile).toBeUndefined();
    expect(status.upper?.space?.totalBytes).toBeGreaterThan(200 * 2 ** 20);
    expect(status.lastBoot?.steps).toBeGreaterThan(5);
    // The text form says the same to a person.
    const text = commandFacts(boot.report, 'status-text');
    expect(text.exit).toBe(0);
    expect(text.stdout).toMatch(/^mode:\s+crypt \(asked for: crypt, by kernel cmdline\)$/m);
    expect(text.stdout).toMatch(/^crypt:\s+\/dev\/mapper\/secure open: LUKS2, aes-xts-plain64, 512-bit key, on \/dev\/vdb, in use$/m);
    expect(text.stdout).toMatch(/^problems:\s+none$/m);
  });
});

describe('oroot chroot in a booted guest', () => {
  it('tmpfs mode: the change lands in the lower layer, the exit status comes back, the lower is read-only again', async () => {
    // A copy of the root image, attached read-write: the lower layer oroot chroot makes writable.
    const root = await copyImage(suite.system.rootImage, path.join(suite.dir, 'root.img'));
    const boot = await bootScenario({
      system: suite.system,
      writableRoot: root,
      cmdline: ['overlayroot=tmpfs', ...scenarioWords(['status', 'chroot'])],
      expectation: { expect: 'overlay', upper: 'tmpfs-root' },
    });
    expectOverlayBoot(boot, 'tmpfs-root');
    expect(statusOf(boot), explain(boot)).toMatchObject({ active: true, mode: 'tmpfs', upper: { source: 'tmpfs-root', fstype: 'tmpfs' }, problems: [] });

    const session = commandFacts(boot.report, 'chroot');
    expect(session.exit, explain(boot)).toBe(7);
    expect(session.stderr).toMatch(/read-only again/);
    expect(fact(boot.report, 'chroot-lower-file')).toBe(boot.marker);
    for (const prefix of ['chroot', 'chroot-killed']) {
      expect(fact(boot.report, `${prefix}-lower-options`).split(','), `${prefix}\n${explain(boot)}`).toContain('ro');
      expect(fact(boot.report, `${prefix}-lower-writable`)).toBe('no');
      expect(fact(boot.report, `${prefix}-mounts-below`)).toBe('0');
      expect(fact(boot.report, `${prefix}-lock`)).toBe('absent');
    }
    const killed = commandFacts(boot.report, 'chroot-killed');
    expect(killed.exit, explain(boot)).toBe(137);
    expect(killed.stderr).toMatch(/killed by SIGKILL/);

    // The change is in the root disk itself, where the next boot's lower layer comes from; the
    // system's own image is untouched.
    expect((await readFromExt4Image(root, '/etc/oroot-e2e-chroot'))?.trim()).toBe(boot.marker);
    expect(await readFromExt4Image(suite.system.rootImage, '/etc/oroot-e2e-chroot')).toBeUndefined();
  });
});
