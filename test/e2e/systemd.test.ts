// Issue 7 §4: a full distribution boot. The debootstrapped Debian 12 with our .deb installed (and
// update-initramfs run inside it by the package's trigger) boots through systemd to the multi-user
// target on the encrypted overlay, and systemd remounts / read-write without errors.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blankDisk, plaintextProblems } from './harness/disks.js';
import { fact, factLines } from './harness/report.js';
import { bootScenario, expectOverlayBoot, explain, scenarioSuite } from './harness/scenario.js';

const suite = scenarioSuite();

describe('a full systemd boot', () => {
  it('reaches multi-user.target on the crypt overlay with / remounted read-write', async () => {
    const disk = await blankDisk(path.join(suite.dir, 'crypt.img'), 256);
    const boot = await bootScenario({
      system: suite.system,
      init: 'systemd',
      disks: [{ file: disk }],
      cmdline: ['overlayroot=crypt:dev=/dev/vdb'],
      expectation: { expect: 'overlay', upper: '/dev/mapper/secure' },
    });
    expectOverlayBoot(boot, '/dev/mapper/secure');
    expect(fact(boot.report, 'mode')).toBe('systemd');
    expect(fact(boot.report, 'multi-user'), explain(boot)).toBe('active');
    expect(fact(boot.report, 'remount-fs'), explain(boot)).toBe('success active');
    expect(factLines(boot.report, 'failed-unit'), explain(boot)).toEqual([]);
    expect(fact(boot.report, 'root-options').split(',')).toContain('rw');
    // `oroot status` from the package, on Debian's Node.js 18, sees what the boot did.
    expect(fact(boot.report, 'oroot-status-exit'), explain(boot)).toBe('0');
    expect(factLines(boot.report, 'oroot-status').join('\n')).toMatch(/^mode:\s+crypt/m);
    // The rewritten fstab: / is the overlay, the original root line is commented out.
    expect(factLines(boot.report, 'fstab').join('\n')).toMatch(/^\S+\s+\/\s+overlay\s/m);
    expect(await plaintextProblems(disk, boot.marker)).toEqual([]);
  });
});
