// `oroot secret encrypt` end to end through the built CLI, checked against OpenSSL, and the
// `oroot cfgdisk` refusals that happen before any tool runs. (Image building: integration.)
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/machine.js';

const MASTER = Buffer.alloc(32, 0x5a);
let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('oroot-cli-'));
  writeFileSync(path.join(dir, 'master.key'), MASTER, { mode: 0o600 });
  writeFileSync(path.join(dir, 'master.b64'), `${MASTER.toString('base64')}\n`, { mode: 0o600 });
});
afterAll(() => cleanup());

function opensslDecrypt(line: string): string {
  const [, enc, iv] = /^pass_enc=([A-Za-z0-9+/=]+),pass_iv=([A-Za-z0-9+/=]+)\n$/.exec(line)!;
  const args = ['enc', '-d', '-aes-256-cbc', '-a', '-A', '-K', MASTER.toString('hex'), '-iv', Buffer.from(iv!, 'base64').toString('hex')];
  return execFileSync('openssl', args, { input: enc }).toString();
}

describe('oroot secret encrypt', () => {
  it('prints pass_enc/pass_iv that OpenSSL decrypts, with a fresh IV each run', async () => {
    const first = await runCli(['secret', 'encrypt', '--master-key', path.join(dir, 'master.key')], { input: 'long passphrase' });
    const second = await runCli(['secret', 'encrypt', '-m', path.join(dir, 'master.b64'), '--master-key-format', 'base64'], { input: 'long passphrase' });
    expect([first.exitCode, second.exitCode, first.stderr, second.stderr]).toEqual([0, 0, '', '']);
    expect(opensslDecrypt(first.stdout)).toBe('long passphrase');
    expect(opensslDecrypt(second.stdout)).toBe('long passphrase');
    expect(first.stdout).not.toBe(second.stdout);
  });

  it('explains a master key of the wrong size', async () => {
    const result = await runCli(['secret', 'encrypt', '-m', path.join(dir, 'master.b64')], { input: 'x' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/^oroot: master key: a master key must be exactly 32 bytes, this one has 45\noroot: It looks base64-encoded/);
  });

  it('never takes the secret from argv', async () => {
    const result = await runCli(['secret', 'encrypt', '-m', path.join(dir, 'master.key'), '--input', 'pass:hunter2']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).not.toContain('hunter2');
  });
});

describe('oroot cfgdisk refusals', () => {
  it('--key-file only with crypt mode, and nothing is written', async () => {
    const image = path.join(dir, 'no.img');
    const result = await runCli(['cfgdisk', '-o', image, '-c', 'tmpfs', '--key-file', path.join(dir, 'master.key')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe('oroot: --key-file is for crypt mode; --config is tmpfs mode');
    expect(existsSync(image)).toBe(false);
  });

  it('a master key beside its ciphertext is refused', async () => {
    const result = await runCli(['cfgdisk', '-o', path.join(dir, 'm.img'), '-c', 'crypt:dev=/dev/xvdb,pass_enc=q83vEjRWeJCrze8SNFZ4kA==,pass_iv=AAECAwQFBgcICQoLDA0ODw==,masterkey=master.key']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe('oroot: masterkey= points at the config disk: a master key stored beside its ciphertext protects nothing');
  });

  it('a relative keyfile= needs --key-file', async () => {
    const result = await runCli(['cfgdisk', '-o', path.join(dir, 'k.img'), '-c', 'crypt:dev=/dev/xvdb,keyfile=data.key']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe('oroot: keyfile=data.key names a file on the config disk, but no --key-file was given to put there');
  });

  it('bad --label and --size', async () => {
    const label = await runCli(['cfgdisk', '-o', path.join(dir, 'l.img'), '-c', 'tmpfs', '--label', 'MUCH-TOO-LONG-LABEL']);
    expect(label.stderr.split('\n')[0]).toBe('oroot: --label must be 1 to 16 letters, digits or _.+@:- (an ext4 label), not `MUCH-TOO-LONG-LABEL`');
    const size = await runCli(['cfgdisk', '-o', path.join(dir, 's.img'), '-c', 'tmpfs', '--size', '4T']);
    expect(size.stderr.split('\n')[0]).toBe('oroot: --size must be a size such as 4M, 512K or 1G, not `4T`');
    const small = await runCli(['cfgdisk', '-o', path.join(dir, 's.img'), '-c', 'tmpfs', '--size', '100K']);
    expect(small.stderr.split('\n')[0]).toBe('oroot: --size must be from 1M to 1G, not 102400 bytes');
    expect([label.exitCode, size.exitCode, small.exitCode]).toEqual([2, 2, 2]);
  });

  it('documents itself', async () => {
    const help = await runCli(['cfgdisk', '--help']);
    expect(help.stdout).toContain('--key-file <FILE|-|fd:N>');
    expect(help.stdout).toContain('overlayroot_cfgdisk=LABEL=OROOTCFG');
  });
});
