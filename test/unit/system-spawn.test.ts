import { describe, expect, it } from 'vitest';
import { CommandFailedError, quoteArg, run } from '../../src/system/spawn.js';
import { Secret } from '../../src/system/secret.js';
import { inspect } from 'node:util';

describe('run', () => {
  it('returns stdout, exit code and a pasteable command on success', async () => {
    const result = await run(['printf', '%s', 'hello world']);
    expect(result.failed).toBe(false);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('hello world');
    expect(result.command).toBe("printf %s 'hello world'");
  });

  it('throws a CommandFailedError that carries the whole result', async () => {
    const error = await run(['sh', '-c', 'echo oops >&2; exit 3']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    const failed = error as CommandFailedError;
    expect(failed.exitCode).toBe(3);
    expect(failed.stderr).toBe('oops\n');
    expect(failed.message).toMatch(/^Failed with exit code 3: sh -c/);
    expect(failed.message).toContain('oops');
  });

  it('returns failures as values with reject: false', async () => {
    const result = await run(['false'], { reject: false });
    expect(result.failed).toBe(true);
    expect(result.exitCode).toBe(1);
  });

  it('reports a missing program clearly', async () => {
    const result = await run(['/nonexistent/tool'], { reject: false });
    expect(result.failed).toBe(true);
    expect(result.spawnError?.code).toBe('ENOENT');
    await expect(run(['/nonexistent/tool'])).rejects.toThrow(/^Command not found: \/nonexistent\/tool/);
  });

  it('feeds a secret on stdin and redacts it from everything it reports', async () => {
    const key = Buffer.from('correct horse battery staple');
    const error = (await run(['sh', '-c', 'cat; cat >&2; exit 1'], { input: key }).catch((e: unknown) => e)) as CommandFailedError;
    expect(error.stdout).toBe('<redacted>');
    expect(error.stderr).toBe('');
    expect(error.message).not.toContain('correct horse');
    expect(error.stdoutBytes.toString()).not.toContain('correct horse');
  });

  it('refuses to put a secret in argv or the environment', async () => {
    const key = Buffer.from('s3cr3t-passphrase');
    expect(() => run(['echo', 's3cr3t-passphrase'], { secrets: [key] })).toThrow(/secret material in its arguments/);
    expect(() => run(['true'], { secrets: [key], env: { KEY: 's3cr3t-passphrase' } })).toThrow(/environment/);
  });

  it('does not pass the parent environment on', async () => {
    process.env.OROOT_TEST_LEAK = 'leaked';
    const result = await run(['env']);
    delete process.env.OROOT_TEST_LEAK;
    expect(result.stdout).not.toContain('OROOT_TEST_LEAK');
    expect(result.stdout).toContain('LC_ALL=C');
  });

  it('kills a command that runs past its timeout', async () => {
    const result = await run(['sleep', '5'], { timeoutMs: 100, reject: false });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
  });
});

describe('quoteArg', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(quoteArg('/dev/vdb')).toBe('/dev/vdb');
    expect(quoteArg('a b')).toBe("'a b'");
    expect(quoteArg("it's")).toBe(`'it'\\''s'`);
    expect(quoteArg('')).toBe("''");
  });
});

describe('Secret', () => {
  it('never shows its bytes when printed, serialised or interpolated', () => {
    const secret = Secret.fromString('hunter2-hunter2');
    expect(`${secret}`).toBe('<redacted>');
    expect(JSON.stringify({ key: secret })).toBe('{"key":"<redacted>"}');
    expect(inspect({ key: secret })).not.toContain('hunter2');
    expect(secret.reveal().toString()).toBe('hunter2-hunter2');
    secret.wipe();
    expect(secret.reveal().every((byte) => byte === 0)).toBe(true);
  });
});
