// cryptsetup failures as typed errors a person can act on. cryptsetup's exit codes (man
// cryptsetup, RETURN CODES) are coarse: 1 wrong parameters, 2 no permission (bad passphrase),
// 3 out of memory, 4 wrong device specified, 5 device already exists or busy. Several real
// failures share code 1 or 4, so stderr decides first; the patterns come from cryptsetup 2.6.1's
// recorded messages (test/fixtures/cryptsetup/runs/).
import { OrootError } from '../errors.js';
import type { RunResult } from '../system/spawn.js';

export type CryptsetupFailureReason =
  | 'wrong-key'
  | 'busy'
  | 'no-device'
  | 'not-luks'
  | 'no-dm-crypt'
  | 'out-of-memory'
  | 'permission'
  | 'not-installed'
  | 'unknown';

/** What was being done, for the message. */
export interface FailureContext {
  /** cryptsetup action: luksFormat, open, close, status, luksAddKey, … */
  readonly operation: string;
  readonly device?: string;
  /** Mapping name (/dev/mapper/<name>). */
  readonly name?: string;
  /** Whether the device node or file exists: tells "no such device" from "access denied". */
  readonly deviceExists?: boolean;
}

export class CryptsetupError extends OrootError {
  override name = 'CryptsetupError';
  readonly operation: string;
  readonly device: string | undefined;
  readonly mapName: string | undefined;
  readonly exitCode: number | null;
  /** cryptsetup's stderr, with every secret it was given already redacted by spawn. */
  readonly stderr: string;
  /** The command as run, secrets redacted. */
  readonly command: string;

  constructor(
    readonly reason: CryptsetupFailureReason,
    message: string,
    hint: string | undefined,
    context: FailureContext,
    result?: RunResult,
  ) {
    super(message, undefined, { hint, cause: result?.spawnError });
    this.operation = context.operation;
    this.device = context.device;
    this.mapName = context.name;
    this.exitCode = result?.exitCode ?? null;
    this.stderr = result?.stderr ?? '';
    this.command = result?.command ?? '';
  }
}

type Rule = { reason: CryptsetupFailureReason; stderr?: RegExp; exitCode?: number };

// Order matters: without device-mapper cryptsetup also says "name is invalid or still in use",
// which must not read as "busy"; and an access problem is reported with exit code 4 like a
// missing device.
const rules: readonly Rule[] = [
  { reason: 'no-dm-crypt', stderr: /Cannot initialize device-mapper|dm_mod kernel module|kernel device-mapper driver|Check that kernel supports .* cipher/i },
  { reason: 'wrong-key', stderr: /No key available with this passphrase/i },
  { reason: 'wrong-key', exitCode: 2 },
  { reason: 'out-of-memory', stderr: /Not enough (available )?memory|Cannot allocate memory|Out of memory/i },
  { reason: 'out-of-memory', exitCode: 3 },
  { reason: 'not-luks', stderr: /is not a valid LUKS device|Unsupported LUKS version|not a LUKS device/i },
  { reason: 'permission', stderr: /Permission denied|Operation not permitted|must be run as root|requires root/i },
  { reason: 'no-device', stderr: /does not exist or access denied|No such file or directory|No such device or address/i },
  { reason: 'busy', stderr: /already exists|in use|is busy|Device or resource busy/i },
  { reason: 'no-device', exitCode: 4 },
  { reason: 'busy', exitCode: 5 },
];

export function failureReason(result: RunResult, context: FailureContext): CryptsetupFailureReason {
  return classify(result, context).reason;
}

/** Turn a failed cryptsetup run into a CryptsetupError with a message and a hint. */
export function cryptsetupError(result: RunResult, context: FailureContext): CryptsetupError {
  const { reason, evidence } = classify(result, context);
  const { summary, hint } = explain(reason, context, result);
  const message = evidence ? `${summary} (cryptsetup: ${evidence.slice(0, 300)})` : summary;
  return new CryptsetupError(reason, message, hint, context, result);
}

/** The error for a reason known without a failed run, e.g. a wrong key found by a key test. */
export function explainedError(reason: CryptsetupFailureReason, context: FailureContext): CryptsetupError {
  const { summary, hint } = explain(reason, context);
  return new CryptsetupError(reason, summary, hint, context);
}

/** The reason, and the stderr line that shows it (the one a rule matched, else the last useful one). */
function classify(result: RunResult, context: FailureContext): { reason: CryptsetupFailureReason; evidence: string } {
  const lines = result.stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  // "Command failed with code -1 (…)" only repeats the exit code; the line before it says why.
  const useful = lines.filter((line) => !/^Command failed with code/.test(line));
  const fallback = useful[useful.length - 1] ?? lines[lines.length - 1] ?? '';
  if (result.spawnError?.code === 'ENOENT') return { reason: 'not-installed', evidence: '' };
  if (result.timedOut) return { reason: 'unknown', evidence: fallback };
  for (const rule of rules) {
    if (rule.exitCode !== undefined && rule.exitCode !== result.exitCode) continue;
    const line = rule.stderr ? useful.find((candidate) => rule.stderr!.test(candidate)) : fallback;
    if (line === undefined) continue;
    // "does not exist or access denied" for a file that exists means we may not read it.
    const reason = rule.reason === 'no-device' && context.deviceExists ? 'permission' : rule.reason;
    return { reason, evidence: line };
  }
  return { reason: 'unknown', evidence: fallback };
}

function explain(reason: CryptsetupFailureReason, context: FailureContext, result?: RunResult): { summary: string; hint?: string } {
  const device = context.device ?? 'the device';
  const mapping = context.name ? `/dev/mapper/${context.name}` : 'the mapping';
  switch (reason) {
    case 'wrong-key':
      return {
        summary: `the key does not open ${device}`,
        hint: 'Check the key given in overlayroot= (pass=, keyfile=, or pass_enc= with masterkey=). A volume is never reformatted because its key is wrong; mkfs=2 asks for that explicitly.',
      };
    case 'busy':
      return {
        summary: context.name
          ? `cannot ${context.operation} ${mapping}: the name is already in use or ${device} is busy`
          : `${device} is in use (mounted, mapped or held open by another program)`,
        hint: context.name
          ? `Close the existing mapping (cryptsetup close ${context.name}) or choose another mapname=.`
          : 'Unmount it or close what holds it, then try again.',
      };
    case 'no-device':
      return {
        summary: `${device} does not exist`,
        hint: 'Check dev= in overlayroot= (e.g. dev=/dev/vdb or dev=LABEL=…) and that the disk is attached.',
      };
    case 'not-luks':
      return {
        summary: `${device} holds no LUKS header`,
        hint: 'It was never formatted or its header was wiped. To create a new volume there, allow formatting (mkfs=1 formats a blank device, mkfs=2 always reformats).',
      };
    case 'no-dm-crypt':
      return {
        summary: `cannot ${context.operation} ${mapping}: the kernel lacks device-mapper/dm-crypt`,
        hint: 'Load the modules (modprobe dm_crypt; it pulls in dm_mod) and make sure the initramfs carries dm_crypt, xts and aes.',
      };
    case 'out-of-memory':
      return {
        summary: `not enough memory for cryptsetup ${context.operation} on ${device} (the key derivation needs more than is free)`,
        hint: 'Volumes made by the persistent profile cap Argon2 memory at 1/4 of RAM; a volume formatted on a bigger machine needs a key slot added with less memory (oroot adds one with addKey on the small machine).',
      };
    case 'permission':
      return { summary: `permission denied: cryptsetup ${context.operation} on ${device}`, hint: 'Run it as root.' };
    case 'not-installed':
      return {
        summary: 'cryptsetup is not installed',
        hint: 'Install cryptsetup-bin (and cryptsetup-initramfs so the boot image carries it).',
      };
    default:
      return {
        summary: result?.timedOut
          ? `cryptsetup ${context.operation} on ${context.name ?? device} timed out after ${Math.round(result.durationMs / 1000)} s`
          : `cryptsetup ${context.operation} failed on ${context.name ?? device} (exit ${result?.exitCode ?? result?.signal ?? 'unknown'})`,
        hint: result?.timedOut ? 'Without udev, cryptsetup must run with DM_DISABLE_UDEV=1; check the kernel log for dm-crypt errors.' : undefined,
      };
  }
}
