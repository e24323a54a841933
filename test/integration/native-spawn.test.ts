// The addon's process runner (native/oroot_sys.c) with real programs, loaded into the test runner's
// own Node.js: first its spawn() as the addon gives it, then nativeRunner() through RunResult and
// CommandFailedError, and last the same commands through child_process's run() and the native
// runner, which must report them alike.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeSys } from '../../src/system/native.js';
import { CommandFailedError, DEFAULT_PATH, nativeRunner, run, type RunOptions, type RunResult } from '../../src/system/spawn.js';
import { tempDir } from '../helpers/machine.js';
import { buildAndLoadAddon, thrown, typeErrorOf } from '../helpers/native-addon.js';

const MiB = 1 << 20;

let sys: NativeSys;
let runNative: ReturnType<typeof nativeRunner>;
let work: ReturnType<typeof tempDir>;
/** A file without execute permission, for EACCES. */
let notExecutable: string;

beforeAll(() => {
  sys = buildAndLoadAddon();
  runNative = nativeRunner(sys);
  work = tempDir('oroot-native-spawn-');
  notExecutable = path.join(work.dir, 'not-executable');
  writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
});

afterAll(() => work?.cleanup());

const sh = (script: string, input: Buffer | null = null, timeoutMs = 0) => sys.spawn('/bin/sh', ['-c', script], [], input, timeoutMs);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const timed = <T>(call: () => T): [T, number] => {
  const started = performance.now();
  const value = call();
  return [value, performance.now() - started];
};

describe('spawn', () => {
  it('reports the exit status, zero or not', () => {
    expect(sys.spawn('/bin/true', [], [], null, 0)).toMatchObject({ status: 0, signal: null, timedOut: false });
    expect(sh('exit 7')).toMatchObject({ status: 7, signal: null, timedOut: false });
  });

  it('captures stdout and stderr separately, as Buffers', () => {
    const result = sh('printf out; printf err >&2; printf more');
    expect(result.stdout).toEqual(Buffer.from('outmore'));
    expect(result.stderr).toEqual(Buffer.from('err'));
  });

  it('passes the arguments as given, after the program path as argv[0]', () => {
    const cmdline = sys.spawn('/bin/cat', ['/proc/self/cmdline'], [], null, 0);
    expect(cmdline.stdout.toString()).toBe('/bin/cat\0/proc/self/cmdline\0');
    const result = sys.spawn('/bin/sh', ['-c', 'printf "%s|" "$@"', 'sh', 'a b', '', "it's"], [], null, 0);
    expect(result.stdout.toString()).toBe("a b||it's|");
  });

  it('writes the input to the child’s stdin', () => {
    const input = randomBytes(100 * 1024);
    const result = sys.spawn('/usr/bin/sha256sum', [], [], input, 0);
    expect(result.stdout.toString().split(' ')[0]).toBe(sha256(input));
  });

  it('gives a child without input end of file at once', () => {
    expect(sys.spawn('/bin/cat', [], [], null, 0)).toMatchObject({ status: 0, stdout: Buffer.alloc(0) });
  });

  it('moves 4 MiB into stdin and out of stdout and stderr at the same time without a deadlock', () => {
    const input = randomBytes(4 * MiB);
    const result = sh('tee /dev/fd/2', input);
    expect(result.status).toBe(0);
    expect(sha256(result.stdout)).toBe(sha256(input));
    expect(sha256(result.stderr)).toBe(sha256(input));
  });

  it('is not disturbed by a child that never reads its 1 MiB of input, or stops reading early', () => {
    expect(sys.spawn('/bin/true', [], [], Buffer.alloc(MiB), 0)).toMatchObject({ status: 0, signal: null });
    const head = sys.spawn('/usr/bin/head', ['-c', '10'], [], Buffer.alloc(MiB, 'a'), 0);
    expect(head).toMatchObject({ status: 0, stdout: Buffer.from('aaaaaaaaaa') });
  });

  it('names the signal that killed the child, and then has no status', () => {
    expect(sh('kill -TERM $$')).toMatchObject({ status: null, signal: 'SIGTERM', timedOut: false });
    expect(sh('kill -SEGV $$')).toMatchObject({ status: null, signal: 'SIGSEGV' });
    // Node.js has no name for real-time signals (child_process reports them as exit code 0).
    expect(sh('kill -40 $$')).toMatchObject({ status: null, signal: 'SIG40' });
  });

  it('kills the child with SIGKILL at the timeout and keeps what it wrote before', () => {
    const [result, ms] = timed(() => sh('echo before; exec sleep 5', null, 200));
    expect(result).toMatchObject({ status: null, signal: 'SIGKILL', timedOut: true, stdout: Buffer.from('before\n') });
    expect(ms).toBeLessThan(3000);
  });

  it('times out a child that closed its output and runs on', () => {
    const [result, ms] = timed(() => sh('exec >&- 2>&-; exec sleep 5', null, 200));
    expect(result).toMatchObject({ signal: 'SIGKILL', timedOut: true });
    expect(ms).toBeLessThan(3000);
  });

  it('does not report a timeout for a child that ends in time', () => {
    expect(sh('exit 0', null, 10_000)).toMatchObject({ status: 0, timedOut: false });
  });

  it.each([
    ['ENOENT', 'a missing program', () => '/nonexistent/tool', 'No such file or directory'],
    ['EACCES', 'a file without execute permission', () => notExecutable, 'Permission denied'],
  ])('throws %s for %s', (code, _, file, text) => {
    const error = thrown(() => sys.spawn(file(), [], [], null, 0));
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code, errno: constants.errno[code as keyof typeof constants.errno], syscall: 'posix_spawn' });
    expect(error.message).toBe(`posix_spawn(2): ${text}`);
  });

  it('gives the child exactly the environment it is passed', () => {
    expect(sys.spawn('/usr/bin/env', [], ['A=1', 'B=two words', 'EMPTY='], null, 0).stdout.toString()).toBe('A=1\nB=two words\nEMPTY=\n');
    expect(sys.spawn('/usr/bin/env', [], [], null, 0).stdout.toString()).toBe('');
  });

  it('starts the child in `cwd` when given one', () => {
    const dir = realpathSync(work.dir);
    expect(sys.spawn('/bin/pwd', [], [], null, 0, dir).stdout.toString()).toBe(`${dir}\n`);
    expect(thrown(() => sys.spawn('/bin/pwd', [], [], null, 0, path.join(dir, 'missing')))).toMatchObject({ code: 'ENOENT' });
  });

  it('leaves the child no descriptor but 0, 1 and 2', () => {
    // ls lists the shell's descriptors ($$), so the one ls opens to read the directory is not among them.
    expect(sh('ls /proc/$$/fd').stdout.toString().split('\n').filter(Boolean).sort()).toEqual(['0', '1', '2']);
  });

  it('starts the child with no signal blocked, though this process blocks SIGPIPE meanwhile', () => {
    // The child reads its own mask and this process's (vitest runs the file on a process's main
    // thread, whose mask /proc/PID/status shows).
    const result = sys.spawn('/bin/grep', ['SigBlk', '/proc/self/status', `/proc/${process.pid}/status`], [], null, 0);
    const [child, parent] = result.stdout.toString().trim().split('\n').map((line) => BigInt(`0x${line.split(/\s+/).pop()}`));
    expect(child).toBe(0n);
    expect(parent! & (1n << BigInt(constants.signals.SIGPIPE - 1))).not.toBe(0n);
  });

  it('refuses wrong arguments with a TypeError before anything starts', () => {
    const spawn = sys.spawn as (...args: unknown[]) => unknown;
    expect(typeErrorOf(() => spawn(42, [], [], null, 0))).toBe('ERR_INVALID_ARG_TYPE: spawn: file must be a string');
    expect(typeErrorOf(() => spawn('/bin/true', 'x', [], null, 0))).toBe('ERR_INVALID_ARG_TYPE: spawn: args must be an array of strings');
    expect(typeErrorOf(() => spawn('/bin/true', ['a', 1], [], null, 0))).toBe('ERR_INVALID_ARG_TYPE: spawn: args[1] must be a string');
    expect(typeErrorOf(() => spawn('/bin/true', [], ['A=\0'], null, 0))).toBe('ERR_INVALID_ARG_VALUE: spawn: env[0] must be a string without NUL characters');
    expect(typeErrorOf(() => spawn('/bin/true', [], [], 'text', 0))).toBe('ERR_INVALID_ARG_TYPE: spawn: input must be a Buffer or null');
    expect(typeErrorOf(() => spawn('/bin/true', [], [], null, -1))).toBe('ERR_OUT_OF_RANGE: spawn: timeoutMs must be an integer from 0 to 2^32-1');
    expect(typeErrorOf(() => spawn('/bin/true', [], [], null, 0, 7))).toBe('ERR_INVALID_ARG_TYPE: spawn: cwd must be a string or null');
  });
});

describe('nativeRunner', () => {
  it('returns the result of a command that succeeds', async () => {
    const result = await runNative(['printf', '%s', 'hello world']);
    expect(result).toMatchObject({ failed: false, exitCode: 0, signal: null, stdout: 'hello world', command: "printf %s 'hello world'" });
    expect(result.stdoutBytes).toEqual(Buffer.from('hello world'));
  });

  it('throws a CommandFailedError that carries the whole result', async () => {
    const error = (await runNative(['sh', '-c', 'echo oops >&2; exit 3']).catch((e: unknown) => e)) as CommandFailedError;
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error).toMatchObject({ exitCode: 3, stderr: 'oops\n', failed: true });
    expect(error.message).toBe("Failed with exit code 3: sh -c 'echo oops >&2; exit 3'\noops");
  });

  it('feeds stdin and reads 4 MiB back', async () => {
    const input = randomBytes(4 * MiB);
    const result = await runNative(['sh', '-c', 'tee /dev/fd/2 | sha256sum'], { input: input.toString('base64') });
    expect(result.stdout.split(' ')[0]).toBe(sha256(Buffer.from(input.toString('base64'))));
    expect(result.stderr).toBe(input.toString('base64'));
  });

  it('does not fail when the child ignores its input', async () => {
    await expect(runNative(['true'], { input: Buffer.alloc(MiB) })).resolves.toMatchObject({ failed: false, exitCode: 0 });
  });

  it('reports a signal and a timeout as run() does', async () => {
    const killed = (await runNative(['sh', '-c', 'kill -TERM $$']).catch((e: unknown) => e)) as CommandFailedError;
    expect(killed).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: false });
    expect(killed.message).toMatch(/^Killed by SIGTERM: /);
    const started = performance.now();
    const late = (await runNative(['sleep', '5'], { timeoutMs: 200 }).catch((e: unknown) => e)) as CommandFailedError;
    expect(performance.now() - started).toBeLessThan(3000);
    expect(late).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: true });
    expect(late.message).toBe('Timed out: sleep 5');
  });

  it('reports a program it cannot start as spawnError, with exit code null', async () => {
    const missing = await runNative(['/nonexistent/tool'], { reject: false });
    expect(missing).toMatchObject({ failed: true, exitCode: null, signal: null, spawnError: { code: 'ENOENT' } });
    await expect(runNative(['/nonexistent/tool'])).rejects.toThrow(/^Command not found: \/nonexistent\/tool$/);
    await expect(runNative(['oroot-no-such-program'])).rejects.toThrow(/^Command not found: oroot-no-such-program$/);
    const denied = await runNative([notExecutable], { reject: false });
    expect(denied).toMatchObject({ exitCode: null, spawnError: { code: 'EACCES', syscall: `spawn ${notExecutable}` } });
    await expect(runNative([notExecutable])).rejects.toThrow(/^Failed to start \(EACCES\): /);
  });

  it('gives the child the minimal environment and options.env, never this process’s', async () => {
    process.env.OROOT_TEST_LEAK = 'leaked';
    try {
      const result = await runNative(['env'], { env: { EXTRA: 'yes' } });
      expect(result.stdout).toBe(`PATH=${DEFAULT_PATH}\nLANG=C\nLC_ALL=C\nEXTRA=yes\n`);
    } finally {
      delete process.env.OROOT_TEST_LEAK;
    }
  });

  it('looks a bare program name up in the child’s PATH', async () => {
    const bin = path.join(work.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'oroot-hello'), '#!/bin/sh\necho "hello from $0"\n');
    chmodSync(path.join(bin, 'oroot-hello'), 0o755);
    const result = await runNative(['oroot-hello'], { env: { PATH: `/nonexistent:${bin}` } });
    expect(result.stdout).toBe(`hello from ${bin}/oroot-hello\n`);
  });

  it('runs the child in options.cwd', async () => {
    const dir = realpathSync(work.dir);
    expect((await runNative(['pwd'], { cwd: dir })).stdout).toBe(`${dir}\n`);
  });
});

describe('run() and nativeRunner() report the same', () => {
  const key = Buffer.from('correct horse battery staple');
  const cases: [string, () => string[], RunOptions][] = [
    ['a success', () => ['printf', '%s\\n', 'hello', 'world'], {}],
    ['a failure with stderr', () => ['sh', '-c', 'echo out; echo oops >&2; exit 3'], {}],
    ['a secret on stdin that the child echoes back', () => ['sh', '-c', 'cat; cat >&2; echo " and more"; exit 1'], { input: key }],
    ['a string on stdin', () => ['tr', 'a-z', 'A-Z'], { input: 'shout\n' }],
    ['the environment', () => ['env'], { env: { EXTRA: 'yes' } }],
    ['a signal', () => ['sh', '-c', 'kill -TERM $$'], {}],
    ['a timeout', () => ['sleep', '5'], { timeoutMs: 200 }],
    ['a missing program', () => ['/nonexistent/tool', 'arg'], {}],
    ['a program not in PATH', () => ['oroot-no-such-program'], {}],
    ['a file without execute permission', () => [notExecutable], {}],
  ];
  // spawnError as its message and own fields: child_process makes it in Node's own realm, whose
  // Error.prototype is not the test's.
  const comparable = ({ durationMs: _, spawnError, ...rest }: RunResult) => ({
    ...rest,
    spawnError: spawnError && { ...spawnError, message: spawnError.message },
  });

  it.each(cases)('%s', async (_, argv, options) => {
    const viaChildProcess = await run(argv(), { ...options, reject: false });
    const viaAddon = await runNative(argv(), { ...options, reject: false });
    expect(comparable(viaAddon)).toEqual(comparable(viaChildProcess));
    if (options.input === key) expect(viaAddon.stdout).toBe('<redacted> and more\n');
    if (!viaChildProcess.failed) return;
    const message = async (pending: Promise<RunResult>) => ((await pending.catch((e: unknown) => e)) as CommandFailedError).message;
    expect(await message(runNative(argv(), options))).toBe(await message(run(argv(), options)));
  });
});
