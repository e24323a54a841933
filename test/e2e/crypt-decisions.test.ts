// The crypt step's open-or-format table (docs/boot.md), booted for real: a generated key replaces
// only a blank disk or an earlier ephemeral volume; it never touches a persistent volume or data; a
// persistent volume whose primary LUKS2 header is damaged still opens from the secondary copy.
// Volumes are prepared on the host with cryptsetup (luksFormat needs no device-mapper).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/system/spawn.js';
import { requireRoot, requireTool } from '../helpers/machine.js';
import { CFGDISK_WORD, configDisk, newKeyFile } from './harness/cfgdisk.js';
import { blankDisk, containsBytes, ext4Disk, headHash, plaintextProblems, scribble } from './harness/disks.js';
import { bootScenario, expectOverlayBoot, expectTmpfsFallback, explain, scratchDir } from './harness/scenario.js';
import { guestSystem, type GuestSystem } from './harness/system.js';

let system: GuestSystem;
const scratch = scratchDir();
const FALLBACK_NOTICE = /oroot: a tmpfs overlay is in place instead \(failure policy tmpfs\)/;
const crypt = { expect: 'overlay', upper: '/dev/mapper/secure' } as const;
const tmpfs = { expect: 'overlay', upper: 'tmpfs-root' } as const;

beforeAll(async () => {
  requireRoot();
  requireTool('cryptsetup');
  system = await guestSystem('oroot');
});
afterAll(() => scratch.cleanup());

/** A LUKS2 volume made on the host, as an earlier boot with `label` would have left it. */
async function luksDisk(name: string, label: string, keyFile: string): Promise<string> {
  const file = await blankDisk(path.join(scratch.dir, name), 128);
  await run(['cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks2', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--label', label, '--key-file', keyFile, file]);
  return file;
}

describe('a generated key (ephemeral volume)', () => {
  it('formats an earlier ephemeral volume again: a new header every boot', async () => {
    const disk = await blankDisk(path.join(scratch.dir, 'ephemeral.img'), 128);
    const first = await bootScenario({ system, disks: [{ file: disk }], cmdline: ['overlayroot=crypt:dev=/dev/vdb'], expectation: crypt });
    expectOverlayBoot(first, '/dev/mapper/secure');
    const header = headHash(disk);
    const second = await bootScenario({ system, disks: [{ file: disk }], cmdline: ['overlayroot=crypt:dev=/dev/vdb'], expectation: crypt });
    expectOverlayBoot(second, '/dev/mapper/secure');
    expect(second.report.state?.applied.crypt, explain(second)).toMatchObject({ formatted: true, keyStorage: 'generated-discarded' });
    expect(headHash(disk)).not.toBe(header);
    expect(second.report.state?.steps.find((s) => s.kind === 'crypt-attach')?.status).toBe('done');
    expect(await plaintextProblems(disk, second.marker)).toEqual([]);
  });

  it('never formats a persistent volume: falls back to tmpfs, the header untouched', async () => {
    const disk = await luksDisk('persistent.img', 'oroot-persistent', newKeyFile(scratch.dir, 'p.key'));
    const before = headHash(disk);
    const boot = await bootScenario({ system, quiet: true, disks: [{ file: disk }], cmdline: ['overlayroot=crypt:dev=/dev/vdb'], expectation: tmpfs });
    expectTmpfsFallback(boot, FALLBACK_NOTICE);
    expect(boot.console).toMatch(/oroot: could not set up the crypt overlay: \/dev\/vdb: the device holds a persistent oroot volume \(LUKS label oroot-persistent\)/);
    expect(headHash(disk)).toBe(before);
  });

  it('never overwrites data: an ext4 disk is refused and left as it was', async () => {
    const tree = path.join(scratch.dir, 'data-tree');
    mkdirSync(tree);
    writeFileSync(path.join(tree, 'precious.txt'), 'precious data on the second disk\n');
    const disk = await ext4Disk(path.join(scratch.dir, 'data.img'), { label: 'data', mib: 64, contents: tree });
    const before = headHash(disk);
    const boot = await bootScenario({ system, quiet: true, disks: [{ file: disk }], cmdline: ['overlayroot=crypt:dev=/dev/vdb'], expectation: tmpfs });
    expectTmpfsFallback(boot, FALLBACK_NOTICE);
    expect(boot.console).toMatch(/the device holds an ext4 signature labelled data; refusing to overwrite data/);
    expect(headHash(disk)).toBe(before);
    expect(await containsBytes(disk, 'precious data on the second disk')).toBe(true);
    expect(await containsBytes(disk, boot.marker)).toBe(false);
  });
});

describe('a given key (persistent volume)', () => {
  it('opens a volume whose primary header is damaged from its secondary copy, never formatting it', async () => {
    const key = newKeyFile(scratch.dir, 'data.key');
    const disk = await blankDisk(path.join(scratch.dir, 'damaged.img'), 256);
    const cfg = await configDisk(path.join(scratch.dir, 'cfg.img'), 'crypt:dev=/dev/vdb', key);
    const boot = () => bootScenario({ system, disks: [{ file: disk }, { file: cfg, readonly: true }], cmdline: [CFGDISK_WORD], expectation: crypt });
    const first = await boot();
    expectOverlayBoot(first, '/dev/mapper/secure');
    expect(first.report.state?.applied.crypt?.formatted, explain(first)).toBe(true);

    scribble(disk, 0, 512); // the primary binary header (magic, label) is gone; the secondary at 16 KiB remains
    const second = await boot();
    expectOverlayBoot(second, '/dev/mapper/secure');
    expect(second.report.state?.applied.crypt, explain(second)).toMatchObject({ formatted: false, keyStorage: 'given:keyfile' });
    // The same volume, not a new one: the file written by the first boot is still there.
    expect(second.report.facts.get('previous-marker')?.at(-1), explain(second)).toBe(first.marker);
    expect(await containsBytes(disk, second.marker)).toBe(false);
  });
});
