// The four ways oroot sets up dm-crypt, chosen by name (the `profile=` option) and resolved against
// the machine's facts. Resolution is pure: the same facts always give the same flags, and every
// choice is written down in `decisions` so the boot log says why a flag was (not) used.
// docs/cryptsetup.md explains each profile, what it protects and what it costs.
import type { CryptProfileName } from '../overlayroot/config/types.js';
import { InternalError, OrootError } from '../errors.js';
import { versionAtLeast } from './version.js';

export interface ProfileFacts {
  /** Physical memory of the machine that formats (MemTotal). */
  readonly memoryBytes: number;
  /** `uname -r`, e.g. "6.1.0-53-cloud-amd64". */
  readonly kernelRelease: string;
  /** `cryptsetup --version` output or just "2.6.1". */
  readonly cryptsetupVersion: string;
}

export interface CryptProfile {
  readonly name: CryptProfileName;
  /** What the volume is on disk. For compat this is what cryptsetup's default is for the version. */
  readonly type: 'luks1' | 'luks2' | 'plain';
  readonly describe: string;
}

export type PbkdfChoice =
  | { readonly kind: 'pbkdf2'; readonly iterations: number }
  | { readonly kind: 'argon2id'; readonly memoryKiB: number }
  /** No flags: whatever cryptsetup benchmarks (compat). */
  | { readonly kind: 'cryptsetup-default' }
  /** Plain dm-crypt: no header, so no key derivation at all. */
  | { readonly kind: 'none' };

export interface ResolvedProfile extends CryptProfile {
  /** undefined: cryptsetup's compiled-in default (compat only). */
  readonly cipher: string | undefined;
  readonly keyBits: number | undefined;
  readonly pbkdf: PbkdfChoice;
  /** LUKS hash (--hash: PBKDF2, the anti-forensic splitter, the key digest); undefined: sha256. */
  readonly hash: 'sha512' | undefined;
  /** Preferred encryption sector size; applied only when the device size is a multiple of it. */
  readonly sectorSize: 4096 | undefined;
  /** LUKS2 keyslots area (--luks2-keyslots-size); undefined: cryptsetup's 16 MiB. */
  readonly keyslotsAreaBytes: number | undefined;
  /** Pass --perf-no_read_workqueue --perf-no_write_workqueue on open. */
  readonly noWorkqueue: boolean;
  /** Plain mode uses the key bytes directly, so their length is fixed. */
  readonly keyBytes: number | undefined;
  /** One line per choice made from the facts, for the boot log. */
  readonly decisions: readonly string[];
}

export const CRYPT_PROFILES: Readonly<Record<CryptProfileName, CryptProfile>> = {
  ephemeral: {
    name: 'ephemeral',
    type: 'luks2',
    describe: 'LUKS2 aes-xts-plain64 512-bit, PBKDF2-SHA512 1000 iterations (the key is 512 random bits), 4096-byte sectors, 1 MiB keyslots area',
  },
  persistent: {
    name: 'persistent',
    type: 'luks2',
    describe: 'LUKS2 aes-xts-plain64 512-bit, Argon2id tuned by cryptsetup with its memory capped by RAM',
  },
  plain: {
    name: 'plain',
    type: 'plain',
    describe: 'plain dm-crypt aes-xts-plain64 with a random 512-bit key used as is: no header, nothing stored',
  },
  compat: {
    name: 'compat',
    type: 'luks2',
    describe: "cryptsetup's compiled-in defaults, exactly as overlayroot calls it (for comparison)",
  },
};

export const XTS_CIPHER = 'aes-xts-plain64';
export const XTS_KEY_BITS = 512;
/** NIST SP 800-132's floor, also cryptsetup's minimum: stretching adds nothing to a random 512-bit key. */
export const MINIMAL_PBKDF2_ITERATIONS = 1000;
/** cryptsetup's default and ceiling for Argon2 memory: 1 GiB. */
export const ARGON2_DEFAULT_MEMORY_KIB = 1024 * 1024;
/**
 * The ephemeral profile's hash. With a 512-bit key, SHA-512 fills it in one PBKDF2 block and one
 * splitter hash per stripe where SHA-256 needs two: format and open each run about a fifth fewer
 * instructions (92.9M instead of 115.7M, and 80.2M instead of 105.2M, cryptsetup 2.6.1 under
 * callgrind), which under emulation is a tenth of a second each.
 */
export const EPHEMERAL_HASH = 'sha512';
/** Room for 4 slots of 512-bit keys instead of cryptsetup's 16 MiB, which luksFormat fills with
 *  random bytes: formatting writes 15 MiB less (3x faster on the CI host). */
export const EPHEMERAL_KEYSLOTS_AREA_BYTES = 1024 * 1024;
/** The persistent profile lets Argon2 use at most this share of RAM. */
export const ARGON2_RAM_FRACTION = 4;

const noWorkqueueMinimum = { kernel: '5.9', cryptsetup: '2.3.4' } as const;
const sectorSizeMinimum = { kernel: '4.12', cryptsetup: '2.0.0' } as const;
const keyslotsSizeMinimum = { cryptsetup: '2.1.0' } as const; // --luks2-keyslots-size is a header choice only

/** Decide a profile's flags from the machine's facts. */
export function profileFor(name: CryptProfileName, facts: ProfileFacts): ResolvedProfile {
  const profile = CRYPT_PROFILES[name];
  if (!profile) throw new InternalError(`unknown cryptsetup profile "${String(name)}"`);
  if (!(facts.memoryBytes > 0)) throw new InternalError(`profileFor needs the memory size, got ${facts.memoryBytes}`);
  const decisions: string[] = [`profile ${name}: ${profile.describe}`];

  if (name === 'compat') {
    const type = versionAtLeast(facts.cryptsetupVersion, '2.1.0') ? 'luks2' : 'luks1';
    decisions.push(`no flags: cryptsetup ${shortVersion(facts.cryptsetupVersion)} defaults to ${type}`);
    return { ...profile, type, cipher: undefined, keyBits: undefined, pbkdf: { kind: 'cryptsetup-default' }, hash: undefined,
      sectorSize: undefined, keyslotsAreaBytes: undefined, noWorkqueue: false, keyBytes: undefined, decisions };
  }
  if (profile.type === 'luks2' && !versionAtLeast(facts.cryptsetupVersion, '2.0.0')) {
    throw new OrootError(`cryptsetup ${shortVersion(facts.cryptsetupVersion)} cannot create LUKS2 volumes (needs 2.0 or later)`, undefined, {
      hint: 'Install a newer cryptsetup, or choose profile=compat.',
    });
  }

  const noWorkqueue = supports(facts, noWorkqueueMinimum, 'no-workqueue flags on open', decisions);
  const wantsSectors = name === 'ephemeral' || name === 'plain';
  const sectorSize = wantsSectors && supports(facts, sectorSizeMinimum, '4096-byte sectors', decisions) ? (4096 as const) : undefined;
  const base = { ...profile, cipher: XTS_CIPHER, keyBits: XTS_KEY_BITS, hash: undefined, sectorSize, keyslotsAreaBytes: undefined, noWorkqueue, decisions };

  switch (name) {
    case 'ephemeral': {
      const small = supports(facts, keyslotsSizeMinimum, '1 MiB keyslots area', decisions);
      const keyslotsAreaBytes = small ? EPHEMERAL_KEYSLOTS_AREA_BYTES : undefined;
      return { ...base, pbkdf: { kind: 'pbkdf2', iterations: MINIMAL_PBKDF2_ITERATIONS }, hash: EPHEMERAL_HASH, keyslotsAreaBytes, keyBytes: undefined };
    }
    case 'plain':
      return { ...base, pbkdf: { kind: 'none' }, keyBytes: XTS_KEY_BITS / 8 };
    case 'persistent': {
      const memoryKiB = argon2MemoryCapKiB(facts.memoryBytes);
      decisions.push(
        `Argon2id memory at most ${Math.round(memoryKiB / 1024)} MiB: 1/${ARGON2_RAM_FRACTION} of ` +
          `${Math.round(facts.memoryBytes / 2 ** 20)} MiB RAM, never above cryptsetup's 1 GiB default`,
      );
      return { ...base, pbkdf: { kind: 'argon2id', memoryKiB }, keyBytes: undefined };
    }
  }
}

/** The persistent profile's rule: ¼ of RAM, never above 1 GiB, never below cryptsetup's 32 KiB floor. */
export function argon2MemoryCapKiB(memoryBytes: number): number {
  const quarter = Math.floor(memoryBytes / ARGON2_RAM_FRACTION / 1024);
  return Math.max(32, Math.min(ARGON2_DEFAULT_MEMORY_KIB, quarter));
}

function supports(
  facts: ProfileFacts,
  minimum: { readonly kernel?: string; readonly cryptsetup: string },
  feature: string,
  decisions: string[],
): boolean {
  const kernelOk = minimum.kernel === undefined || versionAtLeast(facts.kernelRelease, minimum.kernel);
  const toolOk = versionAtLeast(facts.cryptsetupVersion, minimum.cryptsetup);
  const kernel = minimum.kernel === undefined ? [] : [`kernel ${facts.kernelRelease} ${kernelOk ? '≥' : '<'} ${minimum.kernel}`];
  const tool = `cryptsetup ${shortVersion(facts.cryptsetupVersion)} ${toolOk ? '≥' : '<'} ${minimum.cryptsetup}`;
  decisions.push(`${feature}: ${kernelOk && toolOk ? 'yes' : 'no'} (${[...kernel, tool].join(', ')})`);
  return kernelOk && toolOk;
}

function shortVersion(text: string): string {
  return /\d+\.\d+(?:\.\d+)?/.exec(text)?.[0] ?? text.trim();
}
