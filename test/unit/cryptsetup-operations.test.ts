// The wrapper's own logic around cryptsetup — which argv, what goes on stdin, which secrets spawn
// is told about, the environment, waiting for the node, idempotent close, key-slot bookkeeping —
// with `host.run` answering outputs recorded from cryptsetup 2.6.1. The real binary is exercised
// by test/integration/cryptsetup-*.test.ts.
import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addKey,
  closeVolume,
  CryptsetupError,
  formatVolume,
  openVolume,
  probeCryptsetup,
  profileFor,
  readProfileFacts,
  removeKey,
  testKey,
  unlockedSlot,
  volumeStatus,
} from '../../src/cryptsetup-wrap/index.js';
import { InputError, InternalError } from '../../src/errors.js';
import { Secret } from '../../src/system/secret.js';
import { fakeMachine, fixtureBytes, fixtureText, ok, recordedRun, type FakeMachine } from '../helpers/cryptsetup-fixtures.js';
import { tempDir } from '../helpers/machine.js';

const facts = { memoryBytes: 2 * 2 ** 30, kernelRelease: '6.1.0-53-cloud-amd64', cryptsetupVersion: '2.6.1' };
const KEY_TEXT = 'f'.repeat(100) + '0123456789abcdef0123456789ab'; // 128 hex characters
const NEW_KEY_TEXT = 'new-passphrase-for-slot-1';
const recorded = (name: string) => recordedRun(`runs/${name}`);

let machine: FakeMachine;
let cleanup: () => void;
let key: Secret;
let newKey: Secret;

beforeEach(() => {
  const dir = tempDir();
  cleanup = dir.cleanup;
  machine = fakeMachine(dir.dir);
  key = Secret.fromString(KEY_TEXT);
  newKey = Secret.fromString(NEW_KEY_TEXT);
  mkdirSync(path.join(machine.root, 'dev/mapper'), { recursive: true });
  mkdirSync(path.join(machine.root, 'proc'), { recursive: true });
});
afterEach(() => cleanup());

/** A device in the fixture root: an image file of `size` bytes holding `head` at offset 0. */
function device(name: string, size = 32 * 2 ** 20, head?: Buffer): string {
  const file = path.join(machine.root, 'dev', name);
  writeFileSync(file, head ?? '');
  truncateSync(file, size); // sparse
  return `/dev/${name}`;
}
const luks2Device = (): string => device('vdb', 32 * 2 ** 20, fixtureBytes('luks2-ephemeral.head.bin'));
const dmPresent = (): void => writeFileSync(path.join(machine.root, 'proc/misc'), ' 236 device-mapper\n 237 loop-control\n');
const makeNode = (name: string) => () => writeFileSync(path.join(machine.root, 'dev/mapper', name), '');

/** Every call that carried a key told spawn about it, and no key appears in argv or env. */
function expectKeysOnlyOnStdin(...keys: Secret[]): void {
  for (const call of machine.calls) {
    const text = [...call.argv, ...Object.values(call.options.env ?? {})].join('\n');
    for (const k of keys) expect(text).not.toContain(k.reveal().toString());
    if (call.input) {
      const declared = (call.options.secrets ?? []).map((secret) => secret.toString());
      expect(declared.length).toBeGreaterThan(0);
      expect(call.input.toString()).toBe(declared.join(''));
    }
  }
}

describe('formatVolume', () => {
  it('runs luksFormat with the profile flags, 4096-byte sectors on an aligned device, key on stdin', async () => {
    const dev = device('vdb');
    machine.answer('luksFormat', ok());
    await formatVolume(machine.host, { device: dev, key, profile: profileFor('ephemeral', facts), label: 'oroot-ephemeral' });
    const [call] = machine.calls;
    expect(call!.argv).toEqual([
      '/usr/sbin/cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks2', '--cipher', 'aes-xts-plain64', '--key-size', '512', '--hash', 'sha512',
      '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--sector-size', '4096', '--luks2-keyslots-size', '1048576',
      '--label', 'oroot-ephemeral', '--key-file=-', dev,
    ]);
    expect(call!.input?.toString()).toBe(KEY_TEXT);
    expect(call!.options.env).toBeUndefined();
    expect(call!.options.timeoutMs).toBeGreaterThanOrEqual(60_000);
    expect(machine.events.map((e) => e.message)).toContain(`formatting ${dev} with profile ephemeral (${profileFor('ephemeral', facts).describe})`);
    expectKeysOnlyOnStdin(key);
  });

  it('leaves the sector size to cryptsetup when the device size is not a multiple of 4096', async () => {
    const dev = device('vdb', 32 * 2 ** 20 + 512);
    machine.answer('luksFormat', ok());
    await formatVolume(machine.host, { device: dev, key, profile: profileFor('ephemeral', facts) });
    expect(machine.calls[0]!.argv).not.toContain('--sector-size');
    expect(machine.events.map((e) => e.message).join('\n')).toMatch(/not a multiple of 4096; leaving the sector size to cryptsetup/);
  });

  it('plain mode writes nothing', async () => {
    await formatVolume(machine.host, { device: device('vdb'), key, profile: profileFor('plain', facts) });
    expect(machine.calls).toEqual([]);
  });

  it('refuses arguments cryptsetup would misread, before running anything', async () => {
    const profile = profileFor('ephemeral', facts);
    await expect(formatVolume(machine.host, { device: 'vdb', key, profile })).rejects.toThrow(InputError);
    await expect(formatVolume(machine.host, { device: device('vdb'), key, profile, label: '--help' })).rejects.toThrow(/label/);
    await expect(formatVolume(machine.host, { device: device('vdb'), key: new Secret(Buffer.alloc(0)), profile })).rejects.toThrow(/0 bytes/);
    expect(machine.calls).toEqual([]);
  });

  it('a failure becomes a CryptsetupError that never shows the key', async () => {
    const dev = device('vdb', 32 * 2 ** 20 + 512);
    machine.answer('luksFormat', recorded('unaligned-sector-format'));
    const failure = await formatVolume(machine.host, { device: dev, key, profile: profileFor('ephemeral', facts) }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CryptsetupError);
    expect(String(failure) + JSON.stringify(failure)).not.toContain(KEY_TEXT);
  });
});

describe('openVolume', () => {
  it('opens with DM_DISABLE_UDEV=1 and returns the mapper node once it exists', async () => {
    const dev = luks2Device();
    machine.answer('open', ok(), makeNode('secure'));
    const node = await openVolume(machine.host, { device: dev, name: 'secure', key, profile: profileFor('ephemeral', facts) });
    expect(node).toBe('/dev/mapper/secure');
    expect(machine.calls[0]!.options.env).toEqual({ DM_DISABLE_UDEV: '1' });
    expect(machine.calls[0]!.argv.slice(1)).toEqual(['open', '--type', 'luks', '--perf-no_read_workqueue', '--perf-no_write_workqueue', '--key-file=-', dev, 'secure']);
    expectKeysOnlyOnStdin(key);
  });

  it('waits for a node that appears late', async () => {
    machine.answer('open', ok(), () => setTimeout(makeNode('late'), 150));
    await expect(openVolume(machine.host, { device: luks2Device(), name: 'late', key, profile: profileFor('ephemeral', facts), waitMs: 2000 })).resolves.toBe('/dev/mapper/late');
  });

  it('gives up after waitMs, closes the unreachable mapping and says why', async () => {
    machine.answer('open', ok());
    machine.answer('close', ok());
    const failure = await openVolume(machine.host, { device: luks2Device(), name: 'secure', key, profile: profileFor('ephemeral', facts), waitMs: 60 }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ reason: 'no-device', message: 'cryptsetup opened secure but /dev/mapper/secure did not appear within 60 ms' });
    expect(machine.calls.map((call) => call.argv[1])).toEqual(['open', 'close']);
  });

  it('plain: the 64 key bytes are used as is, and a key of another length is refused', async () => {
    const raw = new Secret(Buffer.alloc(64, 0x5a));
    machine.answer('open', ok(), makeNode('secure'));
    await openVolume(machine.host, { device: device('vdb'), name: 'secure', key: raw, profile: profileFor('plain', facts) });
    expect(machine.calls[0]!.argv).toEqual(expect.arrayContaining(['--hash', 'plain', '--keyfile-size', '64', '--sector-size', '4096']));
    expect(machine.calls[0]!.input).toEqual(Buffer.alloc(64, 0x5a));
    await expect(openVolume(machine.host, { device: device('vdb'), name: 'secure', key, profile: profileFor('plain', facts) })).rejects.toThrow(/has 128 bytes; exactly 64 needed/);
  });

  it('refuses mapping names that are options or paths', async () => {
    for (const name of ['-x', '../etc', 'a/b', '.hidden', '', 'x'.repeat(128)]) {
      await expect(openVolume(machine.host, { device: luks2Device(), name, key, profile: profileFor('ephemeral', facts) })).rejects.toThrow(InputError);
    }
    expect(machine.calls).toEqual([]);
  });

  it('reports a kernel without dm-crypt clearly', async () => {
    machine.answer('open', recorded('no-dm-open-luks'));
    await expect(openVolume(machine.host, { device: luks2Device(), name: 'secure', key, profile: profileFor('ephemeral', facts) })).rejects.toMatchObject({
      reason: 'no-dm-crypt',
      message: expect.stringMatching(/^cannot open \/dev\/mapper\/secure: the kernel lacks device-mapper\/dm-crypt/),
      hint: expect.stringMatching(/modprobe dm_crypt/),
    });
  });
});

describe('closeVolume and volumeStatus', () => {
  it('close runs cryptsetup close with the device-mapper environment', async () => {
    machine.answer('close', ok());
    await closeVolume(machine.host, 'secure');
    expect(machine.calls[0]!.argv.slice(1)).toEqual(['close', 'secure']);
    expect(machine.calls[0]!.options.env).toEqual({ DM_DISABLE_UDEV: '1' });
    expect(machine.events.at(-1)?.message).toBe('closed /dev/mapper/secure');
  });

  it('closing a name that is not mapped is fine, and says so', async () => {
    dmPresent();
    machine.answer('close', recorded('guest-close-inactive'));
    await closeVolume(machine.host, 'secure');
    expect(machine.events.at(-1)?.message).toBe('/dev/mapper/secure is already closed');
  });

  it('closing on a kernel without device-mapper is fine too: nothing can be mapped', async () => {
    machine.answer('close', recorded('no-dm-close'));
    await closeVolume(machine.host, 'secure');
    expect(machine.events.at(-1)?.message).toBe('/dev/mapper/secure is already closed');
  });

  it('a mapping still in use is an error', async () => {
    dmPresent();
    machine.answer('close', recorded('guest-busy-close-in-use'));
    await expect(closeVolume(machine.host, 'secure')).rejects.toMatchObject({ reason: 'busy' });
  });

  it('status parses an active mapping and is undefined for an inactive one', async () => {
    dmPresent();
    machine.answer('status', recorded('guest-status-active-ephemeral'));
    machine.answer('status', recorded('guest-status-inactive'));
    await expect(volumeStatus(machine.host, 'secure')).resolves.toMatchObject({ type: 'LUKS2', cipher: 'aes-xts-plain64', keyBits: 512 });
    await expect(volumeStatus(machine.host, 'secure')).resolves.toBeUndefined();
  });
});

describe('testKey and unlockedSlot', () => {
  it('true for the right key, false for a wrong one, an error for anything else', async () => {
    const dev = luks2Device();
    machine.answer('open', recorded('ok-test-passphrase-slot1'));
    machine.answer('open', recorded('wrong-key-test-passphrase'));
    machine.answer('open', recorded('not-luks-test-passphrase'));
    await expect(testKey(machine.host, dev, key)).resolves.toBe(true);
    await expect(testKey(machine.host, dev, key)).resolves.toBe(false);
    await expect(testKey(machine.host, dev, key)).rejects.toMatchObject({ reason: 'not-luks' });
    expect(machine.calls[0]!.argv.slice(1)).toEqual(['open', '--test-passphrase', '--verbose', '--type', 'luks', '--key-file=-', dev]);
    expect(machine.calls[0]!.options.env).toBeUndefined(); // a key test needs no device-mapper
    expectKeysOnlyOnStdin(key);
  });

  it('reads which slot the key unlocked', async () => {
    machine.answer('open', recorded('ok-test-passphrase-slot1'));
    await expect(unlockedSlot(machine.host, luks2Device(), key)).resolves.toBe(1);
  });
});

describe('addKey and removeKey', () => {
  /** cryptsetup adds slot 1 to a one-slot header; the key test of slot 1 answers `verification`. */
  const answerAddKey = (verification: string): void => {
    machine.answer('luksDump', ok(fixtureText('luks2-ephemeral.json')));
    machine.answer('luksAddKey', ok());
    machine.answer('luksDump', ok(fixtureText('luks2-persistent-2slots.json')));
    machine.answer('open', recorded(verification));
  };

  it('sends the existing key then the new key on stdin, finds the new slot and verifies it', async () => {
    const dev = luks2Device();
    answerAddKey('ok-test-passphrase-slot1');
    const slot = await addKey(machine.host, { device: dev, key, newKey, profile: profileFor('ephemeral', facts) });
    expect(slot).toBe(1);
    const add = machine.calls.find((call) => call.argv[1] === 'luksAddKey')!;
    expect(add.argv.slice(1)).toEqual(['luksAddKey', '--hash', 'sha512', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--key-file=-', '--keyfile-size', '128', dev, '-']);
    expect(add.input?.toString()).toBe(KEY_TEXT + NEW_KEY_TEXT);
    const verify = machine.calls.at(-1)!;
    expect(verify.argv).toEqual(expect.arrayContaining(['--test-passphrase', '--key-slot', '1']));
    expect(verify.input?.toString()).toBe(NEW_KEY_TEXT);
    expectKeysOnlyOnStdin(key, newKey);
    // The wrapper's concatenated copy of both keys is zeroed; the callers' Secrets are untouched.
    expect(key.reveal().toString()).toBe(KEY_TEXT);
  });

  it('takes the slot back when the new key does not open it', async () => {
    const dev = luks2Device();
    answerAddKey('wrong-key-test-passphrase');
    machine.answer('luksKillSlot', ok());
    await expect(addKey(machine.host, { device: dev, key, newKey })).rejects.toThrow(InternalError);
    const kill = machine.calls.at(-1)!;
    expect(kill.argv.slice(1)).toEqual(['luksKillSlot', '--batch-mode', '--key-file=-', dev, '1']);
    expect(kill.input?.toString()).toBe(KEY_TEXT);
  });

  it('a wrong existing key is reported as such', async () => {
    machine.answer('luksDump', ok(fixtureText('luks2-ephemeral.json')));
    machine.answer('luksAddKey', recorded('wrong-key-add-key'));
    await expect(addKey(machine.host, { device: luks2Device(), key, newKey })).rejects.toMatchObject({ reason: 'wrong-key' });
  });

  it('removes the slot the key opens, but never the last one', async () => {
    const dev = luks2Device();
    machine.answer('open', recorded('ok-test-passphrase-slot1'));
    machine.answer('luksDump', ok(fixtureText('luks2-persistent-2slots.json')));
    machine.answer('luksRemoveKey', ok());
    await removeKey(machine.host, { device: dev, key: newKey });
    expect(machine.calls.at(-1)!.argv.slice(1)).toEqual(['luksRemoveKey', '--batch-mode', '--key-file=-', dev]);
    expect(machine.events.at(-1)?.message).toBe(`${dev}: removed key slot 1`);

    machine.answer('open', recorded('ok-test-passphrase-slot1'));
    machine.answer('luksDump', ok(fixtureText('luks2-ephemeral.json')));
    const calls = machine.calls.length;
    await expect(removeKey(machine.host, { device: dev, key })).rejects.toThrow(/refusing to remove the last key slot/);
    expect(machine.calls.slice(calls).map((call) => call.argv[1])).toEqual(['open', 'luksDump']);
  });

  it('removing with a wrong key says the key is wrong and removes nothing', async () => {
    machine.answer('open', recorded('wrong-key-test-passphrase'));
    await expect(removeKey(machine.host, { device: luks2Device(), key })).rejects.toMatchObject({ reason: 'wrong-key' });
    expect(machine.calls.map((call) => call.argv[1])).toEqual(['open']);
  });
});

describe('probe', () => {
  it('reads version, build flags and kernel support from the machine', async () => {
    machine.answer('--version', ok(fixtureText('version.txt')));
    dmPresent();
    const probe = await probeCryptsetup(machine.host);
    expect(probe).toEqual({
      version: '2.6.1',
      versionText: 'cryptsetup 2.6.1 flags: UDEV BLKID KEYRING KERNEL_CAPI',
      path: '/usr/sbin/cryptsetup',
      buildFlags: ['UDEV', 'BLKID', 'KEYRING', 'KERNEL_CAPI'],
      defaultType: 'luks2',
      supportsLuks2: true,
      supportsNoWorkqueue: true,
      kernel: { deviceMapper: true, dmCryptLoaded: false },
    });
  });

  it('gathers the facts profileFor needs', async () => {
    writeFileSync(path.join(machine.root, 'proc/meminfo'), 'MemTotal:        1004512 kB\nMemFree:          500000 kB\n');
    mkdirSync(path.join(machine.root, 'proc/sys/kernel'), { recursive: true });
    writeFileSync(path.join(machine.root, 'proc/sys/kernel/osrelease'), '6.1.0-53-cloud-amd64\n');
    machine.answer('--version', ok(fixtureText('version.txt')));
    await expect(readProfileFacts(machine.host)).resolves.toEqual({ memoryBytes: 1004512 * 1024, kernelRelease: '6.1.0-53-cloud-amd64', cryptsetupVersion: '2.6.1' });
  });

  it('says how to install cryptsetup when it is missing', async () => {
    const empty = tempDir();
    try {
      const bare = fakeMachine(empty.dir);
      rmSync(path.join(empty.dir, 'usr/sbin/cryptsetup'));
      await expect(probeCryptsetup(bare.host)).rejects.toMatchObject({ reason: 'not-installed', hint: expect.stringMatching(/cryptsetup-bin/) });
    } finally {
      empty.cleanup();
    }
  });
});
