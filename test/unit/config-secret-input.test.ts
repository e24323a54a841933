// src/system/secret-input.ts: secrets from files, file descriptors and stdin, never argv.
import { openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/errors.js';
import { decodeSecret, parseSecretSource, readSecret, MAX_SECRET_BYTES } from '../../src/system/secret-input.js';
import { encryptSecret } from '../../src/system/secret-cipher.js';
import { memoryLogger } from '../../src/system/log.js';
import { Secret } from '../../src/system/secret.js';
import { tempDir } from '../helpers/machine.js';
import { writeTree } from '../helpers/fixture-tree.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('oroot-secret-')));
afterEach(() => cleanup());

describe('parseSecretSource', () => {
  it('knows stdin, file descriptors and files', () => {
    expect(parseSecretSource('-', '--key-file')).toEqual({ kind: 'stdin' });
    expect(parseSecretSource('fd:7', '--key-file')).toEqual({ kind: 'fd', fd: 7 });
    expect(parseSecretSource('./k', '--key-file')).toEqual({ kind: 'file', path: './k' });
  });

  it('refuses a secret written on the command line', () => {
    for (const text of ['pass:hunter2', 'env:KEY', 'data:abc']) {
      const error = (() => {
        try {
          parseSecretSource(text, '--key-file');
        } catch (e) {
          return e as UsageError;
        }
      })();
      expect(error).toBeInstanceOf(UsageError);
      expect(error?.message).toBe('--key-file takes a file, fd:N or - (stdin), never the secret itself');
      expect(error?.message).not.toContain('hunter2');
    }
    expect(() => parseSecretSource('', '--input')).toThrow('--input needs a file name, fd:N or -');
  });
});

describe('readSecret', () => {
  it('reads stdin', async () => {
    const secret = await readSecret({ kind: 'stdin' }, { what: 'key', stdin: Readable.from([Buffer.from('from '), Buffer.from('stdin')]) });
    expect(secret.reveal().toString()).toBe('from stdin');
  });

  it('reads an inherited file descriptor', async () => {
    writeTree(dir, { '/fd.key': 'from an fd' }, 0o600);
    const fd = openSync(path.join(dir, 'fd.key'), 'r');
    try {
      expect((await readSecret({ kind: 'fd', fd }, { what: 'key' })).reveal().toString()).toBe('from an fd');
    } finally {
      closeSync(fd);
    }
  });

  it('reads base64 and refuses what Node alone would silently accept', async () => {
    const stdin = (text: string) => Readable.from([Buffer.from(text)]);
    expect((await readSecret({ kind: 'stdin' }, { what: 'key', format: 'base64', stdin: stdin('aGVsbG8=\n') })).reveal().toString()).toBe('hello');
    await expect(readSecret({ kind: 'stdin' }, { what: 'key', format: 'base64', stdin: stdin('aGV$sbG8=') })).rejects.toThrow('key (stdin): is not valid base64');
    expect(() => decodeSecret(Buffer.from('abc'), 'base64', 'x')).toThrow(InputError);
  });

  it('refuses oversized and empty input', async () => {
    const big = Readable.from([Buffer.alloc(MAX_SECRET_BYTES + 1)]);
    await expect(readSecret({ kind: 'stdin' }, { what: 'key', stdin: big })).rejects.toThrow(`key (stdin): is larger than ${MAX_SECRET_BYTES} bytes; that is not a key`);
    await expect(readSecret({ kind: 'stdin' }, { what: 'key', stdin: Readable.from([]) })).rejects.toThrow('key (stdin): is empty');
  });

  it('warns about a group-readable file, and refuses a symlink when asked', async () => {
    writeTree(dir, { '/open.key': 'k' }, 0o640);
    const log = memoryLogger();
    await readSecret({ kind: 'file', path: path.join(dir, 'open.key') }, { what: 'key file', log });
    expect(log.events.map((e) => e.message)).toEqual([`key file ${dir}/open.key is accessible by group or others (mode 0640); chmod 600 it`]);
    const { symlinkSync } = await import('node:fs');
    symlinkSync(path.join(dir, 'open.key'), path.join(dir, 'link.key'));
    await expect(readSecret({ kind: 'file', path: path.join(dir, 'link.key') }, { what: 'key file', noFollow: true })).rejects.toThrow(
      'is a symbolic link, which is not followed here',
    );
  });

  it('decrypts with a master key', async () => {
    const master = new Secret(Buffer.alloc(32, 9));
    const { ciphertext, iv } = encryptSecret(Secret.fromString('inner'), master);
    const secret = await readSecret({ kind: 'stdin' }, { what: 'passphrase', stdin: Readable.from([ciphertext]), decrypt: { masterKey: master, iv } });
    expect(secret.reveal().toString()).toBe('inner');
  });
});
