// Words for each step: what it achieves, the command (or its shell equivalent for work done
// in-process), and how it is undone. Turns StepData into the PlanStep people read in `oroot plan`.
import type { DeviceSpec, KeyFileBase, KeyRef } from '../config/types.js';
import { SEED_FILES } from '../../entropy/seedfiles.js';
import { planContext, programArgv, undoArgv } from './commands.js';
import type { PlanKeyRef, PlanStep, StepData } from './types.js';

export function toPlanStep(data: StepData): PlanStep {
  const command = programArgv(data, planContext) ?? inProcessCommand(data);
  const undoCommand = undoArgv(data, planContext) ?? null;
  const undoText = undoDescription(data);
  return { ...data, description: describeStep(data), command, undo: undoText === null ? null : { description: undoText, command: undoCommand } };
}

export function describeStep(step: StepData): string {
  switch (step.kind) {
    case 'mkdir':
      return `create ${step.paths.join(', ')} where missing`;
    case 'mkdir-in-upper':
      return `create ${step.paths.join(', ')} in the upper layer so the layers can be mounted there in the new root`;
    case 'mount-tmpfs':
      return `mount a tmpfs (${step.source}) on ${step.target} as the backing store`;
    case 'wait-device':
      return `wait up to ${formatSeconds(step.timeoutMs)} for ${deviceText(step.device)}`;
    case 'seed-urandom':
      return `mix the seed files of ${step.rootmnt} and the initramfs into /dev/urandom`;
    case 'derive-key':
      return `derive a fresh passphrase (SHA-512 over boot-time entropy, after the kernel CRNG is ready; waits up to ${formatSeconds(step.crngWaitMs)})`;
    case 'load-key':
      return `load the volume key from ${keyText(step.key)}`;
    case 'crypt-attach':
      return (
        `look at ${deviceText(step.device)}, then ${step.keyOrigin === 'generated' ? 'format it' : 'open it, formatting it only if blank'} ` +
        `(profile ${step.profile}, mkfs=${step.mkfs}, label ${step.formatLabel}) and open it as /dev/mapper/${step.mapname}`
      );
    case 'mkfs':
      return `make an ${step.fstype} filesystem on ${step.device} if this boot formatted the volume (an opened volume must already hold one)`;
    case 'mount':
      return `mount ${typeof step.source === 'string' ? step.source : deviceText(step.source)} on ${step.target}`;
    case 'move-mount':
      return `move the mount at ${step.from} to ${step.to}`;
    case 'remount':
      return `remount ${step.target} ${step.readOnly ? 'read-only' : 'read-write'}`;
    case 'mount-overlay':
      return `mount the ${step.driver} filesystem ${step.source} on ${step.target} (lower ${step.lower}, upper ${step.upper})`;
    case 'write-fstab':
      return `rewrite ${step.input} into ${step.upper}/etc/fstab (the new root's /etc/fstab) and create the directories it names`;
    case 'keep-key':
      return `keep the generated passphrase in ${step.path} (mode 0400) for recovery`;
  }
}

function inProcessCommand(step: StepData): string[] {
  switch (step.kind) {
    case 'mkdir':
      return ['mkdir', '-p', '-m', step.mode.toString(8).padStart(4, '0'), ...step.paths];
    case 'mkdir-in-upper':
      return ['mkdir', '-p', ...step.paths.map((p) => `${step.upper}${p}`)];
    case 'wait-device':
      return step.device.kind === 'path' ? ['test', '-b', step.device.path] : ['blkid', '-c', '/dev/null', '-l', '-o', 'device', '-t', tag(step.device)];
    case 'seed-urandom':
      return ['cat', ...SEED_FILES.map((seed) => seed.path(step.rootmnt)), '>>', '/dev/urandom'];
    case 'derive-key':
      return ['sha512sum', '<entropy sources>', '>', '<passphrase in memory>'];
    case 'load-key':
      return ['cat', keyText(step.key), '>', '<key in memory>'];
    case 'crypt-attach':
      return [...step.cryptsetup.open];
    case 'write-fstab':
      return ['rewrite-fstab', step.input, '>', `${step.upper}/etc/fstab`];
    case 'keep-key':
      return ['install', '-m', '0400', '<passphrase>', step.path];
    default:
      throw new Error(`no in-process command for ${step.kind}`);
  }
}

function undoDescription(step: StepData): string | null {
  switch (step.kind) {
    case 'mkdir':
    case 'mkdir-in-upper':
      return 'remove the directories this step created';
    case 'mount-tmpfs':
    case 'mount':
    case 'mount-overlay':
      return `unmount ${step.target}`;
    case 'move-mount':
      return `move ${step.to} back to ${step.from}`;
    case 'remount':
      return `remount ${step.target} ${step.readOnly ? 'read-write' : 'read-only'} again`;
    case 'crypt-attach':
      return `close /dev/mapper/${step.mapname} (a format cannot be undone: only a blank or ephemeral device is ever formatted)`;
    case 'derive-key':
    case 'load-key':
      return 'wipe the key from memory';
    case 'write-fstab':
      return 'restore the upper layer\'s previous /etc/fstab and remove the directories this step created';
    case 'keep-key':
      return `remove ${step.path}`;
    default:
      return null;
  }
}

export function deviceText(device: DeviceSpec): string {
  return device.kind === 'path' ? device.path : `${device.spec} (${device.path})`;
}

function tag(device: DeviceSpec): string {
  return `${device.kind.toUpperCase()}=${device.value}`;
}

export function keyText(key: PlanKeyRef): string {
  switch (key.kind) {
    case 'generated':
      return 'a generated passphrase';
    case 'passphrase':
      return `pass=<redacted> (clear text, ${key.source})`;
    case 'keyfile':
      return `keyfile ${key.path} (${key.format}, on the ${baseText(key.base)})`;
    case 'encrypted':
      return `an encrypted passphrase (master key ${key.masterKeyPath} on the ${baseText(key.base)})`;
  }
}

function baseText(base: KeyFileBase): string {
  return base === 'cfgdisk' ? 'config disk' : base === 'root' ? 'root filesystem' : 'initramfs';
}

/** Drop the secret from a key reference so it can live in a plan. */
export function publicKeyRef(key: KeyRef): PlanKeyRef {
  switch (key.kind) {
    case 'generated':
    case 'passphrase':
      return { kind: key.kind, source: key.source };
    case 'keyfile':
      return { kind: 'keyfile', source: key.source, path: key.path, base: key.base, format: key.format };
    case 'encrypted':
      return { kind: 'encrypted', source: key.source, masterKeyPath: key.masterKey.path, base: key.masterKey.base };
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
