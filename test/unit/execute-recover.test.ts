// Recovery with a scripted host: the key is tested before anything is mapped, everything is
// read-only, a failed mount closes the mapping again, and --close finds the mapping from the mount.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/errors.js';
import { closeInspection, openForInspection } from '../../src/overlayroot/recover.js';
import { Secret } from '../../src/system/secret.js';
import { tempDir } from '../helpers/machine.js';
import { scriptedHost, type Script } from '../helpers/scripted-host.js';

let root: string;
let cleanup: () => void;
const at = (machinePath: string) => path.join(root, machinePath);

beforeEach(() => {
  ({ dir: root, cleanup } = tempDir('oroot-recover-'));
  const put = (file: string, text: string | Buffer) => {
    mkdirSync(path.dirname(at(file)), { recursive: true });
    writeFileSync(at(file), text);
  };
  put('usr/sbin/cryptsetup', '');
  chmodSync(at('usr/sbin/cryptsetup'), 0o755);
  put('proc/meminfo', 'MemTotal: 2097152 kB\n');
  put('proc/sys/kernel/osrelease', '6.1.0-28-cloud-amd64\n');
  put('proc/self/mountinfo', '1 0 0:1 / / rw - rootfs rootfs rw\n');
  // A LUKS2 binary header: magic, version 2, and a UUID at offset 168.
  const header = Buffer.alloc(4096);
  Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]).copy(header);
  header.writeUInt16BE(2, 6);
  header.write('oroot-ephemeral', 24, 'latin1');
  header.write('0b1e4c1e-2d1f-4a52-9a6f-6e0a3b0c1d2e', 168, 'latin1');
  put('images/upper.img', header);
  put('images/blank.img', Buffer.alloc(4096));
  put('dev/loop-control', ''); // the loop driver is there (removed where a test needs it missing)
  mkdirSync(at('mnt/upper'), { recursive: true });
});
afterEach(() => cleanup());

const key = () => Secret.fromString('a'.repeat(128));

function cryptsetupScript(options: { wrongKey?: boolean; mountFails?: boolean; loopModule?: 'loads' | 'missing' } = {}): Script {
  return {
    fail: (argv) => {
      if (argv.includes('--test-passphrase') && options.wrongKey) return 'No key available with this passphrase.';
      if (argv[0] === 'modprobe' && options.loopModule === 'missing') return '';
      if (argv[0] === 'mount' && options.mountFails) return 'mount: wrong fs type, bad option, bad superblock';
      return undefined;
    },
    stdout: (argv) => {
      if (argv.includes('--version')) return 'cryptsetup 2.6.1 flags: UDEV BLKID KEYRING KERNEL_CAPI\n';
      if (argv.includes('--test-passphrase')) return 'Key slot 0 unlocked.\n';
      if (argv[1] === 'open') {
        mkdirSync(at('dev/mapper'), { recursive: true });
        writeFileSync(at('dev/mapper/oroot-recover'), '');
        mkdirSync(at('mnt/upper/overlay'), { recursive: true });
        mkdirSync(at('mnt/upper/overlay-workdir'), { recursive: true });
      }
      if (argv[0] === 'blkid') return `DEVNAME=${argv.at(-1)}\nTYPE=ext4\n`;
      if (argv.join(' ') === 'modprobe -q loop' && options.loopModule === 'loads') writeFileSync(at('dev/loop-control'), '');
      return '';
    },
  };
}

describe('oroot recover SOURCE DIR', () => {
  it('tests the key, opens the volume read-only, mounts it ro,noload, and names the upper layer', async () => {
    const { host, commands } = scriptedHost(root, cryptsetupScript());
    const opened = await openForInspection(host, { source: '/images/upper.img', mountpoint: '/mnt/upper', key: key() });
    expect(opened).toMatchObject({ source: '/images/upper.img', mapper: '/dev/mapper/oroot-recover', type: 'LUKS2', slot: 0, fstype: 'ext4', upperDirs: ['/mnt/upper/overlay'] });
    const run = commands();
    const testAt = run.findIndex((c) => c.includes('--test-passphrase'));
    const openAt = run.findIndex((c) => / open --type luks .*--readonly .*--key-file=- \/images\/upper\.img oroot-recover$/.test(c));
    expect(testAt).toBeGreaterThanOrEqual(0);
    expect(openAt).toBeGreaterThan(testAt);
    expect(run.at(-1)).toBe(`mount -o ro,noload ${at('/dev/mapper/oroot-recover')} ${at('/mnt/upper')}`);
    expect(run.join('\n')).not.toContain('a'.repeat(32));
  });

  it('a wrong key is refused with a clear message before anything is mapped', async () => {
    const { host, commands } = scriptedHost(root, cryptsetupScript({ wrongKey: true }));
    const attempt = openForInspection(host, { source: '/images/upper.img', mountpoint: '/mnt/upper', key: key() });
    await expect(attempt).rejects.toThrow(InputError);
    await expect(attempt).rejects.toThrow('key for /images/upper.img: does not open this volume: no key slot accepts it');
    expect(commands().some((c) => / open --type/.test(c))).toBe(false);
  });

  it('closes the mapping again when the filesystem cannot be mounted', async () => {
    const { host, commands } = scriptedHost(root, cryptsetupScript({ mountFails: true }));
    await expect(openForInspection(host, { source: '/images/upper.img', mountpoint: '/mnt/upper', key: key() })).rejects.toThrow(/wrong fs type/);
    expect(commands().at(-1)).toMatch(/cryptsetup close oroot-recover$/);
  });

  it('a volume without a LUKS header needs --plain; --plain on a LUKS volume is refused', async () => {
    const { host } = scriptedHost(root, cryptsetupScript());
    await expect(openForInspection(host, { source: '/images/blank.img', mountpoint: '/mnt/upper', key: key() })).rejects.toThrow(/holds no LUKS header/);
    await expect(openForInspection(host, { source: '/images/upper.img', mountpoint: '/mnt/upper', key: key(), plain: true })).rejects.toThrow(/has a LUKS2 header: leave out --plain/);
  });

  it('a plain volume is opened with the 64 raw bytes of the kept hex passphrase', async () => {
    const { host, calls } = scriptedHost(root, cryptsetupScript());
    await openForInspection(host, { source: '/images/blank.img', mountpoint: '/mnt/upper', key: Secret.fromString('ab'.repeat(64)), plain: true });
    const open = calls.find((argv) => argv[1] === 'open')!;
    expect(open).toEqual(expect.arrayContaining(['--type', 'plain', '--hash', 'plain', '--keyfile-size', '64', '--readonly', '/images/blank.img', 'oroot-recover']));
  });

  it('an image file: loads the loop driver when /dev/loop-control is missing (no udev), then opens it', async () => {
    rmSync(at('dev/loop-control'));
    const { host, commands } = scriptedHost(root, cryptsetupScript({ loopModule: 'loads' }));
    await openForInspection(host, { source: '/images/upper.img', mountpoint: '/mnt/upper', key: key() });
    const run = commands();
    const modprobeAt = run.indexOf('modprobe -q loop');
    expect(modprobeAt).toBeGreaterThan(run.findIndex((c) => c.includes('--test-passphrase')));
    expect(run.findIndex((c) => / open --type luks /.test(c))).toBeGreaterThan(modprobeAt);
  });

  it('an image file without loop support: a clear error, and nothing is opened', async () => {
    rmSync(at('dev/loop-control'));
    const { host, commands } = scriptedHost(root, cryptsetupScript({ loopModule: 'missing' }));
    const attempt = openForInspection(host, { source: '/images/upper.img', mountpoint: '/mnt/upper', key: key() });
    await expect(attempt).rejects.toThrow('/images/upper.img is an image file, opened through a loop device, but /dev/loop-control is missing (modprobe loop failed)');
    await expect(attempt).rejects.toMatchObject({ hint: expect.stringContaining('losetup --find --show --read-only IMAGE') });
    expect(commands().some((c) => / open --type/.test(c))).toBe(false);
  });

  it('refuses a missing source, a missing directory, and a name already in use', async () => {
    const { host } = scriptedHost(root, cryptsetupScript());
    await expect(openForInspection(host, { source: '/images/none.img', mountpoint: '/mnt/upper', key: key() })).rejects.toThrow(UsageError);
    await expect(openForInspection(host, { source: '/images/upper.img', mountpoint: '/mnt/none', key: key() })).rejects.toThrow(/is not a directory/);
    mkdirSync(at('dev/mapper'), { recursive: true });
    writeFileSync(at('dev/mapper/oroot-recover'), '');
    await expect(openForInspection(host, { source: '/images/upper.img', mountpoint: '/mnt/upper', key: key() })).rejects.toThrow(/exists already/);
  });
});

describe('oroot recover --close DIR', () => {
  it('unmounts DIR and closes the mapping mounted there', async () => {
    writeFileSync(at('proc/self/mountinfo'), `1 0 0:1 / / rw - rootfs rootfs rw\n50 1 253:0 / ${at('/mnt/upper')} ro - ext4 /dev/mapper/oroot-recover ro\n`);
    const { host, commands } = scriptedHost(root, cryptsetupScript());
    expect(await closeInspection(host, '/mnt/upper')).toEqual({ mountpoint: '/mnt/upper', mapper: '/dev/mapper/oroot-recover' });
    expect(commands()[0]).toBe(`umount ${at('/mnt/upper')}`);
    expect(commands().at(-1)).toMatch(/cryptsetup close oroot-recover$/);
  });

  it('will not touch a mount that is not an opened volume, or nothing at all', async () => {
    writeFileSync(at('proc/self/mountinfo'), `50 1 8:1 / ${at('/mnt/upper')} rw - ext4 /dev/sda1 rw\n`);
    const { host, commands } = scriptedHost(root, cryptsetupScript());
    await expect(closeInspection(host, '/mnt/upper')).rejects.toThrow('/mnt/upper holds /dev/sda1, not an opened volume; not touching it');
    await expect(closeInspection(host, '/mnt/other')).rejects.toThrow('nothing is mounted at /mnt/other');
    expect(commands()).toEqual([]);
  });
});
