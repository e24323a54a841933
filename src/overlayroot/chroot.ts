// `oroot chroot`: a writable view of the overlay's lower layer, to change the real root for good
// (install packages, edit /etc/overlayroot.conf, update the initramfs). Fixes overlayroot-chroot's
// gaps (W12): /dev and /dev/pts are bound too, the command's exit status comes back, everything is
// undone on every way out — the command failing, being killed, oroot getting SIGTERM or SIGHUP —
// and a second session is refused. What the session changed is recorded in the lock file first,
// so even a session killed with SIGKILL is cleaned up by the next one.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { ExitCode, OrootError } from '../errors.js';
import type { Host } from '../system/host.js';
import { findMount, isMountPoint, isReadOnly, readMountTable } from '../system/mounts.js';
import { DEFAULT_PATH } from '../system/spawn.js';
import { acquireLock, recordChange, releaseLock, type LockRecord, type SessionChange } from './chroot-lock.js';
import { planChroot, type ChrootPlan } from './chroot-plan.js';

export interface ChrootOptions {
  /** Where the overlay is mounted; '/' (the default) is the running system's root. */
  readonly overlay?: string;
  /** The command and its arguments; empty for the user's shell ($SHELL -i). */
  readonly command: readonly string[];
  /** The environment the command gets (the user's). */
  readonly env: NodeJS.ProcessEnv;
  /** After SIGTERM/SIGHUP is passed on, how long the command may take to exit before SIGKILL. */
  readonly killAfterMs?: number;
}

const HANDLED = ['SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGHUP'] as const;
type Handled = (typeof HANDLED)[number];

/** Runs the session; resolves to the exit status (the command's, or 128+signal). */
export async function runChroot(host: Host, options: ChrootOptions): Promise<number> {
  const overlayDir = options.overlay ?? '/';
  let plan = planChroot(await readMountTable(host), overlayDir);
  const taken = await acquireLock(host, plan.lower);
  const signals = watchSignals();
  const session = { record: taken.record };
  let status: number | undefined;
  let failure: unknown;
  try {
    if (taken.stale) {
      await undoStale(host, taken.stale);
      plan = planChroot(await readMountTable(host), overlayDir); // what the stale session left is gone now
    }
    await setUp(host, plan, session, signals);
    status = await runCommand(host, plan.lower, options, signals);
  } catch (error) {
    failure = error;
  }
  signals.phase = 'cleanup'; // signals arriving now are ignored: the cleanup must finish
  const problems = await undo(host, session.record.changes);
  await releaseLock(host);
  signals.dispose();
  if (problems.length === 0 && session.record.changes.some((c) => c.kind === 'writable')) host.log.info(`${plan.lower} is read-only again`);
  for (const problem of problems) host.log.error(problem);
  if (failure instanceof SignalAbort) {
    host.log.warn(`${failure.signal} while setting up: undone, the command was not run`);
    status = 128 + constants.signals[failure.signal];
  }
  else if (failure) throw failure;
  return problems.length > 0 && status === 0 ? ExitCode.failure : status!;
}

class SignalAbort extends Error {
  constructor(readonly signal: Handled) {
    super(`interrupted by ${signal}`);
  }
}

interface SignalWatch {
  phase: 'setup' | 'running' | 'cleanup';
  received: Handled | undefined;
  /** Called for each signal while the command runs. */
  onSignal: ((signal: Handled) => void) | undefined;
  dispose(): void;
}

/** From here on these signals no longer kill oroot; what they do depends on the phase. */
function watchSignals(): SignalWatch {
  const watch: SignalWatch = {
    phase: 'setup',
    received: undefined,
    onSignal: undefined,
    dispose: () => HANDLED.forEach((signal) => process.off(signal, handler)),
  };
  const handler = (signal: Handled) => {
    if (watch.phase === 'setup') watch.received ??= signal;
    else if (watch.phase === 'running') watch.onSignal?.(signal);
  };
  HANDLED.forEach((signal) => process.on(signal, handler));
  return watch;
}

async function setUp(host: Host, plan: ChrootPlan, session: { record: LockRecord }, signals: SignalWatch): Promise<void> {
  const step = async (change: SessionChange, argv: string[]) => {
    if (signals.received) throw new SignalAbort(signals.received);
    session.record = await recordChange(host, session.record, change);
    await host.run(argv);
  };
  for (const { source, target } of plan.binds) {
    if (!(await isDirectory(host, target))) {
      host.log.warn(`${source} is not bound: ${target} is not a directory in the lower layer`);
      continue;
    }
    await step({ kind: 'mount', target, what: source }, ['mount', '--bind', source, target]);
  }
  if (plan.scratch && (await isDirectory(host, plan.scratch))) {
    await step({ kind: 'mount', target: plan.scratch, what: 'tmpfs' }, ['mount', '-t', 'tmpfs', '-o', 'mode=1777,nosuid,nodev', 'oroot-chroot-tmp', plan.scratch]);
  }
  for (const target of plan.remount) await step({ kind: 'writable', target }, ['mount', '-o', 'remount,rw', target]);
  for (const target of plan.alreadyWritable) host.log.warn(`${target} was read-write before this session and is left so`);
  if (signals.received) throw new SignalAbort(signals.received);
}

/**
 * The command runs in the lower layer with inherited stdio. SIGINT and SIGQUIT come from the
 * terminal to the command itself (same process group), so oroot does not pass them on; SIGTERM and
 * SIGHUP are meant for the session: passed on, then SIGKILL if the command is still there later.
 */
function runCommand(host: Host, lower: string, options: ChrootOptions, signals: SignalWatch): Promise<number> {
  const command = options.command.length > 0 ? [...options.command] : [options.env.SHELL || '/bin/sh', '-i'];
  host.log.info(`change-rooting into ${lower} (the lower layer, writable until the command ends): ${command.join(' ')}`);
  host.log.warn('changes made there show in / after the next boot: overlayfs does not follow a layer changed under it');
  return new Promise((resolve) => {
    const env = { ...options.env, PATH: options.env.PATH || DEFAULT_PATH };
    const child = spawn('chroot', [lower, ...command], { stdio: 'inherit', env });
    let killTimer: NodeJS.Timeout | undefined;
    signals.phase = 'running';
    signals.onSignal = (signal) => {
      if (signal !== 'SIGTERM' && signal !== 'SIGHUP') return;
      host.log.warn(`${signal}: ending the command (SIGKILL in ${(options.killAfterMs ?? 10_000) / 1000} s if it does not exit)`);
      child.kill(signal);
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 10_000);
    };
    if (signals.received) signals.onSignal(signals.received); // came in just as the setup ended
    child.on('error', (error) => {
      host.log.error(`cannot run chroot: ${error.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      signals.phase = 'cleanup';
      if (signal) host.log.warn(`the command was killed by ${signal}`);
      resolve(code ?? 128 + constants.signals[signal!]);
    });
  });
}

/** Undo in reverse order; every failure is kept and reported, none stops the rest. */
async function undo(host: Host, changes: readonly SessionChange[]): Promise<string[]> {
  const problems: string[] = [];
  for (const change of [...changes].reverse()) {
    try {
      if (change.kind === 'mount') await unmount(host, change.target);
      else await makeReadOnly(host, change.target);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  return problems;
}

async function undoStale(host: Host, stale: LockRecord): Promise<void> {
  if (stale.changes.length === 0) return;
  host.log.warn(`session ${stale.pid} ended without cleaning up; undoing what it left on ${stale.lower}`);
  const problems = await undo(host, stale.changes);
  if (problems.length > 0) {
    throw new OrootError(`cannot clean up after session ${stale.pid}:\n${problems.join('\n')}`, ExitCode.failure, {
      hint: 'Fix the problem above, then run oroot chroot again; the next session retries the cleanup.',
    });
  }
}

async function unmount(host: Host, target: string): Promise<void> {
  if (!isMountPoint(await readMountTable(host), target)) return;
  for (const argv of [['umount', target], ['umount', target], ['umount', '--lazy', target]]) {
    const result = await host.run(argv, { reject: false });
    if (!result.failed) {
      if (argv.includes('--lazy')) host.log.warn(`${target} was busy: detached it (umount --lazy); processes started in the session still use it`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new OrootError(`could not unmount ${target}, it is still bound in the lower layer. Run: umount --lazy ${target}`);
}

async function makeReadOnly(host: Host, target: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const mount = findMount(await readMountTable(host), target);
    if (!mount || isReadOnly(mount)) return;
    const result = await host.run(['mount', '-o', 'remount,ro', target], { reject: false });
    if (!result.failed) return;
    if (attempt === 1) {
      const reason = result.stderr.trim().split('\n')[0]?.replace(/\.$/, '') || `mount exited with ${result.exitCode}`;
      throw new OrootError(
        `${target} is still mounted READ-WRITE (${reason}).\n` +
          `Stop what keeps files open for writing there (fuser -vm ${target}), then run: mount -o remount,ro ${target}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function isDirectory(host: Host, machinePath: string): Promise<boolean> {
  return (await stat(host.path(machinePath)).catch(() => undefined))?.isDirectory() ?? false;
}
