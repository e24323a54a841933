// Running programs: never through a shell, arguments as an array, secrets only on stdin.
// One result shape for success and failure; the thrown error *is* that result.
import { spawn } from 'node:child_process';
import { InternalError, OrootError, ExitCode } from '../errors.js';

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

export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw new InternalError('run() needs a program');
  const secrets = [...(options.secrets ?? [])];
  if (Buffer.isBuffer(options.input) && !secrets.includes(options.input)) secrets.push(options.input);
  const env = { PATH: DEFAULT_PATH, LANG: 'C', LC_ALL: 'C', ...options.env };
  assertNoSecretIn('arguments', argv, secrets);
  assertNoSecretIn('environment', Object.values(env), secrets);

  const command = redact(argv.map(quoteArg).join(' '), secrets);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env,
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
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const rawStdout = Buffer.concat(out);
      const stdout = redact(rawStdout.toString('utf8'), secrets);
      // Raw bytes are only handed back when there is nothing secret they could contain.
      const stdoutBytes = secrets.length === 0 ? rawStdout : Buffer.from(stdout);
      const timedOut = options.timeoutMs !== undefined && signal === 'SIGKILL' && durationMs >= options.timeoutMs;
      const failed = spawnError !== undefined || exitCode !== 0;
      const result: RunResult = {
        command,
        argv: argv.map((arg) => redact(arg, secrets)),
        exitCode: spawnError ? null : exitCode,
        signal,
        stdout,
        stdoutBytes,
        stderr: redact(Buffer.concat(err).toString('utf8'), secrets),
        durationMs,
        failed,
        timedOut,
        ...(spawnError ? { spawnError } : {}),
      };
      if (failed && options.reject !== false) reject(new CommandFailedError(result));
      else resolve(result);
    });
  });
}
