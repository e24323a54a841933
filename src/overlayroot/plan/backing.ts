// The first half of every plan: get a writable backing store mounted on /media/root-rw. One
// function per mode, chosen through one table.
import { DEFAULT_CRNG_WAIT_MS } from '../../entropy/crng.js';
import { formatArgs, openArgs } from '../../cryptsetup-wrap/argv.js';
import { profileFor, type ResolvedProfile } from '../../cryptsetup-wrap/profiles.js';
import type { CommonOptions, CryptOptions, DeviceOptions } from '../config/types.js';
import type { MachineFacts } from '../facts.js';
import { PlanRefusedError } from './checks.js';
import { EPHEMERAL_LABEL, PERSISTENT_LABEL } from './crypt-decision.js';
import { publicKeyRef } from './describe.js';
import { ROOT_RW, TMPFS_SOURCE } from './layout.js';
import type { StepData } from './types.js';

/** overlayroot fails at once with timeout=0; we still give a device that is being probed this
 *  long to appear (virtio and NVMe disks often show up a moment after init-bottom starts). */
export const DEVICE_GRACE_MS = 1000;

export function tmpfsBacking(common: CommonOptions): StepData[] {
  // mode=0755: overlayroot leaves the tmpfs root 1777, which nothing needs (docs/boot.md).
  const options = ['mode=0755', ...(common.tmpfsSize ? [`size=${common.tmpfsSize}`] : [])];
  return [{ kind: 'mount-tmpfs', source: TMPFS_SOURCE, target: ROOT_RW, options }];
}

export function deviceBacking(device: DeviceOptions): StepData[] {
  return [waitFor(device), { kind: 'mount', source: device.device, target: ROOT_RW, options: [] }];
}

export function cryptBacking(crypt: CryptOptions, facts: MachineFacts): StepData[] {
  const generated = crypt.key.kind === 'generated';
  const mapper = `/dev/mapper/${crypt.mapname}`;
  const { rootmnt } = facts;
  const resolved = resolveProfile(crypt.profile, facts);
  const label = generated ? EPHEMERAL_LABEL : PERSISTENT_LABEL;
  const device = crypt.device.path;
  return [
    waitFor(crypt),
    { kind: 'seed-urandom', rootmnt },
    generated
      ? { kind: 'derive-key', rootmnt, device: crypt.device, crngWaitMs: DEFAULT_CRNG_WAIT_MS }
      : { kind: 'load-key', key: publicKeyRef(crypt.key), rootmnt },
    {
      kind: 'crypt-attach',
      device: crypt.device,
      mapname: crypt.mapname,
      profile: crypt.profile,
      resolved,
      cryptsetup: {
        format: prefixed(formatArgs(resolved, { device, label, sectorSize: resolved.sectorSize })),
        open: ['cryptsetup', ...openArgs(resolved, { device, name: crypt.mapname, sectorSize: resolved.sectorSize })],
      },
      mkfs: crypt.mkfs,
      keyOrigin: generated ? 'generated' : 'given',
      formatLabel: label,
    },
    { kind: 'mkfs', device: mapper, fstype: crypt.fstype },
    { kind: 'mount', source: mapper, target: ROOT_RW, options: [] },
  ];
}

/** The profile's flags on this machine; refused here when cryptsetup is missing or too old. */
function resolveProfile(name: CryptOptions['profile'], facts: MachineFacts): ResolvedProfile {
  if (!facts.cryptsetupVersion) {
    throw new PlanRefusedError('crypt mode needs cryptsetup, and `cryptsetup --version` did not run', 'Rebuild the initramfs with the oroot hook (it copies cryptsetup), or install cryptsetup-bin.');
  }
  return profileFor(name, { memoryBytes: facts.memory.totalKiB * 1024, kernelRelease: facts.kernelRelease, cryptsetupVersion: facts.cryptsetupVersion });
}

function prefixed(args: string[] | undefined): string[] | undefined {
  return args ? ['cryptsetup', ...args] : undefined;
}

function waitFor(device: DeviceOptions): StepData {
  return { kind: 'wait-device', device: device.device, timeoutMs: Math.max(device.timeoutSec * 1000, DEVICE_GRACE_MS) };
}
