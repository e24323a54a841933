// One way to run cryptsetup: the absolute binary, keys only on stdin and declared as secrets (so
// spawn refuses a command that carries them in argv or env, and redacts them from output), the
// environment libdevmapper needs without udev, a bounded run time, and a debug log line.
import type { Host } from '../system/host.js';
import type { RunResult } from '../system/spawn.js';
import type { Secret } from '../system/secret.js';
import { cryptsetupError, type CryptsetupError, type FailureContext } from './errors.js';
import { cryptsetupPath } from './probe.js';
import { pathExists } from './device.js';

/**
 * libdevmapper creates and removes /dev/mapper nodes itself, without waiting for udev to confirm.
 * Left alone it guesses whether udev runs from /run/udev/control: with no udev at all it falls
 * back by itself (recorded in a guest), but an initramfs where udev ran and was stopped would
 * make cryptsetup wait for a confirmation that never comes. Harmless when udev does run, so it is
 * always set for the operations that touch device-mapper.
 */
export const DEVICE_MAPPER_ENV: Readonly<Record<string, string>> = { DM_DISABLE_UDEV: '1' };

/** Key derivation can take seconds (Argon2 under emulation: ~15 s); a hang must still end. */
export const SLOW_TIMEOUT_MS = 300_000;
export const QUICK_TIMEOUT_MS = 60_000;

export interface CryptsetupCall {
  /** Arguments after the program name (from argv.ts). */
  readonly args: readonly string[];
  readonly context: FailureContext;
  /** Written to stdin one after the other; never anywhere else. */
  readonly keys?: readonly Secret[];
  /** Needs DEVICE_MAPPER_ENV (open, close, status). */
  readonly deviceMapper?: boolean;
  readonly timeoutMs?: number;
}

/** Run cryptsetup; a non-zero exit is returned, not thrown (see `mustRun`). */
export async function runCryptsetup(host: Host, call: CryptsetupCall): Promise<RunResult> {
  const program = await cryptsetupPath(host);
  const secrets = (call.keys ?? []).map((key) => key.reveal());
  const input = secrets.length > 1 ? Buffer.concat(secrets) : secrets[0];
  try {
    const result = await host.run([program, ...call.args], {
      reject: false,
      ...(input ? { input, secrets } : {}),
      ...(call.deviceMapper ? { env: { ...DEVICE_MAPPER_ENV } } : {}),
      timeoutMs: call.timeoutMs ?? QUICK_TIMEOUT_MS,
    });
    host.log.debug(`${result.command}: exit ${result.exitCode ?? result.signal ?? 'none'} in ${Math.round(result.durationMs)} ms`);
    return result;
  } finally {
    if (input && secrets.length > 1) input.fill(0); // our concatenated copy; the Secrets stay with the caller
  }
}

/** Run cryptsetup and throw a CryptsetupError when it fails. */
export async function mustRun(host: Host, call: CryptsetupCall): Promise<RunResult> {
  const result = await runCryptsetup(host, call);
  if (result.failed) throw await failure(host, result, call.context);
  return result;
}

/** The typed error for a failed run; checks whether the device exists to tell "missing" from "denied". */
export async function failure(host: Host, result: RunResult, context: FailureContext): Promise<CryptsetupError> {
  const deviceExists = context.device === undefined ? undefined : await pathExists(host, context.device);
  return cryptsetupError(result, { ...context, deviceExists });
}
