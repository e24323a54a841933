import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { argon2MemoryCapKiB, profileFor, type ProfileFacts } from '../../src/cryptsetup-wrap/profiles.js';
import * as argv from '../../src/cryptsetup-wrap/argv.js';
import { parseVersion, versionAtLeast } from '../../src/cryptsetup-wrap/version.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const debian12: ProfileFacts = { memoryBytes: 2 * GiB, kernelRelease: '6.1.0-53-cloud-amd64', cryptsetupVersion: 'cryptsetup 2.6.1 flags: UDEV BLKID KEYRING KERNEL_CAPI' };
const ubuntu2004: ProfileFacts = { memoryBytes: 2 * GiB, kernelRelease: '5.4.0-42-generic', cryptsetupVersion: '2.2.2' };

describe('versions', () => {
  it('reads cryptsetup and kernel versions', () => {
    expect(parseVersion('cryptsetup 2.6.1 flags: UDEV')).toEqual([2, 6, 1]);
    expect(parseVersion('6.1.0-53-cloud-amd64')).toEqual([6, 1, 0]);
    expect(parseVersion('5.10')).toEqual([5, 10, 0]);
    expect(parseVersion('unknown')).toBeUndefined();
  });

  it('compares numerically, not as text', () => {
    expect(versionAtLeast('5.10.0', '5.9')).toBe(true);
    expect(versionAtLeast('2.3.3', '2.3.4')).toBe(false);
    expect(versionAtLeast('2.3.4', '2.3.4')).toBe(true);
    expect(versionAtLeast('10.0', '9.99.99')).toBe(true);
    expect(versionAtLeast('garbage', '1.0')).toBe(false);
  });
});

describe('profileFor', () => {
  it('ephemeral: LUKS2, AES-XTS 512, minimal PBKDF2, 4096 sectors and no-workqueue on a 6.1 kernel', () => {
    const profile = profileFor('ephemeral', debian12);
    expect(profile).toMatchObject({
      type: 'luks2',
      cipher: 'aes-xts-plain64',
      keyBits: 512,
      pbkdf: { kind: 'pbkdf2', iterations: 1000 },
      sectorSize: 4096,
      noWorkqueue: true,
    });
    expect(profile.decisions.join('\n')).toMatch(/no-workqueue flags on open: yes \(kernel 6\.1\.0-53-cloud-amd64 ≥ 5\.9, cryptsetup 2\.6\.1 ≥ 2\.3\.4\)/);
  });

  it('leaves the no-workqueue flags out when the kernel or cryptsetup is too old, and says which', () => {
    const oldKernel = profileFor('ephemeral', ubuntu2004);
    expect(oldKernel.noWorkqueue).toBe(false);
    expect(oldKernel.decisions.join('\n')).toContain('kernel 5.4.0-42-generic < 5.9');
    const oldTool = profileFor('ephemeral', { ...debian12, cryptsetupVersion: '2.3.3' });
    expect(oldTool.noWorkqueue).toBe(false);
    expect(oldTool.decisions.join('\n')).toContain('cryptsetup 2.3.3 < 2.3.4');
    expect(profileFor('ephemeral', { ...debian12, kernelRelease: '5.9.0' }).noWorkqueue).toBe(true);
  });

  it('ephemeral: a 1 MiB keyslots area where cryptsetup can set it (2.1+)', () => {
    expect(profileFor('ephemeral', debian12).keyslotsAreaBytes).toBe(1024 * 1024);
    const old = profileFor('ephemeral', { ...debian12, cryptsetupVersion: '2.0.6' });
    expect(old.keyslotsAreaBytes).toBeUndefined();
    expect(old.decisions).toContain('1 MiB keyslots area: no (cryptsetup 2.0.6 < 2.1.0)');
    expect(argv.formatArgs(old, { device: '/dev/vdb' })).not.toContain('--luks2-keyslots-size');
    expect(profileFor('persistent', debian12).keyslotsAreaBytes).toBeUndefined();
  });

  it('persistent: Argon2id with memory capped at a quarter of RAM, never above 1 GiB', () => {
    expect(profileFor('persistent', { ...debian12, memoryBytes: 512 * MiB }).pbkdf).toEqual({ kind: 'argon2id', memoryKiB: 128 * 1024 });
    expect(profileFor('persistent', { ...debian12, memoryBytes: 64 * GiB }).pbkdf).toEqual({ kind: 'argon2id', memoryKiB: 1024 * 1024 });
    expect(profileFor('persistent', debian12).sectorSize).toBeUndefined(); // torn-write risk: cryptsetup decides
    expect(profileFor('persistent', { ...debian12, memoryBytes: 512 * MiB }).decisions.join('\n')).toContain('at most 128 MiB');
  });

  it('the Argon2 cap never exceeds a quarter of RAM or 1 GiB, and never goes below 32 KiB', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 45 }), (memoryBytes) => {
        const cap = argon2MemoryCapKiB(memoryBytes);
        expect(cap).toBeLessThanOrEqual(1024 * 1024);
        expect(cap).toBeGreaterThanOrEqual(32);
        if (memoryBytes >= 128 * 1024) expect(cap * 1024).toBeLessThanOrEqual(memoryBytes / 4);
      }),
    );
  });

  it('plain: a 64-byte key, no PBKDF, 4096 sectors', () => {
    expect(profileFor('plain', debian12)).toMatchObject({ type: 'plain', keyBytes: 64, pbkdf: { kind: 'none' }, sectorSize: 4096 });
  });

  it("compat: no choices at all; the on-disk type follows cryptsetup's default for the version", () => {
    const compat = profileFor('compat', debian12);
    expect(compat).toMatchObject({ type: 'luks2', cipher: undefined, pbkdf: { kind: 'cryptsetup-default' }, noWorkqueue: false, sectorSize: undefined });
    expect(profileFor('compat', { ...debian12, cryptsetupVersion: '2.0.6' }).type).toBe('luks1');
  });

  it('refuses LUKS2 profiles on cryptsetup 1.x with a hint', () => {
    expect(() => profileFor('ephemeral', { ...debian12, cryptsetupVersion: '1.7.3' })).toThrow(/cannot create LUKS2 volumes/);
    expect(profileFor('compat', { ...debian12, cryptsetupVersion: '1.7.3' }).type).toBe('luks1');
  });
});

describe('argv per profile', () => {
  const ephemeral = profileFor('ephemeral', debian12);
  const persistent = profileFor('persistent', { ...debian12, memoryBytes: 1 * GiB });
  const plain = profileFor('plain', debian12);
  const compat = profileFor('compat', debian12);

  it('ephemeral format and open', () => {
    expect(argv.formatArgs(ephemeral, { device: '/dev/vdb', label: 'oroot-ephemeral', sectorSize: 4096 })).toEqual([
      'luksFormat', '--batch-mode', '--type', 'luks2', '--cipher', 'aes-xts-plain64', '--key-size', '512', '--hash', 'sha512',
      '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--sector-size', '4096', '--luks2-keyslots-size', '1048576',
      '--label', 'oroot-ephemeral', '--key-file=-', '/dev/vdb',
    ]);
    expect(argv.openArgs(ephemeral, { device: '/dev/vdb', name: 'secure' })).toEqual([
      'open', '--type', 'luks', '--perf-no_read_workqueue', '--perf-no_write_workqueue', '--key-file=-', '/dev/vdb', 'secure',
    ]);
    // The sector size is only passed when the device allows it.
    expect(argv.formatArgs(ephemeral, { device: '/dev/vdb' })).not.toContain('--sector-size');
  });

  it('persistent format carries the Argon2 memory cap', () => {
    expect(argv.formatArgs(persistent, { device: '/dev/vdb', label: 'oroot-persistent' })).toEqual([
      'luksFormat', '--batch-mode', '--type', 'luks2', '--cipher', 'aes-xts-plain64', '--key-size', '512',
      '--pbkdf', 'argon2id', '--pbkdf-memory', '262144', '--label', 'oroot-persistent', '--key-file=-', '/dev/vdb',
    ]);
  });

  it('plain has no format and opens with the key used as is', () => {
    expect(argv.formatArgs(plain, { device: '/dev/vdb' })).toBeUndefined();
    expect(argv.openArgs(plain, { device: '/dev/vdb', name: 'secure', sectorSize: 4096, readOnly: true })).toEqual([
      'open', '--type', 'plain', '--cipher', 'aes-xts-plain64', '--key-size', '512', '--hash', 'plain',
      '--key-file=-', '--keyfile-size', '64', '--sector-size', '4096',
      '--perf-no_read_workqueue', '--perf-no_write_workqueue', '--readonly', '/dev/vdb', 'secure',
    ]);
  });

  it("compat is overlayroot's command line, word for word", () => {
    expect(argv.formatArgs(compat, { device: '/dev/vdb', label: 'ignored', sectorSize: 4096 })).toEqual(['luksFormat', '/dev/vdb', '--key-file', '-']);
    expect(argv.openArgs(compat, { device: '/dev/vdb', name: 'secure' })).toEqual(['luksOpen', '/dev/vdb', 'secure', '--key-file', '-']);
  });

  it('key operations read every key from stdin', () => {
    expect(argv.testKeyArgs('/dev/vdb', 3)).toEqual(['open', '--test-passphrase', '--verbose', '--type', 'luks', '--key-slot', '3', '--key-file=-', '/dev/vdb']);
    expect(argv.addKeyArgs('/dev/vdb', 128, ephemeral.pbkdf, 2, ephemeral.hash)).toEqual([
      'luksAddKey', '--hash', 'sha512', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--key-file=-', '--keyfile-size', '128', '/dev/vdb', '-',
    ]);
    // LUKS1: one hash for the whole header, chosen at format.
    expect(argv.addKeyArgs('/dev/vdb', 10, ephemeral.pbkdf, 1, ephemeral.hash)).not.toContain('--hash');
    // LUKS1 has no per-slot PBKDF type: Argon2 is dropped, PBKDF2 keeps only its iteration count.
    expect(argv.addKeyArgs('/dev/vdb', 10, persistent.pbkdf, 1)).toEqual(['luksAddKey', '--key-file=-', '--keyfile-size', '10', '/dev/vdb', '-']);
    expect(argv.addKeyArgs('/dev/vdb', 10, ephemeral.pbkdf, 1)).toContain('--pbkdf-force-iterations');
    expect(argv.addKeyArgs('/dev/vdb', 10, ephemeral.pbkdf, 1)).not.toContain('--pbkdf');
    expect(argv.removeKeyArgs('/dev/vdb')).toEqual(['luksRemoveKey', '--batch-mode', '--key-file=-', '/dev/vdb']);
  });
});
