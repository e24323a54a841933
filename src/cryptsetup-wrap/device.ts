// What the wrapper needs to know about devices and mapping names, read through host.path() so
// tests can point it at a fixture tree: argument checks, the device's size (for the sector size)
// and a bounded wait for /dev/mapper/<name>.
import { access, readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../errors.js';
import type { Host } from '../system/host.js';

/**
 * Arguments are checked before anything runs: a value starting with "-" would be read by
 * cryptsetup as an option, and a "/" in a mapping name would escape /dev/mapper.
 */
export function checkMapName(name: string): void {
  if (!/^[A-Za-z0-9_+][A-Za-z0-9_.+-]{0,126}$/.test(name)) {
    throw new InputError(`mapping name "${name}"`, 'must be 1–127 letters, digits or _ . + - and not start with - or .', {
      hint: 'Choose another mapname= (the default is "secure").',
    });
  }
}

export function checkDevicePath(device: string): void {
  if (!device.startsWith('/') || device.includes('\0')) {
    throw new InputError(`device "${device}"`, 'must be an absolute path such as /dev/vdb', {
      hint: 'Resolve LABEL=/UUID= forms to a device path before calling cryptsetup.',
    });
  }
}

export function checkLabel(label: string): void {
  // LUKS2 keeps the label in a 48-byte NUL-terminated field.
  if (!/^[\x21-\x7e][\x20-\x7e]{0,46}$/.test(label) || label.startsWith('-')) {
    throw new InputError(`LUKS2 label "${label}"`, 'must be 1–47 printable ASCII characters, not starting with - or a space');
  }
}

export async function pathExists(host: Host, machinePath: string): Promise<boolean> {
  try {
    await access(host.path(machinePath));
    return true;
  } catch {
    return false;
  }
}

/** Size in bytes of an image file or a block device (from sysfs); undefined when unknown. */
export async function deviceSizeBytes(host: Host, device: string): Promise<number | undefined> {
  try {
    const info = await stat(host.path(device), { bigint: true });
    if (info.isFile()) return Number(info.size);
    if (!info.isBlockDevice()) return undefined;
    // Linux dev_t: major in bits 8–19 and 32–63, minor in bits 0–7 and 12–31.
    const rdev = info.rdev;
    const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
    const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
    const sectors = await readFile(host.path(`/sys/dev/block/${major}:${minor}/size`), 'utf8');
    return Number(sectors.trim()) * 512; // sysfs counts 512-byte units whatever the real sector size
  } catch {
    return undefined;
  }
}

/**
 * The encryption sector size the device allows: cryptsetup 2.6 accepts 4096 on any device whose
 * size is a multiple of it (also on disks reporting 512-byte sectors) and refuses otherwise
 * ("Device size is not aligned to requested sector size").
 */
export async function usableSectorSize(host: Host, device: string, preferred: number | undefined): Promise<number | undefined> {
  if (!preferred) return undefined;
  const size = await deviceSizeBytes(host, device);
  if (size !== undefined && size > 0 && size % preferred === 0) return preferred;
  host.log.info(
    `${device}: ${size === undefined ? 'size unknown' : `size ${size} bytes is not a multiple of ${preferred}`}; ` +
      `leaving the sector size to cryptsetup`,
  );
  return undefined;
}

/** Poll until `machinePath` exists or `timeoutMs` passes. */
export async function waitForPath(host: Host, machinePath: string, timeoutMs: number, intervalMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pathExists(host, machinePath)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(intervalMs, Math.max(1, deadline - Date.now())));
  }
}

/** device-mapper is registered in the kernel (dm_mod loaded or built in). */
export async function deviceMapperRegistered(host: Host): Promise<boolean> {
  const misc = await readFile(host.path('/proc/misc'), 'utf8').catch(() => '');
  return /^\s*\d+\s+device-mapper$/m.test(misc);
}
