// The config disk (overlayroot_cfgdisk=LABEL=OROOTCFG): found without udev through blkid, with a
// short bounded wait, mounted read-only (nosuid,nodev,noexec) under /run, its overlayroot.conf
// read as data, and unmounted again before the boot goes on. An absent disk is not an error.
import { lstat, mkdir, readFile, realpath, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import type { Host } from '../../system/host.js';
import { MAX_SECRET_BYTES } from '../../system/secret-input.js';
import type { DeviceSpec } from './types.js';

export const CFGDISK_MOUNT_DIR = '/run/oroot/cfgdisk';
export const CFGDISK_CONFIG_FILE = 'overlayroot.conf';
export const DEFAULT_CFGDISK_WAIT_MS = 2000;
const POLL_MS = 200;
const MAX_CONFIG_BYTES = 64 * 1024;
const BLKID_TAG: Record<DeviceSpec['kind'], string> = { path: '', label: 'LABEL', uuid: 'UUID', partuuid: 'PARTUUID', partlabel: 'PARTLABEL' };

export interface MountedConfigDisk {
  readonly device: string;
  /** The text of its overlayroot.conf, or undefined when it has none. */
  readonly configText: string | undefined;
  /** Read a file on the disk (a key file named by a relative path). */
  readFile(pathOnDisk: string, label: string): Promise<{ bytes: Buffer; mode: number }>;
}

export type ConfigDiskResult<T> =
  | { readonly status: 'not-found' | 'unmountable'; readonly detail: string; readonly device?: string }
  | { readonly status: 'used'; readonly device: string; readonly result: T };

export interface ConfigDiskOptions {
  /** Where overlayroot_cfgdisk was set, for messages. */
  readonly source: string;
  readonly waitMs?: number;
}

/** Find the disk, mount it read-only, run `use` while mounted, unmount. */
export async function withConfigDisk<T>(host: Host, spec: DeviceSpec, use: (disk: MountedConfigDisk) => Promise<T>, options: ConfigDiskOptions): Promise<ConfigDiskResult<T>> {
  const device = await locate(host, spec, options);
  if (!device) return { status: 'not-found', detail: `no device matches ${spec.spec} (waited ${options.waitMs ?? DEFAULT_CFGDISK_WAIT_MS} ms)` };
  const mountDir = host.path(CFGDISK_MOUNT_DIR);
  await mkdir(mountDir, { recursive: true, mode: 0o700 });
  const mounted = await host.run(['mount', '-o', 'ro,nosuid,nodev,noexec', device, mountDir], { reject: false, timeoutMs: 60_000 });
  if (mounted.failed) {
    await rmdir(mountDir).catch(() => undefined);
    return { status: 'unmountable', device, detail: `mount ${device} failed: ${mounted.stderr.trim() || `exit ${mounted.exitCode}`}` };
  }
  try {
    const disk: MountedConfigDisk = {
      device,
      configText: await readConfigFile(mountDir, `${spec.spec}/${CFGDISK_CONFIG_FILE}`),
      readFile: (pathOnDisk, label) => readFileInside(mountDir, pathOnDisk, label),
    };
    return { status: 'used', device, result: await use(disk) };
  } finally {
    await unmount(host, mountDir);
  }
}

async function locate(host: Host, spec: DeviceSpec, options: ConfigDiskOptions): Promise<string | undefined> {
  const deadline = Date.now() + (options.waitMs ?? DEFAULT_CFGDISK_WAIT_MS);
  for (;;) {
    const found = spec.kind === 'path' ? await blockDeviceAt(host.path(spec.path)) : await blkidFind(host, spec, options.source);
    if (found || Date.now() >= deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function blockDeviceAt(file: string): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info?.isBlockDevice() ? file : undefined;
}

/** Scan every block device (blkid reads /proc/partitions; -c /dev/null: no stale cache, no udev). */
async function blkidFind(host: Host, spec: DeviceSpec, source: string): Promise<string | undefined> {
  const tag = `${BLKID_TAG[spec.kind]}=${spec.value}`;
  const result = await host.run(['blkid', '-c', '/dev/null', '-o', 'device', '-t', tag], { reject: false, timeoutMs: 30_000 });
  if (result.spawnError) {
    host.log.warn(`config disk: cannot run blkid (${result.spawnError.code ?? result.spawnError.message}); ${spec.spec} cannot be found`);
    return undefined;
  }
  const devices = result.stdout.split('\n').filter((line) => line.trim() !== '');
  if (result.exitCode !== 0 || devices.length === 0) return undefined;
  if (devices.length > 1) {
    // Picking one would let whoever attaches a second disk with the same label choose our config.
    throw new InputError(source, `overlayroot_cfgdisk=${spec.spec} matches ${devices.length} devices (${devices.join(', ')}); refusing to guess`, {
      hint: 'Give the config disk a unique label, or name it by UUID= or its /dev path.',
    });
  }
  return devices[0];
}

async function readConfigFile(mountDir: string, label: string): Promise<string | undefined> {
  const file = path.join(mountDir, CFGDISK_CONFIG_FILE);
  const info = await lstat(file).catch(() => undefined);
  if (!info) return undefined;
  if (!info.isFile()) throw new InputError(label, 'is not a regular file (a symbolic link or a directory is not followed)');
  if (info.size > MAX_CONFIG_BYTES) throw new InputError(label, `is larger than ${MAX_CONFIG_BYTES} bytes; that is not an overlayroot.conf`);
  return readFile(file, 'utf8');
}

/** Read a file on the disk, refusing anything that resolves outside it (a symlink to the initramfs). */
async function readFileInside(mountDir: string, pathOnDisk: string, label: string): Promise<{ bytes: Buffer; mode: number }> {
  const file = path.join(mountDir, pathOnDisk);
  const [real, realMount] = await Promise.all([realpath(file).catch(() => undefined), realpath(mountDir)]);
  if (!real) throw new InputError(label, 'does not exist on the config disk');
  if (!real.startsWith(`${realMount}/`)) throw new InputError(label, 'resolves outside the config disk (symbolic link); refusing it');
  const info = await lstat(real);
  if (!info.isFile()) throw new InputError(label, 'is not a regular file');
  if (info.size > MAX_SECRET_BYTES) throw new InputError(label, `is larger than ${MAX_SECRET_BYTES} bytes; that is not a key`);
  return { bytes: await readFile(real), mode: info.mode & 0o777 };
}

async function unmount(host: Host, mountDir: string): Promise<void> {
  const result = await host.run(['umount', mountDir], { reject: false, timeoutMs: 60_000 });
  if (result.failed) {
    host.log.warn(`config disk: umount ${mountDir} failed (${result.stderr.trim() || `exit ${result.exitCode}`}); detaching it lazily`);
    await host.run(['umount', '-l', mountDir], { reject: false, timeoutMs: 60_000 });
  }
  await rmdir(mountDir).catch(() => undefined);
}
