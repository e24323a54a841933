// The volume operations the boot stage and the admin commands call: is it LUKS, what is in its
// header, format, open (and wait for the node), close, status, and test a key without opening.
import type { Host } from '../system/host.js';
import type { Secret } from '../system/secret.js';
import * as argv from './argv.js';
import { checkDevicePath, checkLabel, checkMapName, deviceMapperRegistered, usableSectorSize, waitForPath } from './device.js';
import { parseLuks1Text, parseLuks2Json, type LuksHeaderInfo } from './dump.js';
import { CryptsetupError, explainedError, failureReason } from './errors.js';
import { readLuksHeader } from './header.js';
import type { ResolvedProfile } from './profiles.js';
import { failure, mustRun, runCryptsetup, SLOW_TIMEOUT_MS } from './runner.js';
import { parseStatus, saysInactive, type VolumeStatus } from './status.js';
import { InputError } from '../errors.js';

/** How long openVolume waits for /dev/mapper/<name> after cryptsetup returns, by default. */
export const DEFAULT_NODE_WAIT_MS = 5_000;

/** `cryptsetup isLuks`: true or false; a missing or unreadable device throws. */
export async function isLuks(host: Host, device: string): Promise<boolean> {
  checkDevicePath(device);
  const context = { operation: 'isLuks', device };
  const result = await runCryptsetup(host, { args: argv.isLuksArgs(device), context });
  if (!result.failed) return true;
  // Exit 1 with nothing (or "not a valid LUKS device") on stderr is the plain "no".
  if (result.exitCode === 1 && ['not-luks', 'unknown'].includes(failureReason(result, context))) return false;
  throw await failure(host, result, context);
}

/** The header's details: type, cipher, key size, sector size, PBKDF, key slots, UUID, label. */
export async function luksDump(host: Host, device: string): Promise<LuksHeaderInfo> {
  checkDevicePath(device);
  const context = { operation: 'luksDump', device };
  const header = await readLuksHeader(host, device).catch((error: NodeJS.ErrnoException) => {
    throw explainedError(error.code === 'ENOENT' ? 'no-device' : error.code === 'EACCES' ? 'permission' : 'unknown', context);
  });
  if (!header.luks) throw explainedError('not-luks', context);
  const result = await mustRun(host, { args: argv.dumpArgs(device, header.version), context });
  return header.version === 2 ? parseLuks2Json(result.stdout, header) : parseLuks1Text(result.stdout);
}

export interface FormatOptions {
  readonly device: string;
  readonly key: Secret;
  readonly profile: ResolvedProfile;
  /** LUKS2 label; the executor uses oroot-ephemeral / oroot-persistent. */
  readonly label?: string;
}

/** Write a new LUKS header (destroys access to anything on the device). Plain mode has no header: nothing to do. */
export async function formatVolume(host: Host, o: FormatOptions): Promise<void> {
  checkDevicePath(o.device);
  if (o.label !== undefined) checkLabel(o.label);
  requireKey(o.key, o.device);
  if (o.profile.type === 'plain') {
    host.log.info(`${o.device}: profile plain writes no header; nothing to format`);
    return;
  }
  if (o.profile.name === 'compat' && o.label) host.log.debug(`profile compat passes no flags: label ${o.label} not set`);
  const sectorSize = await usableSectorSize(host, o.device, o.profile.sectorSize);
  const args = argv.formatArgs(o.profile, { device: o.device, label: o.label, sectorSize })!;
  logProfile(host, `formatting ${o.device}`, o.profile);
  await mustRun(host, { args, keys: [o.key], context: { operation: 'luksFormat', device: o.device }, timeoutMs: SLOW_TIMEOUT_MS });
}

export interface OpenOptions {
  readonly device: string;
  readonly name: string;
  readonly key: Secret;
  readonly profile: ResolvedProfile;
  readonly readOnly?: boolean;
  /** Bound on the wait for /dev/mapper/<name>; default DEFAULT_NODE_WAIT_MS. */
  readonly waitMs?: number;
}

/** Open (map) the volume and wait for its node. Returns "/dev/mapper/<name>". */
export async function openVolume(host: Host, o: OpenOptions): Promise<string> {
  checkDevicePath(o.device);
  checkMapName(o.name);
  requireKey(o.key, o.device, o.profile.keyBytes);
  const sectorSize = o.profile.type === 'plain' ? await usableSectorSize(host, o.device, o.profile.sectorSize) : undefined;
  const args = argv.openArgs(o.profile, { device: o.device, name: o.name, readOnly: o.readOnly, sectorSize });
  const context = { operation: 'open', device: o.device, name: o.name };
  logProfile(host, `opening ${o.device} as ${o.name}`, o.profile);
  await mustRun(host, { args, keys: [o.key], context, deviceMapper: true, timeoutMs: SLOW_TIMEOUT_MS });

  const node = `/dev/mapper/${o.name}`;
  const waitMs = o.waitMs ?? DEFAULT_NODE_WAIT_MS;
  if (await waitForPath(host, node, waitMs)) return node;
  await closeVolume(host, o.name).catch(() => undefined); // do not leave a mapping nobody can reach
  throw new CryptsetupError('no-device', `cryptsetup opened ${o.name} but ${node} did not appear within ${waitMs} ms`,
    'Without udev, libdevmapper creates the node only with DM_DISABLE_UDEV=1 and a writable /dev (devtmpfs).', context);
}

/** Remove the mapping. Idempotent: a name that is not mapped is logged and accepted. */
export async function closeVolume(host: Host, name: string): Promise<void> {
  checkMapName(name);
  const context = { operation: 'close', name };
  const result = await runCryptsetup(host, { args: argv.closeArgs(name), context, deviceMapper: true });
  if (!result.failed) {
    host.log.info(`closed /dev/mapper/${name}`);
    return;
  }
  // Without device-mapper in the kernel nothing can be mapped, so there is nothing to close.
  if (saysInactive(result.stdout + result.stderr) || !(await deviceMapperRegistered(host))) {
    host.log.info(`/dev/mapper/${name} is already closed`);
    return;
  }
  throw await failure(host, result, context);
}

/** What `cryptsetup status` says about the mapping; undefined when it is not mapped. */
export async function volumeStatus(host: Host, name: string): Promise<VolumeStatus | undefined> {
  checkMapName(name);
  const context = { operation: 'status', name };
  const result = await runCryptsetup(host, { args: argv.statusArgs(name), context, deviceMapper: true });
  if (!result.failed) return parseStatus(name, result.stdout);
  if (saysInactive(result.stdout + result.stderr) || !(await deviceMapperRegistered(host))) return undefined;
  throw await failure(host, result, context);
}

/** Does `key` open the LUKS volume? (`open --test-passphrase`: no mapping, no device-mapper.)
 *  false only for a wrong key; every other failure throws. */
export async function testKey(host: Host, device: string, key: Secret): Promise<boolean> {
  return (await unlockedSlot(host, device, key)) !== undefined;
}

/** The key slot `key` unlocks (only `slot` when given), -1 if cryptsetup did not say which, undefined for a wrong key. */
export async function unlockedSlot(host: Host, device: string, key: Secret, slot?: number): Promise<number | undefined> {
  checkDevicePath(device);
  requireKey(key, device);
  const context = { operation: 'open --test-passphrase', device };
  const result = await runCryptsetup(host, { args: argv.testKeyArgs(device, slot), keys: [key], context, timeoutMs: SLOW_TIMEOUT_MS });
  if (!result.failed) {
    const unlocked = /Key slot (\d+) unlocked/.exec(result.stdout + result.stderr);
    return unlocked ? Number(unlocked[1]) : (slot ?? -1);
  }
  if (failureReason(result, context) === 'wrong-key') return undefined;
  throw await failure(host, result, context);
}

export function requireKey(key: Secret, device: string, exactBytes?: number): void {
  // An empty key would also turn `--keyfile-size 0` into "read everything".
  if (key.length === 0 || (exactBytes !== undefined && key.length !== exactBytes)) {
    throw new InputError(`key for ${device}`, `has ${key.length} bytes; ${exactBytes ? `exactly ${exactBytes}` : 'at least 1'} needed`, {
      hint: exactBytes ? 'The plain profile uses the key bytes directly: pass 64 random bytes.' : undefined,
    });
  }
}

/** The profile's name and what it decided from the machine's facts go to the (boot) log. */
function logProfile(host: Host, action: string, profile: ResolvedProfile): void {
  host.log.info(`${action} with profile ${profile.name} (${profile.describe})`);
  const decisions = profile.decisions.slice(1); // the first one repeats the description
  if (decisions.length > 0) host.log.info(`profile ${profile.name}: ${decisions.join('; ')}`);
}
