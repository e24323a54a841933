// Issue 7 §2: crypt mode with a persistent key from a config disk. The first boot formats the blank
// disk; the second reopens the same volume (no reformat) and finds the file from the first boot.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CFGDISK_WORD, configDisk, newKeyFile } from './harness/cfgdisk.js';
import { blankDisk, headHash, plaintextProblems } from './harness/disks.js';
import { fact } from './harness/report.js';
import { bootScenario, expectOverlayBoot, explain, scenarioSuite } from './harness/scenario.js';

const suite = scenarioSuite();

describe('crypt with a persistent key on a config disk', () => {
  it('formats once, then reopens the volume and keeps the data across reboots', async () => {
    const disk = await blankDisk(path.join(suite.dir, 'data.img'), 256);
    const key = newKeyFile(suite.dir, 'data.key');
    const cfg = await configDisk(path.join(suite.dir, 'cfg.img'), 'crypt:dev=/dev/vdb', key);
    const boot = () =>
      bootScenario({
        system: suite.system,
        disks: [{ file: disk }, { file: cfg, readonly: true }],
        cmdline: [CFGDISK_WORD],
        expectation: { expect: 'overlay', upper: '/dev/mapper/secure' },
      });

    const first = await boot();
    expectOverlayBoot(first, '/dev/mapper/secure');
    expect(first.report.state, explain(first)).toMatchObject({
      outcome: 'configured',
      requested: { source: expect.stringContaining('OROOTCFG') },
      applied: { crypt: { formatted: true, keyStorage: 'given:keyfile', profile: 'persistent' } },
    });
    expect(await plaintextProblems(disk, first.marker)).toEqual([]);
    const header = headHash(disk);

    const second = await boot();
    expectOverlayBoot(second, '/dev/mapper/secure');
    expect(second.report.state, explain(second)).toMatchObject({ outcome: 'configured', applied: { crypt: { formatted: false } } });
    expect(fact(second.report, 'previous-marker'), explain(second)).toBe(first.marker);
    expect(headHash(disk)).toBe(header);
    expect(await plaintextProblems(disk, second.marker)).toEqual([]);
  });
});
