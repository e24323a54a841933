// Wait for the backing device without udev: poll for the node and, for LABEL=/UUID=… specs, ask
// blkid (a blank disk has no filesystem type, so waiting for udev's ID_FS_TYPE would never end:
// overlayroot's weakness W7). Then make sure the device is not in use by a mounted filesystem.
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { stat } from 'node:fs/promises';
import { OrootError } from '../../errors.js';
import type { Host } from '../../system/host.js';
import type { DeviceSpec } from '../config/types.js';
import { MOUNTINFO, parseMountinfo } from '../../system/mounts.js';
import { deviceText } from '../plan/describe.js';
import type { PlanStep } from '../plan/types.js';
import type { RunState } from './types.js';

export const POLL_MS = 100;

export async function waitForDevice(step: Extract<PlanStep, { kind: 'wait-device' }>, state: RunState): Promise<void> {
  const { host } = state;
  const deadline = Date.now() + step.timeoutMs;
  let found = await findDevice(host, step.device);
  while (!found && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    found = await findDevice(host, step.device);
  }
  if (!found) {
    throw new OrootError(`${deviceText(step.device)} did not appear within ${step.timeoutMs / 1000} s`, undefined, {
      hint: 'Check that the disk is attached; if it appears late, set timeout=SECONDS in the overlayroot= value.',
    });
  }
  await refuseMounted(host, found);
  state.device = found;
  state.render = { ...state.render, resolvedDevice: found };
  host.log.info(`${deviceText(step.device)} is ${found}`);
}

/** The device's machine path, or undefined while it is not there. */
async function findDevice(host: Host, device: DeviceSpec): Promise<string | undefined> {
  if (await isBlockDevice(host, device.path)) return device.path;
  if (device.kind === 'path') return undefined;
  const tag = `${device.kind.toUpperCase()}=${device.value}`;
  const result = await host.run(['blkid', '-c', '/dev/null', '-l', '-o', 'device', '-t', tag], { reject: false, timeoutMs: 10_000 });
  const node = result.stdout.trim().split('\n')[0];
  return node && (await isBlockDevice(host, node)) ? node : undefined;
}

async function isBlockDevice(host: Host, machinePath: string): Promise<boolean> {
  try {
    return (await stat(host.path(machinePath))).isBlockDevice();
  } catch {
    return false;
  }
}

/** Refuse a device that (or a partition of which) holds a mounted filesystem: formatting or
 *  mounting it again would put the upper layer on a filesystem already in use. */
async function refuseMounted(host: Host, machinePath: string): Promise<void> {
  const { rdev } = await stat(host.path(machinePath));
  const own = majorMinor(rdev);
  const inUse = new Set([own, ...partitionsOf(host, own)]);
  const mountinfo = readFileOr(host.path(MOUNTINFO), '');
  const hit = parseMountinfo(mountinfo).find((entry) => inUse.has(entry.majorMinor));
  if (hit) {
    throw new OrootError(`${machinePath} is in use: ${hit.source} is mounted at ${hit.mountPoint}`, undefined, {
      hint: 'Point dev= at a disk that nothing else uses.',
    });
  }
}

/** The partitions' "major:minor": the subdirectories of the disk's sysfs directory that have a
 *  `dev` file. Read synchronously: at boot, under emulation, an asynchronous read per entry of the
 *  directory costs a round trip through libuv's thread pool each. */
function partitionsOf(host: Host, device: string): string[] {
  const dir = host.path(`/sys/dev/block/${device}`);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((entry) => entry.isDirectory()).flatMap((entry) => readFileOr(`${dir}/${entry.name}/dev`, '').trim() || []);
}

function readFileOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** Linux dev_t → "major:minor" (the encoding glibc's major()/minor() undo). */
export function majorMinor(rdev: number): string {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}
