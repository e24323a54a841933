// nativeRunner() around a stand-in for the addon's spawn: what it hands the addon (path, argv,
// environment, the caller's own input Buffer) and how it turns the addon's answers into run()'s
// RunResult and CommandFailedError; and the PATH lookup it does first. The addon itself, with real programs, is proven in test/integration/native-spawn.test.ts.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InternalError } from '../../src/errors.js';
import type { NativeSpawnResult, NativeSys } from '../../src/system/native.js';
import { CommandFailedError, DEFAULT_PATH, findProgram, nativeRunner } from '../../src/system/spawn.js';
import { tempDir } from '../helpers/machine.js';

let work: ReturnType<typeof tempDir>;
let bin: string;
let otherBin: string;

beforeAll(() => {
  work = tempDir('oroot-native-runner-');
  bin = path.join(work.dir, 'bin');
  otherBin = path.join(work.dir, 'other-bin');
  const file = (name: string, mode: number) => {
    mkdirSync(path.dirname(name), { recursive: true });
    writeFileSync(name, '#!/bin/sh\n');
    chmodSync(name, mode);
  };
  file(path.join(bin, 'tool'), 0o755);
  file(path.join(bin, 'plain'), 0o644);
  file(path.join(otherBin, 'plain'), 0o755);
  mkdirSync(path.join(bin, 'dir'));
  file(path.join(otherBin, 'dir'), 0o755);
});

afterAll(() => work.cleanup());

type SpawnCall = Parameters<NativeSys['spawn']>;

/** A stand-in spawn that records its calls and answers with `answer` (or throws what it throws). */
function fakeSys(answer: (...call: SpawnCall) => Partial<NativeSpawnResult> = () => ({})) {
  const calls: SpawnCall[] = [];
  const sys: Pick<NativeSys, 'spawn'> = {
    spawn: (...call) => {
      calls.push(call);
      return { status: 0, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false, ...answer(...call) };
    },
  };
  return { calls, run: nativeRunner(sys) };
}

/** The errors the addon throws when posix_spawn fails. */
const startFailure = (code: string, errno: number) =>
  Object.assign(new Error(`posix_spawn(2): ${code}`), { code, errno, syscall: 'posix_spawn' });

describe('findProgram', () => {
  it('takes a path with a slash as it is, without looking', () => {
    expect(findProgram('/nonexistent/tool', `${bin}`)).toBe('/nonexistent/tool');
    expect(findProgram('./tool', `${bin}`)).toBe('./tool');
  });

  it('finds a bare name in the first directory of PATH that has it as an executable regular file', () => {
    expect(findProgram('tool', `/nonexistent:${bin}:${otherBin}`)).toBe(path.join(bin, 'tool'));
    expect(findProgram('plain', `${bin}:${otherBin}`)).toBe(path.join(otherBin, 'plain'));
    expect(findProgram('dir', `${bin}:${otherBin}`)).toBe(path.join(otherBin, 'dir'));
  });

  it('skips empty and relative PATH entries, which would mean the working directory', () => {
    expect(findProgram('tool', `:.:bin:${path.relative(process.cwd(), bin)}`)).toBeUndefined();
  });

  it('finds nothing without a PATH, or when no directory has the program', () => {
    expect(findProgram('tool', undefined)).toBeUndefined();
    expect(findProgram('oroot-no-such-program', `${bin}:${otherBin}`)).toBeUndefined();
  });
});

describe('nativeRunner', () => {
  it('hands the addon the program found in PATH, argv, the minimal environment and no input', async () => {
    const { calls, run } = fakeSys();
    await run(['tool', '--flag', 'value'], { env: { PATH: bin, EXTRA: 'yes' } });
    expect(calls).toEqual([[path.join(bin, 'tool'), ['--flag', 'value'], [`PATH=${bin}`, 'LANG=C', 'LC_ALL=C', 'EXTRA=yes'], null, 0, null]]);
  });

  it('passes the caller’s own input Buffer, not a copy, and a string as its UTF-8 bytes', async () => {
    const { calls, run } = fakeSys();
    const key = Buffer.from('correct horse battery staple');
    await run(['/bin/cat'], { input: key, timeoutMs: 500, cwd: '/tmp' });
    await run(['/bin/cat'], { input: 'text ü' });
    expect(calls[0]![3]).toBe(key);
    expect(calls[0]!.slice(4)).toEqual([500, '/tmp']);
    expect(calls[1]![3]).toEqual(Buffer.from('text ü'));
    expect(calls[1]![2]).toEqual([`PATH=${DEFAULT_PATH}`, 'LANG=C', 'LC_ALL=C']);
  });

  it('builds the same RunResult as run() for a success', async () => {
    const { run } = fakeSys(() => ({ stdout: Buffer.from('hello\n'), stderr: Buffer.from('note\n') }));
    const result = await run(['/bin/echo', 'hello world']);
    expect(result).toMatchObject({
      command: "/bin/echo 'hello world'",
      argv: ['/bin/echo', 'hello world'],
      exitCode: 0,
      signal: null,
      stdout: 'hello\n',
      stdoutBytes: Buffer.from('hello\n'),
      stderr: 'note\n',
      failed: false,
      timedOut: false,
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.spawnError).toBeUndefined();
  });

  it('throws a CommandFailedError for a failure, or returns it with reject: false', async () => {
    const { run } = fakeSys(() => ({ status: 3, stderr: Buffer.from('oops\n') }));
    const error = await run(['/bin/false']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error).toMatchObject({ exitCode: 3, failed: true, message: 'Failed with exit code 3: /bin/false\noops' });
    await expect(run(['/bin/false'], { reject: false })).resolves.toMatchObject({ exitCode: 3, failed: true });
  });

  it('redacts a secret the child echoes, in stdout, stdoutBytes, stderr and the message', async () => {
    const key = Buffer.from('correct horse battery staple');
    const { run } = fakeSys((_file, _args, _env, input) => ({ status: 1, stdout: input!, stderr: Buffer.concat([Buffer.from('bad key '), input!]) }));
    const error = (await run(['/bin/cat'], { input: key }).catch((e: unknown) => e)) as CommandFailedError;
    expect(error).toMatchObject({ stdout: '<redacted>', stderr: 'bad key <redacted>' });
    expect(error.stdoutBytes).toEqual(Buffer.from('<redacted>'));
    expect(error.message).not.toContain('correct horse');
  });

  it('refuses, before anything starts, a command without a program or with a secret in argv or env', () => {
    const { calls, run } = fakeSys();
    const key = Buffer.from('s3cr3t-passphrase');
    expect(() => run([])).toThrow(InternalError);
    expect(() => run(['echo', 's3cr3t-passphrase'], { secrets: [key] })).toThrow(/secret material in its arguments/);
    expect(() => run(['/bin/true'], { secrets: [key], env: { KEY: 's3cr3t-passphrase' } })).toThrow(/environment/);
    expect(calls).toEqual([]);
  });

  it('reports a program not found in PATH as ENOENT without calling the addon', async () => {
    const { calls, run } = fakeSys();
    const result = await run(['oroot-no-such-program', 'arg'], { reject: false, env: { PATH: bin } });
    expect(calls).toEqual([]);
    expect(result).toMatchObject({ failed: true, exitCode: null, signal: null, stdout: '', stderr: '' });
    // Shaped as child_process reports it.
    expect(result.spawnError).toBeInstanceOf(Error);
    expect({ ...result.spawnError, message: result.spawnError!.message }).toEqual({
      message: 'spawn oroot-no-such-program ENOENT',
      errno: -2,
      code: 'ENOENT',
      syscall: 'spawn oroot-no-such-program',
      path: 'oroot-no-such-program',
      spawnargs: ['arg'],
    });
    await expect(run(['oroot-no-such-program'])).rejects.toThrow(/^Command not found: oroot-no-such-program$/);
  });

  it('reports a posix_spawn failure as spawnError, and lets any other error of the addon through', async () => {
    const denied = fakeSys(() => {
      throw startFailure('EACCES', 13);
    });
    const result = await denied.run(['/etc/passwd'], { reject: false });
    expect(result).toMatchObject({ exitCode: null, spawnError: { code: 'EACCES', errno: -13, syscall: 'spawn /etc/passwd' } });
    await expect(denied.run(['/etc/passwd'])).rejects.toThrow(/^Failed to start \(EACCES\): \/etc\/passwd$/);

    const broken = fakeSys(() => {
      throw new TypeError('spawn: env[0] must be a string without NUL characters');
    });
    await expect(broken.run(['/bin/true'], { reject: false })).rejects.toThrow(TypeError);
  });

  it('reports a timeout only for a child the timer killed', async () => {
    const killed = fakeSys(() => ({ status: null, signal: 'SIGKILL', timedOut: true }));
    const result = await killed.run(['/bin/sleep', '5'], { timeoutMs: 100, reject: false });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null, failed: true });
    await expect(killed.run(['/bin/sleep', '5'], { timeoutMs: 100 })).rejects.toThrow(/^Timed out: /);

    // Exited on its own just as the timer fired: as child_process tells it, not a timeout.
    const exited = fakeSys(() => ({ status: 0, signal: null, timedOut: true }));
    await expect(exited.run(['/bin/true'], { timeoutMs: 100 })).resolves.toMatchObject({ timedOut: false, failed: false });
  });

  it('reports a signal by name', async () => {
    const { run } = fakeSys(() => ({ status: null, signal: 'SIGTERM' }));
    await expect(run(['/bin/true'])).rejects.toThrow(/^Killed by SIGTERM: /);
  });
});
