// Issue 6: "a disk written by a crypt boot with a kept or persistent key is opened and read by the
// recovery command in a second guest, and refused with a clear message for a wrong key."
// Boot 1 runs in crypt mode and writes its marker through the overlay. Boot 2 is another guest,
// with overlayroot disabled and the key on a files disk: the installed `oroot recover` refuses a
// wrong key (exit 3, nothing mapped, attached or mounted), opens the volume read-only with the
// right one, the marker is read through the read-only mount, and `oroot recover --close` leaves
// nothing behind. Once from the attached disk, once from a disk image (a loop device).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/overlayroot/status.js';
import { CFGDISK_WORD, configDisk, newKeyFile } from './harness/cfgdisk.js';
import { blankDisk, imageHash, plaintextProblems } from './harness/disks.js';
import { addToFilesDisk, commandFacts, FILES_MOUNT, filesDisk, scenarioWords } from './harness/guest-run.js';
import type { Disk } from './harness/qemu.js';
import { fact, factLines } from './harness/report.js';
import { bootScenario, expectOverlayBoot, explain, scenarioSuite, type ScenarioBoot } from './harness/scenario.js';

const suite = scenarioSuite();

/** Boot 2: overlayroot disabled; `disks` carry the volume and the files disk with the keys. */
function recoverInSecondGuest(disks: readonly Disk[], volume: string, keyName: string): Promise<ScenarioBoot> {
  return bootScenario({
    system: suite.system,
    disks,
    cmdline: ['overlayroot=disabled', ...scenarioWords(['recover'], { volume, key: keyName })],
    expectation: { expect: 'none' },
  });
}

/** What every recovery shows, whichever key form the volume was made with and wherever it is. */
function expectRecovered(boot: ScenarioBoot, volume: string, firstMarker: string): void {
  const dir = '/run/oroot-e2e-recovered';
  const nothingLeft = (prefix: string) => {
    for (const what of ['mapped', 'loops', 'mounted']) expect(fact(boot.report, `${prefix}-${what}`), `${prefix}-${what}\n${explain(boot)}`).toBe('');
  };
  expect(boot.report.verdict, explain(boot)).toBe('PASS');

  const wrong = commandFacts(boot.report, 'recover-wrong');
  expect(wrong.exit, explain(boot)).toBe(3);
  expect(wrong.stderr).toContain(`oroot: key for ${volume}: does not open this volume: no key slot accepts it\n`);
  expect(wrong.stderr).toMatch(/^oroot: Use the key the instance used/m);
  nothingLeft('recover-wrong');

  const opened = commandFacts(boot.report, 'recover');
  expect(opened.exit, explain(boot)).toBe(0);
  expect(opened.stdout.split('\n')).toEqual([
    `opened ${volume} (LUKS2, key slot 0) read-only as /dev/mapper/oroot-recover`,
    `mounted ext4 read-only at ${dir}`,
    `upper layer: ${dir}/overlay`,
    `close with: oroot recover --close ${dir}`,
  ]);
  const [source, fstype, options = ''] = fact(boot.report, 'recover-mount').split(' ');
  expect([source, fstype]).toEqual(['/dev/mapper/oroot-recover', 'ext4']);
  expect(options.split(',')).toContain('ro');
  expect(fact(boot.report, 'recover-marker'), explain(boot)).toBe(firstMarker);
  expect(fact(boot.report, 'recover-writable')).toBe('no');
  const mapping = factLines(boot.report, 'recover-crypt').join('\n');
  expect(mapping).toMatch(/is active[\s\S]*type:\s+LUKS2[\s\S]*mode:\s+readonly/);
  if (volume.startsWith('/dev/')) {
    expect(mapping).toMatch(new RegExp(`device:\\s+${volume}\\n`));
    expect(fact(boot.report, 'recover-loops')).toBe('');
  } else {
    // An image: cryptsetup attached it to a read-only loop device, and detaches it on close.
    expect(mapping).toMatch(new RegExp(`loop:\\s+${volume}\\n`));
    expect(fact(boot.report, 'recover-loops').trim()).toBe(`${volume} ro=1`);
  }

  const closed = commandFacts(boot.report, 'recover-close');
  expect(closed.exit, explain(boot)).toBe(0);
  expect(closed.stdout).toBe(`unmounted ${dir}, closed /dev/mapper/oroot-recover`);
  nothingLeft('recover-closed');
}

describe('oroot recover in a second guest', () => {
  it('persistent key (key file on a config disk): the attached disk is read with the key, a wrong key is refused', async () => {
    const volume = await blankDisk(path.join(suite.dir, 'persistent.img'), 256);
    const key = newKeyFile(suite.dir, 'volume.key');
    const cfg = await configDisk(path.join(suite.dir, 'cfg.img'), 'crypt:dev=/dev/vdb', key);
    const first = await bootScenario({
      system: suite.system,
      disks: [{ file: volume }, { file: cfg, readonly: true }],
      cmdline: [CFGDISK_WORD],
      expectation: { expect: 'overlay', upper: '/dev/mapper/secure' },
    });
    expectOverlayBoot(first, '/dev/mapper/secure');
    expect(first.report.state?.applied.crypt, explain(first)).toMatchObject({ profile: 'persistent', keyStorage: 'given:keyfile', formatted: true });
    expect(await plaintextProblems(volume, first.marker)).toEqual([]);

    const files = await filesDisk(path.join(suite.dir, 'keys.img'), {
      'volume.key': { copyOf: key },
      'wrong.key': { copyOf: newKeyFile(suite.dir, 'wrong.key') },
    });
    const before = await imageHash(volume);
    // The volume is attached read-write: only oroot recover itself keeps it unchanged.
    const second = await recoverInSecondGuest([{ file: volume }, { file: files, readonly: true }], '/dev/vdb', 'volume.key');
    expectRecovered(second, '/dev/vdb', first.marker);
    expect(await imageHash(volume)).toBe(before);
  });

  it('kept key (keep_key=1): the key an admin copied off the running instance reads an image of its ephemeral volume', async () => {
    const volume = await blankDisk(path.join(suite.dir, 'ephemeral.img'), 64);
    // The admin's transfer disk, onto which boot 1 copies its kept key. A wrong key is there already:
    // another boot's kept key (128 hex characters, as overlayroot.passwd holds).
    const otherBootKey = path.join(suite.dir, 'other-boot.passwd');
    writeFileSync(otherBootKey, randomBytes(64).toString('hex'), { mode: 0o400 });
    const transfer = await filesDisk(path.join(suite.dir, 'transfer.img'), { 'wrong.key': { copyOf: otherBootKey } }, 128);
    const first = await bootScenario({
      system: suite.system,
      disks: [{ file: volume }, { file: transfer }],
      cmdline: ['overlayroot=crypt:dev=/dev/vdb,keep_key=1', ...scenarioWords(['status', 'keep-key'])],
      expectation: { expect: 'overlay', upper: '/dev/mapper/secure' },
    });
    expectOverlayBoot(first, '/dev/mapper/secure');
    expect(fact(first.report, 'kept-key-mode'), explain(first)).toBe('400');
    expect(fact(first.report, 'kept-key-bytes')).toBe('128');
    // oroot status on that instance says where the key is, and that the file is root-only.
    const status = JSON.parse(commandFacts(first.report, 'status-json').stdout) as StatusReport;
    expect(status.crypt, explain(first)).toMatchObject({
      recorded: { profile: 'ephemeral', keyStorage: 'generated-kept:/run/initramfs/overlayroot.passwd' },
      keyFile: { path: '/run/initramfs/overlayroot.passwd', present: true, mode: 0o400 },
      live: { active: true },
    });
    expect(status.problems).toEqual([]);
    expect(await plaintextProblems(volume, first.marker)).toEqual([]);

    // The volume goes to the second guest as an image file on the (read-only) transfer disk.
    await addToFilesDisk(transfer, 'volume.img', volume);
    const image = `${FILES_MOUNT}/volume.img`;
    const second = await recoverInSecondGuest([{ file: transfer, readonly: true }], image, 'kept.key');
    expectRecovered(second, image, first.marker);
  });
});
