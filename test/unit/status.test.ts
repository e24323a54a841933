// `oroot status` on fixture roots: a mount table recorded on a real kernel (an overlayroot-style
// root), state files as the boot stage writes them, and — for crypt — the cryptsetup wrapper
// answering from a `cryptsetup status` recorded in a QEMU guest. Free space is real statfs of the
// fixture directories.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BootState } from '../../src/overlayroot/state.js';
import { collectStatus, realProbes, type StatusProbes } from '../../src/overlayroot/status.js';
import { bytes, formatStatus } from '../../src/overlayroot/status-format.js';
import { fakeMachine, recordedRun } from '../helpers/cryptsetup-fixtures.js';
import { tempDir } from '../helpers/machine.js';
import { tmpfsBootState } from '../helpers/overlay-root.js';

const recorded = readFileSync(path.resolve(import.meta.dirname, '../fixtures/mounts/overlayroot.mountinfo'), 'utf8');
const cryptTable = recorded.replace('tmpfs tmpfs-root rw,mode=755', 'ext4 /dev/mapper/secure rw');
const devices = [{ path: '/dev/loop0', sizeBytes: 32 * 1024 * 1024, label: 'ofx-root' }];

const state = tmpfsBootState;

const crypted = (keyStorage: string): BootState =>
  state({
    requested: { mode: 'crypt', source: 'kernel cmdline', value: 'crypt:dev=/dev/vda' },
    applied: {
      mode: 'crypt',
      upper: '/dev/mapper/secure',
      backingDevice: '/dev/vda',
      fstype: 'ext4',
      crypt: { profile: 'ephemeral', type: 'luks2', cipher: 'aes-xts-plain64', keyBits: 512, mapname: 'secure', keyStorage, formatted: true },
    },
  });

let fixture: ReturnType<typeof tempDir>;
let machine: ReturnType<typeof fakeMachine>;
let probes: StatusProbes;

function setUp(table: string, boot: BootState | string | undefined): void {
  mkdirSync(path.join(fixture.dir, 'proc/self'), { recursive: true });
  writeFileSync(path.join(fixture.dir, 'proc/self/mountinfo'), table);
  for (const dir of ['media/root-ro', 'media/root-rw', 'run/initramfs']) mkdirSync(path.join(fixture.dir, dir), { recursive: true });
  if (boot !== undefined) writeFileSync(path.join(fixture.dir, 'run/initramfs/oroot.state.json'), typeof boot === 'string' ? boot : JSON.stringify(boot));
}

beforeEach(() => {
  fixture = tempDir();
  machine = fakeMachine(fixture.dir);
  probes = { ...realProbes, canAskCryptsetup: () => true, blockDevices: async () => devices };
});
afterEach(() => fixture.cleanup());

describe('oroot status, tmpfs mode', () => {
  it('describes the overlay, both layers with their space and device, and the last boot', async () => {
    setUp(recorded, state());
    const report = await collectStatus(machine.host, probes);
    expect(report).toMatchObject({
      active: true,
      mode: 'tmpfs',
      root: { source: 'overlayroot', fstype: 'overlay', upperDir: '/media/root-rw/overlay', workDir: '/media/root-rw/overlay-workdir/_' },
      lower: { mountPoint: '/media/root-ro', source: '/dev/loop0', fstype: 'ext4', readOnly: true, device: devices[0] },
      upper: { mountPoint: '/media/root-rw', source: 'tmpfs-root', fstype: 'tmpfs', readOnly: false },
      lastBoot: { outcome: 'configured', steps: 1, failedSteps: [] },
      stateFile: { status: 'read' },
      problems: [],
    });
    expect(report.upper!.space!.totalBytes).toBeGreaterThan(0);
    expect(report.crypt).toBeUndefined();
    expect(machine.calls).toEqual([]); // no cryptsetup for a tmpfs upper
  });

  it('prints it for a person', async () => {
    setUp(recorded, state());
    const text = formatStatus(await collectStatus(machine.host, probes));
    expect(text).toMatch(/^overlay: {4}active: \/ is the overlay overlayroot, upper directory \/media\/root-rw\/overlay$/m);
    expect(text).toMatch(/^mode: {7}tmpfs \(asked for: tmpfs, by kernel cmdline\)$/m);
    expect(text).toMatch(/^lower: {6}\/media\/root-ro: \/dev\/loop0 \(ext4, read-only\), .* free \[label ofx-root, 32\.0 MiB device\]$/m);
    expect(text).toMatch(/^last boot: {2}configured at 2026-11-24T07:00:00.000Z in 1.8 s \(1 steps\)$/m);
    expect(text).toMatch(/^problems: {3}none$/m);
  });

  it('infers the mode from the mounts when the boot left no record', async () => {
    setUp(recorded, undefined);
    const report = await collectStatus(machine.host, probes);
    expect(report).toMatchObject({ active: true, mode: 'tmpfs', stateFile: { status: 'missing' }, problems: [] });
    expect(formatStatus(report)).toMatch(/^last boot: {2}no record \(\/run\/initramfs\/oroot.state.json does not exist\)$/m);
  });
});

describe('oroot status, crypt mode', () => {
  it('asks cryptsetup about the mapping and says where the key is', async () => {
    setUp(cryptTable, crypted('generated-discarded'));
    machine.answer('status', recordedRun('runs/guest-status-active-ephemeral'));
    const report = await collectStatus(machine.host, probes);
    expect(machine.calls.map((c) => c.argv.slice(1))).toEqual([['status', 'secure']]);
    expect(report.crypt).toMatchObject({ mapname: 'secure', live: { active: true, type: 'LUKS2', cipher: 'aes-xts-plain64', keyBits: 512, device: '/dev/vda' } });
    expect(report.problems).toEqual([]);
    const text = formatStatus(report);
    expect(text).toContain('crypt:      /dev/mapper/secure open: LUKS2, aes-xts-plain64, 512-bit key, on /dev/vda');
    expect(text).toContain('profile ephemeral; key generated at boot and not kept');
  });

  it('checks a kept key file: present and 0400 is fine, readable by others or gone is a problem', async () => {
    setUp(cryptTable, crypted('generated-kept:/run/initramfs/overlayroot.passwd'));
    const keyFile = path.join(fixture.dir, 'run/initramfs/overlayroot.passwd');
    writeFileSync(keyFile, 'a'.repeat(128), { mode: 0o400 });
    chmodSync(keyFile, 0o400);
    machine.answer('status', recordedRun('runs/guest-status-active-ephemeral'));
    const fine = await collectStatus(machine.host, probes);
    expect(fine.crypt!.keyFile).toEqual({ path: '/run/initramfs/overlayroot.passwd', present: true, mode: 0o400 });
    expect(fine.problems).toEqual([]);
    expect(formatStatus(fine)).toContain('key generated at boot and kept in /run/initramfs/overlayroot.passwd (mode 0400)');

    chmodSync(keyFile, 0o644);
    machine.answer('status', recordedRun('runs/guest-status-active-ephemeral'));
    expect((await collectStatus(machine.host, probes)).problems).toEqual([
      'the kept key /run/initramfs/overlayroot.passwd is readable by others (mode 0644); it must be 0400',
    ]);
  });

  it('does not ask cryptsetup without root, and does not call that a problem', async () => {
    setUp(cryptTable, crypted('generated-discarded'));
    const report = await collectStatus(machine.host, { ...probes, canAskCryptsetup: () => false });
    expect(machine.calls).toEqual([]);
    expect(report).toMatchObject({ crypt: { live: { active: 'not-asked' } }, problems: [] });
    expect(formatStatus(report)).toContain('crypt:      /dev/mapper/secure (run as root to see whether it is open)');
  });

  it('reports a volume that is no longer open', async () => {
    setUp(cryptTable, crypted('given:keyfile'));
    machine.answer('status', { argv: [], exitCode: 4, stdout: '/dev/mapper/secure is inactive.\n', stderr: '' });
    const report = await collectStatus(machine.host, probes);
    expect(report.crypt!.live).toEqual({ active: false });
    expect(report.problems).toEqual(['the encrypted volume /dev/mapper/secure is not open']);
  });
});

describe('oroot status, problems of the last boot', () => {
  it('reports a fallback to tmpfs when crypt was asked for', async () => {
    setUp(recorded, state({
      outcome: 'fallback',
      requested: { mode: 'crypt', source: '/etc/overlayroot.conf:3', value: 'crypt:dev=/dev/vdb' },
      fallback: { policy: 'tmpfs', reason: '/dev/vdb did not appear within 10 s' },
      steps: [{ kind: 'wait-device', description: 'wait for /dev/vdb', status: 'failed', durationMs: 10_000, error: 'not found' }],
    }));
    const report = await collectStatus(machine.host, probes);
    expect(report.problems).toEqual(['the last boot did not set up the requested crypt overlay and fell back to tmpfs: /dev/vdb did not appear within 10 s']);
    const text = formatStatus(report);
    expect(text).toContain('fell back to tmpfs: /dev/vdb did not appear within 10 s');
    expect(text).toContain('step failed: wait for /dev/vdb: not found');
  });

  it('reports a record of an overlay on a machine whose / is not one, and a writable lower', async () => {
    setUp('27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n', state());
    expect((await collectStatus(machine.host, probes)).problems).toEqual(['the last boot set up an overlay, but / is not one now (it is ext4 from /dev/vda)']);
    setUp(recorded.replace('/media/root-ro ro,relatime', '/media/root-ro rw,relatime'), state());
    expect((await collectStatus(machine.host, probes)).problems).toEqual(['the lower layer /media/root-ro is mounted read-write (expected only while oroot chroot runs)']);
  });

  it('reports an unreadable record, and a record from another version', async () => {
    setUp(recorded, '{"version": 1, "outco');
    expect((await collectStatus(machine.host, probes)).problems[0]).toMatch(/^cannot read \/run\/initramfs\/oroot.state.json: not JSON/);
    setUp(recorded, JSON.stringify({ ...state(), version: 2 }));
    expect((await collectStatus(machine.host, probes)).problems).toEqual(['cannot read /run/initramfs/oroot.state.json: version 2, expected 1']);
  });

  it('says plainly when / is not an overlay at all', async () => {
    setUp('27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n', undefined);
    const report = await collectStatus(machine.host, probes);
    expect(report).toMatchObject({ active: false, mode: 'none', problems: [] });
    expect(formatStatus(report)).toMatch(/^overlay: {4}not active: \/ is ext4 from \/dev\/vda; this system does not run on an overlay root$/m);
  });
});

describe('bytes', () => {
  it('prints binary units', () => {
    expect([bytes(512), bytes(1536), bytes(32 * 1024 ** 3)]).toEqual(['512 B', '1.5 KiB', '32.0 GiB']);
  });
});
