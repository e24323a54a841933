// Error mapping against cryptsetup 2.6.1's real exit codes and stderr (test/fixtures/cryptsetup/runs).
import { describe, expect, it } from 'vitest';
import { CryptsetupError, cryptsetupError, explainedError, failureReason, type CryptsetupFailureReason, type FailureContext } from '../../src/cryptsetup-wrap/errors.js';
import { OrootError } from '../../src/errors.js';
import { recordedRun, resultOf } from '../helpers/cryptsetup-fixtures.js';

const recorded = (name: string) => recordedRun(`runs/${name}`);

const cases: Array<[fixture: string, context: FailureContext, reason: CryptsetupFailureReason, message: RegExp]> = [
  ['wrong-key-test-passphrase', { operation: 'open --test-passphrase', device: '/dev/vdb' }, 'wrong-key', /^the key does not open \/dev\/vdb \(cryptsetup: No key available with this passphrase\.\)$/],
  ['wrong-key-add-key', { operation: 'luksAddKey', device: '/dev/vdb' }, 'wrong-key', /^the key does not open \/dev\/vdb/],
  ['not-luks-dump', { operation: 'luksDump', device: '/dev/vdb' }, 'not-luks', /^\/dev\/vdb holds no LUKS header \(cryptsetup: Device .* is not a valid LUKS device\.\)$/],
  ['not-luks-test-passphrase', { operation: 'open --test-passphrase', device: '/dev/vdb' }, 'not-luks', /holds no LUKS header/],
  ['no-device-dump', { operation: 'luksDump', device: '/dev/vdc', deviceExists: false }, 'no-device', /^\/dev\/vdc does not exist \(cryptsetup: Device .* does not exist or access denied\.\)$/],
  ['no-device-isluks', { operation: 'isLuks', device: '/dev/vdc', deviceExists: false }, 'no-device', /does not exist/],
  ['no-device-format', { operation: 'luksFormat', device: '/dev/vdc', deviceExists: false }, 'no-device', /does not exist/],
  ['permission-dump-nonroot', { operation: 'luksDump', device: '/dev/vdb', deviceExists: true }, 'permission', /^permission denied: cryptsetup luksDump on \/dev\/vdb/],
  ['no-dm-open-luks', { operation: 'open', device: '/dev/vdb', name: 'secure' }, 'no-dm-crypt', /^cannot open \/dev\/mapper\/secure: the kernel lacks device-mapper\/dm-crypt \(cryptsetup: Cannot initialize device-mapper\. Is dm_mod kernel module loaded\?\)$/],
  ['no-dm-open-plain', { operation: 'open', device: '/dev/vdb', name: 'secure' }, 'no-dm-crypt', /kernel lacks device-mapper\/dm-crypt/],
  ['no-dm-close', { operation: 'close', name: 'secure' }, 'no-dm-crypt', /kernel lacks device-mapper/],
  ['no-dm-status', { operation: 'status', name: 'secure' }, 'no-dm-crypt', /kernel lacks device-mapper/],
  ['oom-format', { operation: 'luksFormat', device: '/dev/vdb' }, 'out-of-memory', /^not enough memory for cryptsetup luksFormat on \/dev\/vdb/],
  ['oom-test-passphrase', { operation: 'open --test-passphrase', device: '/dev/vdb' }, 'out-of-memory', /\(cryptsetup: Not enough available memory to open a keyslot\.\)$/],
  ['busy-format-mounted', { operation: 'luksFormat', device: '/dev/loop0' }, 'busy', /^\/dev\/loop0 is in use .*\(cryptsetup: Cannot exclusively open \/dev\/loop0, device in use\.\)$/],
  ['guest-busy-open-same-name', { operation: 'open', device: '/dev/vda', name: 'secure' }, 'busy', /^cannot open \/dev\/mapper\/secure: the name is already in use or \/dev\/vda is busy \(cryptsetup: Device secure already exists\.\)$/],
  ['guest-busy-close-in-use', { operation: 'close', name: 'secure' }, 'busy', /^cannot close \/dev\/mapper\/secure: .*\(cryptsetup: Device secure is still in use\.\)$/],
  ['guest-busy-format-mapped', { operation: 'luksFormat', device: '/dev/vda' }, 'busy', /^\/dev\/vda is in use/],
  ['unaligned-sector-format', { operation: 'luksFormat', device: '/dev/vdb' }, 'unknown', /^cryptsetup luksFormat failed on \/dev\/vdb \(exit 1\) \(cryptsetup: Device size is not aligned/],
];

describe('cryptsetup failures as typed errors', () => {
  it.each(cases)('%s → %s', (fixture, context, reason, message) => {
    const result = resultOf(recorded(fixture));
    expect(failureReason(result, context)).toBe(reason);
    const error = cryptsetupError(result, context);
    expect(error).toBeInstanceOf(CryptsetupError);
    expect(error).toBeInstanceOf(OrootError);
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(recorded(fixture).exitCode);
    expect(error.exitStatus).toBe(1);
    if (reason !== 'unknown') expect(error.hint).toBeTruthy();
  });

  it('every hint tells the user what to do', () => {
    const hints = Object.fromEntries(
      cases.map(([fixture, context, reason]) => [reason, cryptsetupError(resultOf(recorded(fixture)), context).hint ?? '']),
    );
    expect(hints['wrong-key']).toMatch(/pass=, keyfile=, or pass_enc=/);
    expect(hints['no-dm-crypt']).toMatch(/modprobe dm_crypt/);
    expect(hints['busy']).toMatch(/Unmount/);
    expect(hints['no-device']).toMatch(/dev=/);
    expect(hints['not-luks']).toMatch(/mkfs=1 .* mkfs=2/);
    expect(hints['out-of-memory']).toMatch(/1\/4 of RAM/);
    expect(hints['permission']).toMatch(/root/);
  });

  it('a busy mapping name says how to free it', () => {
    const error = cryptsetupError(resultOf(recorded('guest-busy-open-same-name')), { operation: 'open', device: '/dev/vda', name: 'secure' });
    expect(error.hint).toMatch(/cryptsetup close secure.*mapname=/);
  });

  it('falls back to the exit code when stderr says nothing useful', () => {
    const bare = (exitCode: number) => resultOf({ argv: ['cryptsetup'], exitCode, stdout: '', stderr: '' });
    expect(failureReason(bare(2), { operation: 'open' })).toBe('wrong-key');
    expect(failureReason(bare(3), { operation: 'open' })).toBe('out-of-memory');
    expect(failureReason(bare(4), { operation: 'open', device: '/x', deviceExists: false })).toBe('no-device');
    expect(failureReason(bare(5), { operation: 'open' })).toBe('busy');
    expect(failureReason(bare(1), { operation: 'open' })).toBe('unknown');
  });

  it('reports a missing binary and a timeout', () => {
    const missing = resultOf({ argv: ['/usr/sbin/cryptsetup'], exitCode: 0, stdout: '', stderr: '' }, {
      exitCode: null, failed: true, spawnError: Object.assign(new Error('spawn ENOENT'), { code: 'ENOENT' }),
    });
    expect(cryptsetupError(missing, { operation: 'open' })).toMatchObject({ reason: 'not-installed', message: 'cryptsetup is not installed' });
    const hung = resultOf({ argv: ['cryptsetup'], exitCode: 0, stdout: '', stderr: '' }, { exitCode: null, signal: 'SIGKILL', timedOut: true, failed: true, durationMs: 300_000 });
    const error = cryptsetupError(hung, { operation: 'open', name: 'secure' });
    expect(error.message).toBe('cryptsetup open on secure timed out after 300 s');
    expect(error.hint).toMatch(/DM_DISABLE_UDEV=1/);
  });

  it('builds the same explanation without a failed run', () => {
    const error = explainedError('wrong-key', { operation: 'luksRemoveKey', device: '/dev/vdb' });
    expect(error).toMatchObject({ reason: 'wrong-key', message: 'the key does not open /dev/vdb', exitCode: null });
  });
});
