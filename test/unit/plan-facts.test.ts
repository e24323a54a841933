// The probe's pure readers, the selection of the mounts under $rootmnt, and which probes start a
// process.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDeviceSpec } from '../../src/overlayroot/config/devspec.js';
import { CRYPTSETUP_VERSION_RECORD, probeFacts, type ProbeOptions } from '../../src/overlayroot/facts.js';
import { tempDir } from '../helpers/machine.js';
import { scriptedHost } from '../helpers/scripted-host.js';
import { parseBlkidExport, parseCmdline, parseCryptsetupVersion, parseFilesystems, parseMeminfo } from '../../src/overlayroot/facts-parse.js';
import { asMachinePaths, selectRootMounts } from '../../src/overlayroot/facts-mounts.js';
import { parseMountinfo } from '../../src/system/mounts.js';
import { kernelNeedsWorkdir, rootOverlayDirs } from '../../src/overlayroot/plan/layout.js';
import { nestedOverlayDirs } from '../../src/overlayroot/fstab/layout.js';
import { majorMinor } from '../../src/overlayroot/execute/wait-device.js';

describe('kernel command line', () => {
  it('root is mounted ro unless the last ro/rw token is rw; the overlay is remounted ro only for an explicit ro', () => {
    expect(parseCmdline('root=/dev/vda1 quiet')).toMatchObject({ rootMountedReadOnly: true, remountOverlayReadOnly: false });
    expect(parseCmdline('root=/dev/vda1 ro quiet\n')).toMatchObject({ rootMountedReadOnly: true, remountOverlayReadOnly: true });
    expect(parseCmdline('ro rw')).toMatchObject({ rootMountedReadOnly: false, remountOverlayReadOnly: false });
    expect(parseCmdline('  rw   ro ').tokens).toEqual(['rw', 'ro']);
    expect(parseCmdline('overlayroot=tmpfs:ro')).toMatchObject({ remountOverlayReadOnly: false });
  });
});

describe('small /proc files', () => {
  it('reads /proc/filesystems, /proc/meminfo and cryptsetup --version', () => {
    expect(parseFilesystems('nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n')).toEqual(['sysfs', 'tmpfs', 'ext4', 'overlay']);
    expect(parseMeminfo('MemTotal:        2030000 kB\nMemFree:   100 kB\nMemAvailable:    1500000 kB\n')).toEqual({ totalKiB: 2030000, availableKiB: 1500000 });
    // Before Linux 3.14 there is no MemAvailable; a field that is missing or unreadable counts 0.
    expect(parseMeminfo('MemTotal: 1000 kB\nMemFree: 600 kB\n')).toEqual({ totalKiB: 1000, availableKiB: 600 });
    expect(parseMeminfo('MemTotalX: 5 kB\nMemTotal: x kB\n')).toEqual({ totalKiB: 0, availableKiB: 0 });
    expect(parseFilesystems('  nodev   proc  \n\n\tbtrfs')).toEqual(['proc', 'btrfs']);
    expect(parseMeminfo('MemTotal: 10 kB\nMemFree: 7 kB\n').availableKiB).toBe(7);
    expect(parseCryptsetupVersion('cryptsetup 2.6.1 flags: UDEV BLKID KEYRING KERNEL_CAPI\n')).toBe('2.6.1');
    expect(parseCryptsetupVersion('sh: cryptsetup: not found')).toBeUndefined();
  });

  it('reads blkid -o export, including escaped values and devices without a label', () => {
    const text = 'DEVNAME=/dev/vda1\nLABEL=My\\ Root\nUUID=1-2\nTYPE=ext4\nPARTUUID=abc\n\nDEVNAME=/dev/vdb\nPTTYPE=gpt\n\nDEVNAME=/dev/vdc\nVERSION=2\nLABEL=oroot-ephemeral\nTYPE=crypto_LUKS\n';
    expect(parseBlkidExport(text)).toEqual([
      { device: '/dev/vda1', label: 'My Root', uuid: '1-2', type: 'ext4', partuuid: 'abc' },
      { device: '/dev/vdb', pttype: 'gpt' },
      { device: '/dev/vdc', version: '2', label: 'oroot-ephemeral', type: 'crypto_LUKS' },
    ]);
  });

  it('decodes dev_t the way glibc does, including large minors', () => {
    expect(majorMinor(0x0801)).toBe('8:1');
    expect(majorMinor(259 * 256 + 3)).toBe('259:3');
    expect(majorMinor(0x10072c)).toBe('7:300'); // makedev(7, 300): minor bits 8+ live at bit 20
  });
});

describe('mounts under $rootmnt', () => {
  const mountinfo = [
    '22 1 0:21 / / rw,relatime - rootfs rootfs rw',
    '30 22 254:1 / /root ro,relatime - ext4 /dev/vda1 ro,errors=remount-ro',
    '31 30 254:2 / /root/usr rw,relatime - ext4 /dev/vda2 rw',
    '32 30 0:5 / /root/dev rw - devtmpfs udev rw,size=10k',
    '33 22 0:30 / /root\\040dir rw - tmpfs none rw',
    '34 31 254:3 / /root/usr/local ro - xfs /dev/vda3 ro',
  ].join('\n');

  it('parses mountinfo and finds the root and its submounts, parents first', () => {
    const entries = parseMountinfo(mountinfo);
    expect(entries[4]!.mountPoint).toBe('/root dir');
    const { root, submounts } = selectRootMounts(entries, '/root');
    expect(root).toMatchObject({ source: '/dev/vda1', fstype: 'ext4', readOnly: true, majorMinor: '254:1' });
    expect(root!.options).toEqual(['ro', 'relatime', 'errors=remount-ro']);
    expect(submounts.map((m) => m.mountPoint)).toEqual(['/root/usr', '/root/dev', '/root/usr/local']);
    expect(submounts[0]!.readOnly).toBe(false);
  });

  it('turns real mount points into machine paths under a host root, ignoring the rest', () => {
    const shifted = mountinfo.replaceAll(' /root', ' /tmp/t/initramfs/root');
    const { root, submounts } = selectRootMounts(asMachinePaths(parseMountinfo(shifted), '/tmp/t/initramfs'), '/root');
    expect(root?.mountPoint).toBe('/root');
    expect(submounts.map((m) => m.mountPoint)).toEqual(['/root/usr', '/root/dev', '/root/usr/local']);
  });

  it('sees only the top mount when two are stacked on one mount point', () => {
    const stacked = `${mountinfo}\n40 30 0:40 / /root rw - overlay overlayroot rw,lowerdir=/media/root-ro`;
    expect(selectRootMounts(parseMountinfo(stacked), '/root').root?.fstype).toBe('overlay');
  });
});

describe('layout rules', () => {
  it('needs a workdir from Linux 3.18 on', () => {
    expect(['3.17.9', '3.2.0', '2.6.32'].map(kernelNeedsWorkdir)).toEqual([false, false, false]);
    expect(['3.18.0', '4.4.0-21-generic', '6.1.0-28-cloud-amd64', '10.0'].map(kernelNeedsWorkdir)).toEqual([true, true, true, true]);
  });

  it('keeps submount upper directories out of the root upper tree (the fstab rewriter\'s layout)', () => {
    expect(nestedOverlayDirs('/overlay', '/usr/local', true)).toEqual({ upper: '/media/root-rw/overlay-mounts/usr-local', work: '/media/root-rw/overlay-workdir/usr-local' });
    expect(rootOverlayDirs('/upper/', true)).toEqual({ upper: '/media/root-rw/upper', work: '/media/root-rw/upper-workdir/_' });
    expect(() => rootOverlayDirs('/', true)).toThrow(/workdir inside the upper/);
  });
});

describe('probeFacts: which probes start a process', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir: root, cleanup } = tempDir('oroot-facts-'));
    for (const [file, text] of [
      ['proc/sys/kernel/osrelease', '6.1.0-28-cloud-amd64\n'],
      ['proc/cmdline', 'root=/dev/vda ro\n'],
      ['proc/self/mountinfo', `25 1 254:0 / ${root}/root ro,relatime - ext4 /dev/vda ro\n`],
    ]) {
      mkdirSync(path.dirname(path.join(root, file!)), { recursive: true });
      writeFileSync(path.join(root, file!), text!);
    }
  });
  afterEach(() => cleanup());

  const probe = async (options: Omit<ProbeOptions, 'rootmnt'>) => {
    const { host, commands } = scriptedHost(root, { stdout: (argv) => (argv[0] === 'cryptsetup' ? 'cryptsetup 2.5.0 flags: UDEV\n' : 'DEVNAME=/dev/vdb\nLABEL=upper\nTYPE=ext4\n') });
    const facts = await probeFacts(host, { rootmnt: '/root', ...options });
    return { facts, commands: commands() };
  };

  it('crypt in an initramfs: the cryptsetup version comes from the hook\'s record, no process', async () => {
    mkdirSync(path.join(root, 'conf'));
    writeFileSync(path.join(root, CRYPTSETUP_VERSION_RECORD), 'cryptsetup 2.6.1 flags: UDEV BLKID KEYRING KERNEL_CAPI\n');
    const { facts, commands } = await probe({ mode: 'crypt', device: parseDeviceSpec('/dev/vdb', 'test', 'dev') });
    expect(facts.cryptsetupVersion).toBe('2.6.1');
    expect(commands).toEqual([]);
  });

  it('crypt without the record (a running system): asks cryptsetup itself', async () => {
    const { facts, commands } = await probe({ mode: 'crypt', device: parseDeviceSpec('/dev/vdb', 'test', 'dev') });
    expect(facts.cryptsetupVersion).toBe('2.5.0');
    expect(commands).toEqual(['cryptsetup --version']);
  });

  it('lists block devices with blkid only when the backing device is named by a tag', async () => {
    expect((await probe({ mode: 'device', device: parseDeviceSpec('/dev/vdb', 'test', 'dev') })).commands).toEqual([]);
    const tagged = await probe({ mode: 'device', device: parseDeviceSpec('LABEL=upper', 'test', 'dev') });
    expect(tagged.commands).toEqual(['blkid -c /dev/null -o export']);
    expect(tagged.facts.blockDevices).toEqual([expect.objectContaining({ device: '/dev/vdb', label: 'upper' })]);
  });
});
