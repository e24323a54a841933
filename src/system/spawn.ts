// Running programs: never through a shell, arguments as an array, secrets only on stdin.
// One result shape for success and failure; the thrown error *is* that result.
// Two runners give that same result: run(), on child_process, and nativeRunner(), on the addon's
// spawn (native.ts), which the boot stage can use to avoid child_process's cost under emulation.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InternalError, OrootError, ExitCode } from '../errors.js';
import type { NativeSys } from './native.js';

export interface RunOptions {
  /** Bytes for the child's stdin. This is the only way a secret may reach a child. */
  input?: Buffer | string;
  /** Secrets to keep out of argv, env and every message; `input` counts as one when it is a Buffer marked secret. */
  secrets?: readonly Buffer[];
  /** With reject: false a failure is returned as a value (handy for probes). Default true. */
  reject?: boolean;
  timeoutMs?: number;
  /** Extra environment on top of a minimal one (PATH, LANG=C). The parent's environment is not passed on. */
  env?: Record<string, string>;
  cwd?: string;
}

export interface RunResult {
  /** The command as a user could paste it, quoted; secrets replaced by <redacted>. */
  readonly command: string;
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
  readonly durationMs: number;
  readonly failed: boolean;
  readonly timedOut: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  readonly spawnError?: NodeJS.ErrnoException;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const REDACTED = '<redacted>';

/** Thrown when a command fails; it *is* the result (every RunResult field, copied on). */
export interface CommandFailedError extends RunResult {}
export class CommandFailedError extends OrootError {
  override name = 'CommandFailedError';

  constructor(result: RunResult) {
    super(describeFailure(result), ExitCode.failure, { cause: result.spawnError });
    Object.assign(this, result);
  }
}

/** Pick one reason in a fixed order, then the command, then the tail of stderr. */
export function describeFailure(result: RunResult): string {
  let reason: string;
  if (result.spawnError?.code === 'ENOENT') reason = 'Command not found';
  else if (result.spawnError) reason = `Failed to start (${result.spawnError.code ?? result.spawnError.message})`;
  else if (result.timedOut) reason = 'Timed out';
  else if (result.signal) reason = `Killed by ${result.signal}`;
  else reason = `Failed with exit code ${result.exitCode}`;
  const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
  return `${reason}: ${result.command}${tail ? `\n${tail}` : ''}`;
}

/** Quote an argument only when it needs it, so logged commands stay readable and pasteable. */
export function quoteArg(arg: string): string {
  if (arg !== '' && /^[\w/.\-+@:=,%]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function redact(text: string, secrets: readonly Buffer[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    out = out.split(secret.toString('utf8')).join(REDACTED);
  }
  return out;
}

function assertNoSecretIn(what: string, values: readonly string[], secrets: readonly Buffer[]): void {
  for (const secret of secrets) {
    if (secret.length < 4) continue; // too short to search for meaningfully
    const text = secret.toString('utf8');
    if (values.some((value) => value.includes(text))) {
      // Never print the value: saying where it was is enough to find the bug.
      throw new InternalError(`refusing to run a command with secret material in its ${what}`);
    }
  }
}

/** What both runners know before the child starts: checked, with the texts to report. */
interface Prepared {
  readonly argv: readonly string[];
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly secrets: readonly Buffer[];
  readonly command: string;
  readonly started: bigint;
}

/** What a child did, as either runner saw it. */
interface Outcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  readonly timedOut: boolean;
  readonly spawnError?: NodeJS.ErrnoException;
}

/** Throws (synchronously, before anything runs) when there is no program or a secret would leak. */
function prepare(argv: readonly string[], options: RunOptions): Prepared {
  const [file, ...args] = argv;
  if (!file) throw new InternalError('run() needs a program');
  const secrets = [...(options.secrets ?? [])];
  if (Buffer.isBuffer(options.input) && !secrets.includes(options.input)) secrets.push(options.input);
  const env = { PATH: DEFAULT_PATH, LANG: 'C', LC_ALL: 'C', ...options.env };
  assertNoSecretIn('arguments', argv, secrets);
  assertNoSecretIn('environment', Object.values(env), secrets);
  const command = redact(argv.map(quoteArg).join(' '), secrets);
  return { argv, file, args, env, secrets, command, started: process.hrtime.bigint() };
}

const elapsedMs = (prepared: Prepared) => Number(process.hrtime.bigint() - prepared.started) / 1e6;

/** The RunResult, thrown as a CommandFailedError when the command failed (unless reject: false). */
function finish(prepared: Prepared, outcome: Outcome, options: RunOptions): RunResult {
  const { secrets } = prepared;
  const { spawnError } = outcome;
  const stdout = redact(outcome.stdout.toString('utf8'), secrets);
  const failed = spawnError !== undefined || outcome.exitCode !== 0;
  const result: RunResult = {
    command: prepared.command,
    argv: prepared.argv.map((arg) => redact(arg, secrets)),
    exitCode: spawnError ? null : outcome.exitCode,
    signal: outcome.signal,
    stdout,
    // Raw bytes are only handed back when there is nothing secret they could contain.
    stdoutBytes: secrets.length === 0 ? outcome.stdout : Buffer.from(stdout),
    stderr: redact(outcome.stderr.toString('utf8'), secrets),
    durationMs: elapsedMs(prepared),
    failed,
    timedOut: outcome.timedOut,
    ...(spawnError ? { spawnError } : {}),
  };
  if (failed && options.reject !== false) throw new CommandFailedError(result);
  return result;
}

export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const prepared = prepare(argv, options);
  return new Promise((resolve, reject) => {
    const child = spawn(prepared.file, prepared.args, {
      env: prepared.env,
      cwd: options.cwd,
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    // A child that exits without reading stdin makes the write fail with EPIPE; that is not our failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');

    child.on('close', (exitCode, signal) => {
      const timedOut = options.timeoutMs !== undefined && signal === 'SIGKILL' && elapsedMs(prepared) >= options.timeoutMs;
      try {
        resolve(finish(prepared, { exitCode, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut, spawnError }, options));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/**
 * A runner with run()'s signature and results that starts programs through the addon's spawn
 * (posix_spawn) instead of child_process. The child runs to its end inside the call, blocking the
 * event loop meanwhile: meant for the boot stage, which runs one command at a time anyway.
 */
export function nativeRunner(sys: Pick<NativeSys, 'spawn'>): (argv: readonly string[], options?: RunOptions) => Promise<RunResult> {
  return (argv, options = {}) => {
    const prepared = prepare(argv, options);
    // Inside the executor, a CommandFailedError (or an addon's TypeError) becomes the rejection.
    return new Promise((resolve) => resolve(finish(prepared, spawnNatively(sys, prepared, options), options)));
  };
}

function spawnNatively(sys: Pick<NativeSys, 'spawn'>, prepared: Prepared, options: RunOptions): Outcome {
  const program = findProgram(prepared.file, prepared.env.PATH);
  if (program === undefined) return notStarted(prepared, 'ENOENT', os.constants.errno.ENOENT);
  const input = options.input === undefined ? null : Buffer.isBuffer(options.input) ? options.input : Buffer.from(options.input);
  const env = Object.entries(prepared.env).map(([name, value]) => `${name}=${value}`);
  try {
    const child = sys.spawn(program, prepared.args, env, input, options.timeoutMs ?? 0, options.cwd ?? null);
    const signal = child.signal as NodeJS.Signals | null;
    // As run() tells it: timed out means killed by the timer, not exited just before it fired.
    return { exitCode: child.status, signal, stdout: child.stdout, stderr: child.stderr, timedOut: child.timedOut && signal === 'SIGKILL' };
  } catch (error) {
    const { syscall, code, errno } = error as NodeJS.ErrnoException;
    if (syscall !== 'posix_spawn' || code === undefined || errno === undefined) throw error;
    return notStarted(prepared, code, errno);
  }
}

/** A program that could not be started, with the spawnError child_process gives for it. */
function notStarted(prepared: Prepared, code: string, errno: number): Outcome {
  const { file, args } = prepared;
  const spawnError = Object.assign(new Error(`spawn ${file} ${code}`), {
    errno: -Math.abs(errno),
    code,
    syscall: `spawn ${file}`,
    path: file,
    spawnargs: [...args],
  });
  return { exitCode: null, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false, spawnError };
}

/**
 * The program to start for `file`, as child_process finds it: `file` itself when it holds a slash,
 * else the first executable regular file of that name in a directory of `searchPath` (the child's
 * PATH). Only absolute directories are searched: an empty or relative entry would mean the working
 * directory, which a boot stage has no business running programs from.
 */
export function findProgram(file: string, searchPath: string | undefined): string | undefined {
  if (file.includes('/')) return file;
  for (const dir of (searchPath ?? '').split(':')) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, file);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
