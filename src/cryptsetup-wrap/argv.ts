// The exact cryptsetup arguments for each operation and profile, as pure functions, so tests, logs,
// `oroot plan` and the benchmark script all see the very commands the boot runs. Keys are never
// arguments: every command reads them from stdin (`--key-file=-`).
import type { PbkdfChoice, ResolvedProfile } from './profiles.js';

export interface FormatTarget {
  readonly device: string;
  /** LUKS2 label (ignored by compat, which passes no flags at all). */
  readonly label?: string;
  /** The sector size to use on this device, after checking the device allows it. */
  readonly sectorSize?: number;
}

export interface OpenTarget {
  readonly device: string;
  readonly name: string;
  readonly readOnly?: boolean;
  readonly sectorSize?: number;
}

const STDIN_KEY = '--key-file=-';

/** luksFormat arguments; undefined for plain mode, which has no header to write. */
export function formatArgs(profile: ResolvedProfile, target: FormatTarget): string[] | undefined {
  // overlayroot: `cryptsetup luksFormat "$dev" --key-file -`, nothing else.
  if (profile.name === 'compat') return ['luksFormat', target.device, '--key-file', '-'];
  if (profile.type === 'plain') return undefined;
  return [
    'luksFormat',
    '--batch-mode',
    '--type', profile.type,
    ...cipherArgs(profile),
    ...(profile.hash ? ['--hash', profile.hash] : []),
    ...pbkdfArgs(profile.pbkdf),
    ...sectorArgs(target.sectorSize),
    ...(profile.keyslotsAreaBytes ? ['--luks2-keyslots-size', String(profile.keyslotsAreaBytes)] : []),
    ...(target.label ? ['--label', target.label] : []),
    STDIN_KEY,
    target.device,
  ];
}

export function openArgs(profile: ResolvedProfile, target: OpenTarget): string[] {
  const readOnly = target.readOnly ? ['--readonly'] : [];
  // overlayroot: `cryptsetup luksOpen "$dev" "$mapname" --key-file -`.
  if (profile.name === 'compat') return ['luksOpen', target.device, target.name, '--key-file', '-', ...readOnly];
  const perf = profile.noWorkqueue ? ['--perf-no_read_workqueue', '--perf-no_write_workqueue'] : [];
  if (profile.type === 'plain') {
    return [
      'open', '--type', 'plain',
      ...cipherArgs(profile),
      // The random key is the volume key: no hashing (the default hash differs between releases,
      // and 2.6's ripemd160 needs OpenSSL's legacy provider), and exactly keyBytes are read.
      '--hash', 'plain',
      STDIN_KEY, '--keyfile-size', String(profile.keyBytes),
      ...sectorArgs(target.sectorSize),
      ...perf, ...readOnly,
      target.device, target.name,
    ];
  }
  // `--type luks` accepts LUKS1 and LUKS2, so a hand-made LUKS1 volume still opens.
  return ['open', '--type', 'luks', ...perf, ...readOnly, STDIN_KEY, target.device, target.name];
}

/** Checks a key against the header without creating a mapping (needs no device-mapper). */
export function testKeyArgs(device: string, slot?: number): string[] {
  const slotArgs = slot === undefined ? [] : ['--key-slot', String(slot)];
  // --verbose makes cryptsetup say which slot the key unlocked ("Key slot 1 unlocked.").
  return ['open', '--test-passphrase', '--verbose', '--type', 'luks', ...slotArgs, STDIN_KEY, device];
}

/**
 * Both keys arrive on stdin, one after the other: `--keyfile-size` makes cryptsetup read exactly
 * the existing key, and the positional `-` reads the new key from the rest of the stream.
 */
export function addKeyArgs(device: string, existingKeyBytes: number, pbkdf: PbkdfChoice, luksVersion: 1 | 2, hash?: ResolvedProfile['hash']): string[] {
  // LUKS1 has one PBKDF (pbkdf2) and one hash for all slots: only the iteration count may be chosen.
  const keyslotPbkdf = luksVersion === 1 && pbkdf.kind !== 'pbkdf2' ? [] : pbkdfArgs(pbkdf, luksVersion);
  const keyslotHash = luksVersion === 2 && hash ? ['--hash', hash] : [];
  return ['luksAddKey', ...keyslotHash, ...keyslotPbkdf, STDIN_KEY, '--keyfile-size', String(existingKeyBytes), device, '-'];
}

export function removeKeyArgs(device: string): string[] {
  return ['luksRemoveKey', '--batch-mode', STDIN_KEY, device];
}

/** Takes back a slot we just added, proving possession with the existing key on stdin. */
export function killSlotArgs(device: string, slot: number): string[] {
  return ['luksKillSlot', '--batch-mode', STDIN_KEY, device, String(slot)];
}

export function dumpArgs(device: string, luksVersion: 1 | 2): string[] {
  return luksVersion === 2 ? ['luksDump', '--dump-json-metadata', device] : ['luksDump', device];
}

export const isLuksArgs = (device: string): string[] => ['isLuks', device];
export const closeArgs = (name: string): string[] => ['close', name];
export const statusArgs = (name: string): string[] => ['status', name];

function cipherArgs(profile: ResolvedProfile): string[] {
  if (!profile.cipher || !profile.keyBits) return [];
  return ['--cipher', profile.cipher, '--key-size', String(profile.keyBits)];
}

function pbkdfArgs(pbkdf: PbkdfChoice, luksVersion: 1 | 2 = 2): string[] {
  switch (pbkdf.kind) {
    case 'pbkdf2': {
      const type = luksVersion === 2 ? ['--pbkdf', 'pbkdf2'] : [];
      return [...type, '--pbkdf-force-iterations', String(pbkdf.iterations)];
    }
    case 'argon2id':
      return ['--pbkdf', 'argon2id', '--pbkdf-memory', String(pbkdf.memoryKiB)];
    default:
      return [];
  }
}

function sectorArgs(sectorSize: number | undefined): string[] {
  return sectorSize ? ['--sector-size', String(sectorSize)] : [];
}
