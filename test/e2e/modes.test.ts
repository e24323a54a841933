// Issue 7 §1: the three modes, booted for real. / is the overlay named overlayroot, the upper layer
// is on the right device, a file written in the guest lands in the upper layer, the lower stays
// read-only; in crypt mode the file's bytes are not on the raw disk, which starts with LUKS2.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blankDisk, containsBytes, ext4Disk, luksVersion, plaintextProblems } from './harness/disks.js';
import { factLines } from './harness/report.js';
import { bootScenario, expectOverlayBoot, explain, scenarioSuite } from './harness/scenario.js';

const suite = scenarioSuite();

describe('overlay modes', () => {
  it('tmpfs: the upper layer is a tmpfs named tmpfs-root', async () => {
    const boot = await bootScenario({ system: suite.system, cmdline: ['overlayroot=tmpfs'], expectation: { expect: 'overlay', upper: 'tmpfs-root' } });
    expectOverlayBoot(boot, 'tmpfs-root');
    expect(boot.report.state).toMatchObject({ outcome: 'configured', applied: { mode: 'tmpfs', upper: 'tmpfs-root' } });
  });

  it('device: the upper layer is the second disk, in clear text as asked', async () => {
    const disk = await ext4Disk(path.join(suite.dir, 'device.img'), { label: 'upper', mib: 128 });
    const boot = await bootScenario({
      system: suite.system,
      disks: [{ file: disk }],
      cmdline: ['overlayroot=device:dev=/dev/vdb'],
      expectation: { expect: 'overlay', upper: '/dev/vdb' },
    });
    expectOverlayBoot(boot, '/dev/vdb');
    expect(boot.report.state).toMatchObject({ outcome: 'configured', applied: { mode: 'device', upper: '/dev/vdb' } });
    // Device mode is not encrypted: the same host check that guards crypt mode finds the marker.
    expect(await containsBytes(disk, boot.marker)).toBe(true);
    expect(await plaintextProblems(disk, boot.marker)).toHaveLength(2);
  });

  it('crypt with a generated key: the upper layer is /dev/mapper/secure and nothing is readable on the disk', async () => {
    const disk = await blankDisk(path.join(suite.dir, 'crypt.img'), 256);
    const boot = await bootScenario({
      system: suite.system,
      disks: [{ file: disk }],
      cmdline: ['overlayroot=crypt:dev=/dev/vdb'],
      expectation: { expect: 'overlay', upper: '/dev/mapper/secure' },
    });
    expectOverlayBoot(boot, '/dev/mapper/secure');
    expect(boot.report.state, explain(boot)).toMatchObject({
      outcome: 'configured',
      applied: { mode: 'crypt', upper: '/dev/mapper/secure', backingDevice: '/dev/vdb', crypt: { mapname: 'secure', formatted: true, keyStorage: 'generated-discarded' } },
    });
    expect(factLines(boot.report, 'crypt').join('\n')).toMatch(/is active and is in use[\s\S]*device:\s+\/dev\/vdb/);
    expect(await plaintextProblems(disk, boot.marker)).toEqual([]);
    expect(luksVersion(disk)).toBe(2);
  });
});
