// `oroot recover` against a real LUKS2 image made by cryptsetup. The key test needs no
// device-mapper, so a wrong key is proven here on any machine; opening and mounting need dm-crypt
// (proven under QEMU where this host has none, and here as well when the kernel has it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/system/spawn.js';
import { runCli } from '../helpers/cli.js';
import { requireRoot, requireTool, tempDir } from '../helpers/machine.js';

const { dir, cleanup } = tempDir('oroot-recover-it-');
const image = path.join(dir, 'upper.img');
const mountpoint = path.join(dir, 'mnt');
const rightKey = path.join(dir, 'right.key');
const wrongKey = path.join(dir, 'wrong.key');
const hasDeviceMapper = () => /\bdevice-mapper\b/.test(readFileSync('/proc/misc', 'utf8'));

beforeAll(async () => {
  requireRoot();
  requireTool('cryptsetup');
  requireTool('mkfs.ext4');
  writeFileSync(rightKey, 'the-right-key-for-this-volume', { mode: 0o600 });
  writeFileSync(wrongKey, 'not-the-key-for-this-volume', { mode: 0o600 });
  mkdirSync(mountpoint);
  await run(['truncate', '-s', '32M', image]);
  await run(['cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks2', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--label', 'oroot-persistent', '--key-file', rightKey, image]);
  if (hasDeviceMapper()) {
    // Put a filesystem with a file in the volume, as a boot would have.
    await run(['cryptsetup', 'open', '--key-file', rightKey, image, 'oroot-itest-make'], { env: { DM_DISABLE_UDEV: '1' } });
    await run(['mkfs.ext4', '-q', '-d', await upperTree(), '/dev/mapper/oroot-itest-make']);
    await run(['cryptsetup', 'close', 'oroot-itest-make'], { env: { DM_DISABLE_UDEV: '1' } });
  }
});
afterAll(() => cleanup());

async function upperTree(): Promise<string> {
  const tree = path.join(dir, 'tree');
  mkdirSync(path.join(tree, 'overlay/etc'), { recursive: true });
  writeFileSync(path.join(tree, 'overlay/etc/written-by-the-instance'), 'hello from the upper layer\n');
  return tree;
}

describe('oroot recover on a real LUKS2 image', () => {
  it('refuses a wrong key with a clear message and exit status 3, mapping nothing', async () => {
    const { exitCode, stderr, stdout } = await runCli(['recover', image, mountpoint, '--key-file', wrongKey]);
    expect(exitCode).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain(`oroot: key for ${image}: does not open this volume: no key slot accepts it`);
    expect(stderr).toContain('/run/initramfs/overlayroot.passwd');
    expect(stderr).not.toContain('not-the-key');
    expect(existsSync('/dev/mapper/oroot-recover')).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(mountpoint);
  });

  it('accepts the right key, then opens read-only and mounts (or names the missing device-mapper)', async () => {
    const opened = await runCli(['recover', image, mountpoint, '--key-file', '-'], { input: readFileSync(rightKey) });
    expect(opened.stderr).not.toContain('no key slot accepts it');
    if (!hasDeviceMapper()) {
      expect(opened.exitCode).toBe(1);
      expect(opened.stderr).toContain('the kernel lacks device-mapper/dm-crypt');
      return;
    }
    try {
      expect(opened.exitCode).toBe(0);
      expect(opened.stdout).toContain(`opened ${image} (LUKS2, key slot 0) read-only as /dev/mapper/oroot-recover`);
      expect(opened.stdout).toContain(`upper layer: ${mountpoint}/overlay`);
      expect(readFileSync(path.join(mountpoint, 'overlay/etc/written-by-the-instance'), 'utf8')).toBe('hello from the upper layer\n');
      const mounted = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((line) => line.includes(` ${mountpoint} `))!;
      expect(mounted.split(' ')[5]!.split(',')).toContain('ro');
    } finally {
      const closed = await runCli(['recover', '--close', mountpoint]);
      expect(closed.exitCode).toBe(0);
      expect(closed.stdout).toBe(`unmounted ${mountpoint}, closed /dev/mapper/oroot-recover\n`);
    }
    expect(existsSync('/dev/mapper/oroot-recover')).toBe(false);
  });

  it('--close on a directory with nothing mounted is a usage error', async () => {
    const { exitCode, stderr } = await runCli(['recover', '--close', mountpoint]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain(`nothing is mounted at ${mountpoint}`);
  });
});
