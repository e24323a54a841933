// loadKey: every KeyRef form loaded through a fixture Host, and the AES-256-CBC scheme checked
// against OpenSSL's own command line tool (the form QEMU documents for its secret objects).
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError, InternalError } from '../../src/errors.js';
import { loadKey, readConfig, parseOverlayrootValue, forgetConfigDiskFiles } from '../../src/overlayroot/config/index.js';
import { rememberConfigDiskFile, configDiskFile } from '../../src/overlayroot/config/cfgdisk-store.js';
import { encryptedPassOption } from '../../src/overlayroot/config/pass-enc.js';
import type { KeyRef } from '../../src/overlayroot/config/types.js';
import { createHost, type Host } from '../../src/system/host.js';
import { memoryLogger } from '../../src/system/log.js';
import { Secret } from '../../src/system/secret.js';
import { tempDir } from '../helpers/machine.js';
import { writeTree } from '../helpers/fixture-tree.js';

const MASTER = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
let root: string;
let cleanup: () => void;
let log: ReturnType<typeof memoryLogger>;
let host: Host;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir('oroot-keys-'));
  log = memoryLogger();
  host = createHost({ root, log });
});
afterEach(() => {
  cleanup();
  forgetConfigDiskFiles();
});

function keyOf(value: string, keys: Parameters<typeof parseOverlayrootValue>[2] = { origin: 'cmdline' }): KeyRef {
  const config = parseOverlayrootValue(value, 'test', keys);
  if (config.mode !== 'crypt') throw new Error('not crypt');
  return config.crypt.key;
}
const load = (key: KeyRef, rootmnt = '/root') => loadKey(host, key, { rootmnt });
const text = async (key: KeyRef, rootmnt?: string) => (await load(key, rootmnt)).reveal().toString('utf8');

describe('clear-text pass=', () => {
  it('returns a copy the caller may wipe', async () => {
    const key = keyOf('crypt:dev=/dev/vdb,pass=a=b');
    const loaded = await load(key);
    loaded.wipe();
    expect(key.kind === 'passphrase' && key.secret.reveal().toString()).toBe('a=b');
  });
});

describe('keyfile=', () => {
  it('reads raw bytes exactly as cryptsetup --key-file would (trailing newline included)', async () => {
    writeTree(root, { '/root/etc/oroot/data.key': 'line\n' }, 0o600);
    expect(await text(keyOf('crypt:dev=/dev/vdb,keyfile=/etc/oroot/data.key'))).toBe('line\n');
    expect(log.events.filter((e) => e.level === 'warn')).toEqual([]);
  });

  it('decodes base64 strictly', async () => {
    writeTree(root, { '/root/etc/k.b64': `${Buffer.from('0123456789abcdef').toString('base64')}\n`, '/root/etc/bad.b64': 'ab$cd===\n' }, 0o600);
    expect(await text(keyOf('crypt:dev=/dev/vdb,keyfile=/etc/k.b64,keyfile_format=base64'))).toBe('0123456789abcdef');
    await expect(load(keyOf('crypt:dev=/dev/vdb,keyfile=/etc/bad.b64,keyfile_format=base64'))).rejects.toThrow(
      'key file (keyfile= from test): /etc/bad.b64 on the root filesystem: is not valid base64',
    );
  });

  it('warns (without the key) when the file is readable by others', async () => {
    writeTree(root, { '/root/etc/open.key': 'hunter2-hunter2' }, 0o644);
    await load(keyOf('crypt:dev=/dev/vdb,keyfile=/etc/open.key'));
    const warnings = log.events.filter((e) => e.level === 'warn').map((e) => e.message);
    expect(warnings).toEqual(['key file (keyfile= from test): /etc/open.key on the root filesystem is accessible by group or others (mode 0644); chmod 600 it']);
  });

  it('names a missing file and where it was looked for', async () => {
    const error = await load(keyOf('crypt:dev=/dev/vdb,keyfile=/etc/none.key')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe('key file (keyfile= from test): /etc/none.key on the root filesystem: does not exist');
  });

  it('refuses an empty key file', async () => {
    writeTree(root, { '/root/etc/empty.key': '' }, 0o600);
    await expect(load(keyOf('crypt:dev=/dev/vdb,keyfile=/etc/empty.key'))).rejects.toThrow(/: is empty$/);
  });

  it('reads initramfs paths from the initramfs, not from under rootmnt', async () => {
    writeTree(root, { '/conf/conf.d/keys/k': 'initramfs-key' }, 0o400);
    const key = keyOf('crypt:dev=/dev/vdb,keyfile=keys/k', { origin: 'initramfs', dir: '/conf/conf.d' });
    expect(await text(key)).toBe('initramfs-key');
  });

  it('resolves a relative path in /etc/overlayroot.conf against the root /etc (end to end)', async () => {
    writeTree(root, { '/root/etc/overlayroot.conf': 'overlayroot="crypt:dev=/dev/vdb,keyfile=oroot/data.key"\n' });
    writeTree(root, { '/root/etc/oroot/data.key': 'root-key' }, 0o400);
    const config = await readConfig(host, { rootmnt: '/root', cmdline: '' });
    expect(config.mode === 'crypt' && (await text(config.crypt.key))).toBe('root-key');
  });
});

describe('keys kept from the config disk', () => {
  it('are served from the store while it holds them, and wiped by forgetConfigDiskFiles', async () => {
    const key = keyOf('crypt:dev=/dev/vdb,keyfile=overlayroot.key', { origin: 'cfgdisk', dir: '/' });
    const bytes = Buffer.from('disk-key');
    rememberConfigDiskFile('/overlayroot.key', bytes, 0o400);
    expect(await text(key)).toBe('disk-key');
    expect(configDiskFile('/overlayroot.key')?.bytes.toString()).toBe('disk-key'); // loadKey took a copy
    forgetConfigDiskFiles();
    expect(bytes.equals(Buffer.alloc(8))).toBe(true);
    await expect(load(key)).rejects.toThrow('key file (keyfile= from test): /overlayroot.key on the config disk: was not read while the config disk was mounted');
  });
});

describe('pass_enc= (AES-256-CBC under a master key)', () => {
  const passphrase = 'correct horse battery staple';

  it('round-trips what `oroot secret encrypt` makes', async () => {
    writeTree(root, { '/root/etc/oroot/master.key': MASTER }, 0o400);
    const option = encryptedPassOption(Secret.fromString(passphrase), new Secret(Buffer.from(MASTER)));
    expect(option).toMatch(/^pass_enc=[A-Za-z0-9+/=]+,pass_iv=[A-Za-z0-9+/=]{22}==$/);
    expect(await text(keyOf(`crypt:dev=/dev/vdb,${option},masterkey=/etc/oroot/master.key`))).toBe(passphrase);
  });

  it('decrypts what `openssl enc -aes-256-cbc -K … -iv …` makes (QEMU secret-object form)', async () => {
    const iv = Buffer.from('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf', 'hex');
    const ciphertext = execFileSync('openssl', ['enc', '-aes-256-cbc', '-a', '-A', '-K', MASTER.toString('hex'), '-iv', iv.toString('hex')], { input: passphrase }).toString().trim();
    writeTree(root, { '/root/etc/master.b64': `${MASTER.toString('base64')}\n` }, 0o600);
    const key = keyOf(`crypt:dev=/dev/vdb,pass_enc=${ciphertext},pass_iv=${iv.toString('base64')},masterkey=/etc/master.b64,masterkey_format=base64`);
    expect(await text(key)).toBe(passphrase);
  });

  it('and OpenSSL decrypts what oroot encrypts', () => {
    const option = encryptedPassOption(Secret.fromString(passphrase), new Secret(Buffer.from(MASTER)));
    const [, enc, iv] = /^pass_enc=(.+),pass_iv=(.+)$/.exec(option)!;
    const plain = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-a', '-A', '-K', MASTER.toString('hex'), '-iv', Buffer.from(iv!, 'base64').toString('hex')], { input: enc });
    expect(plain.toString()).toBe(passphrase);
  });

  it('uses a fresh IV every time', () => {
    const make = () => encryptedPassOption(Secret.fromString(passphrase), new Secret(Buffer.from(MASTER)));
    expect(make()).not.toBe(make());
  });

  it('reports a wrong master key without showing anything secret', async () => {
    const option = encryptedPassOption(Secret.fromString(passphrase), new Secret(Buffer.from(MASTER)));
    writeTree(root, { '/root/etc/other.key': Buffer.alloc(32, 7) }, 0o400);
    const error = (await load(keyOf(`crypt:dev=/dev/vdb,${option},masterkey=/etc/other.key`)).catch((e: unknown) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe('encrypted passphrase (pass_enc= from test): could not decrypt the passphrase: wrong master key, wrong IV or damaged ciphertext');
    expect(error.message).not.toContain(passphrase);
  });

  it('says when a master key looks base64 but was read raw', async () => {
    writeTree(root, { '/root/etc/master.b64': `${MASTER.toString('base64')}\n` }, 0o400);
    const option = encryptedPassOption(Secret.fromString(passphrase), new Secret(Buffer.from(MASTER)));
    const error = (await load(keyOf(`crypt:dev=/dev/vdb,${option},masterkey=/etc/master.b64`)).catch((e: unknown) => e)) as InputError;
    expect(error.message).toBe('/etc/master.b64 on the root filesystem (masterkey= from test): a master key must be exactly 32 bytes, this one has 45');
    expect(error.hint).toMatch(/masterkey_format=base64/);
  });
});

describe('a generated key', () => {
  it('is not loadKey’s job', async () => {
    await expect(load(keyOf('crypt:dev=/dev/vdb'))).rejects.toBeInstanceOf(InternalError);
  });
});
