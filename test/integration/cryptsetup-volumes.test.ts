// The wrapper against the real cryptsetup on image files (and one loop device), as root. This
// host's kernel may lack device-mapper: then `open` must fail with the clear no-dm-crypt error;
// where it has it, open/status/close run for real. Open, close and I/O through the mapper are
// proven under QEMU by the end-to-end tests either way.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addKey,
  closeVolume,
  CryptsetupError,
  formatVolume,
  isLuks,
  luksDump,
  openVolume,
  probeCryptsetup,
  profileFor,
  readLuksHeader,
  readProfileFacts,
  removeKey,
  testKey,
  volumeStatus,
  type ProfileFacts,
} from '../../src/cryptsetup-wrap/index.js';
import { createHost, type Host } from '../../src/system/host.js';
import { memoryLogger } from '../../src/system/log.js';
import { Secret } from '../../src/system/secret.js';
import { run, type RunOptions } from '../../src/system/spawn.js';
import { requireRoot, requireTool, tempDir } from '../helpers/machine.js';

const MiB = 2 ** 20;
const calls: Array<{ argv: readonly string[]; options: RunOptions }> = [];
const keys: Secret[] = [];
let host: Host;
let facts: ProfileFacts;
let dir: string;
let cleanup: () => void;

/** A fresh 128-hex passphrase, like the one the boot derives. */
const newKey = (): Secret => {
  const key = Secret.fromString(randomBytes(64).toString('hex'));
  keys.push(key);
  return key;
};
let imageCount = 0;
/** A sparse image file of `bytes` in the temp dir. */
const image = (bytes = 64 * MiB): string => {
  const file = path.join(dir, `disk${++imageCount}.img`);
  execFileSync('truncate', ['-s', String(bytes), file]);
  return file;
};
const cli = (args: string[], input?: string): string => execFileSync('cryptsetup', args, { input, encoding: 'utf8' });
const logged = (): string => (host.log as ReturnType<typeof memoryLogger>).events.map((event) => event.message).join('\n');

beforeAll(async () => {
  requireRoot();
  requireTool('cryptsetup');
  requireTool('losetup');
  requireTool('wipefs');
  ({ dir, cleanup } = tempDir('oroot-cryptsetup-'));
  host = createHost({
    log: memoryLogger(),
    // The real spawn, watched: every call is kept for the secrets check at the end.
    run: (argv, options = {}) => {
      calls.push({ argv, options });
      return run(argv, options);
    },
  });
  facts = await readProfileFacts(host);
});
afterAll(() => cleanup?.());

describe('probe', () => {
  it('finds the installed cryptsetup and reads its version', async () => {
    const probe = await probeCryptsetup(host);
    expect(cli(['--version'])).toContain(`cryptsetup ${probe.version}`);
    expect(probe.path).toBe(execFileSync('sh', ['-c', 'command -v cryptsetup'], { encoding: 'utf8', env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } }).trim());
    expect(probe.kernel.deviceMapper).toBe(/device-mapper$/m.test(readFileSync('/proc/misc', 'utf8')));
    expect(facts.cryptsetupVersion).toBe(probe.version);
    expect(facts.memoryBytes).toBeGreaterThan(64 * MiB);
  });
});

describe('format with each profile', () => {
  it('ephemeral: LUKS2, AES-XTS 512, PBKDF2 1000, 4096-byte sectors, labelled', async () => {
    const device = image();
    await formatVolume(host, { device, key: newKey(), profile: profileFor('ephemeral', facts), label: 'oroot-ephemeral' });
    const header = await readLuksHeader(host, device);
    expect(header).toMatchObject({ luks: true, version: 2, label: 'oroot-ephemeral', primaryIntact: true });
    expect(header.luks && header.uuid).toBe(cli(['luksUUID', device]).trim());
    await expect(isLuks(host, device)).resolves.toBe(true);
    const info = await luksDump(host, device);
    expect(info).toMatchObject({
      type: 'luks2',
      label: 'oroot-ephemeral',
      cipher: 'aes-xts-plain64',
      keyBits: 512,
      sectorSize: 4096,
      dataOffsetBytes: 2 * MiB, // the 1 MiB keyslots area instead of 16 MiB
      pbkdf: { type: 'pbkdf2', iterations: 1000 },
    });
    expect(info.keyslots).toHaveLength(1);
  });

  it('persistent: Argon2id whose memory stays under the cap profileFor derived from RAM', async () => {
    const device = image();
    const small = profileFor('persistent', { ...facts, memoryBytes: 256 * MiB }); // keeps the test quick: 64 MiB
    await formatVolume(host, { device, key: newKey(), profile: small, label: 'oroot-persistent' });
    const info = await luksDump(host, device);
    expect(info).toMatchObject({ type: 'luks2', label: 'oroot-persistent', cipher: 'aes-xts-plain64', keyBits: 512, pbkdf: { type: 'argon2id' } });
    expect((info.pbkdf as { memoryKiB: number }).memoryKiB).toBeLessThanOrEqual(64 * 1024);
  });

  it("compat: cryptsetup's defaults, no label", async () => {
    const device = image();
    await formatVolume(host, { device, key: newKey(), profile: profileFor('compat', facts), label: 'ignored' });
    const info = await luksDump(host, device);
    expect(info.type).toBe(profileFor('compat', facts).type);
    expect(info.label).toBeUndefined();
    expect(info.pbkdf?.type).toMatch(/^(argon2id|pbkdf2)$/);
  });

  it('plain: nothing is written', async () => {
    const device = image(8 * MiB);
    await formatVolume(host, { device, key: new Secret(randomBytes(64)), profile: profileFor('plain', facts) });
    expect(readFileSync(device).every((byte) => byte === 0)).toBe(true);
    await expect(isLuks(host, device)).resolves.toBe(false);
  });

  it('an image whose size is not a multiple of 4096 gets 512-byte sectors instead of a failure', async () => {
    const device = image(64 * MiB + 512);
    await formatVolume(host, { device, key: newKey(), profile: profileFor('ephemeral', facts) });
    expect((await luksDump(host, device)).sectorSize).toBe(512);
    expect(logged()).toMatch(/not a multiple of 4096/);
  });

  it('a loop device (size from sysfs) gets 4096-byte sectors', async () => {
    const loop = execFileSync('losetup', ['--find', '--show', image()], { encoding: 'utf8' }).trim();
    try {
      await formatVolume(host, { device: loop, key: newKey(), profile: profileFor('ephemeral', facts) });
      expect((await luksDump(host, loop)).sectorSize).toBe(4096);
    } finally {
      execFileSync('losetup', ['--detach', loop]);
    }
  });
});

describe('is it LUKS: from the header bytes and from cryptsetup isLuks', () => {
  it('both say no for a blank device', async () => {
    const device = image(8 * MiB);
    await expect(readLuksHeader(host, device)).resolves.toEqual({ luks: false });
    await expect(isLuks(host, device)).resolves.toBe(false);
  });

  it('both say yes when only the LUKS2 secondary header is left', async () => {
    const device = image();
    await formatVolume(host, { device, key: newKey(), profile: profileFor('ephemeral', facts) });
    const fd = openSync(device, 'r+');
    writeSync(fd, Buffer.alloc(4096), 0, 4096, 0);
    closeSync(fd);
    await expect(readLuksHeader(host, device)).resolves.toMatchObject({ luks: true, version: 2, primaryIntact: false, headerOffset: 16384 });
    await expect(isLuks(host, device)).resolves.toBe(true);
  });

  it('both say no after wipefs -a, which erases both headers', async () => {
    const device = image();
    await formatVolume(host, { device, key: newKey(), profile: profileFor('ephemeral', facts) });
    execFileSync('wipefs', ['-a', '-q', device]);
    await expect(readLuksHeader(host, device)).resolves.toEqual({ luks: false });
    await expect(isLuks(host, device)).resolves.toBe(false);
  });

  it('a missing device is an error, not a "no"', async () => {
    await expect(isLuks(host, path.join(dir, 'missing.img'))).rejects.toMatchObject({ reason: 'no-device' });
    await expect(luksDump(host, path.join(dir, 'missing.img'))).rejects.toMatchObject({ reason: 'no-device' });
  });
});

describe('keys and key slots', () => {
  it('testKey: true for the right key, false for a wrong one', async () => {
    const device = image();
    const key = newKey();
    await formatVolume(host, { device, key, profile: profileFor('ephemeral', facts) });
    await expect(testKey(host, device, key)).resolves.toBe(true);
    await expect(testKey(host, device, newKey())).resolves.toBe(false);
    await expect(testKey(host, image(8 * MiB), key)).rejects.toMatchObject({ reason: 'not-luks' });
  });

  it('add a slot, remove the first, and refuse to remove the last', async () => {
    const device = image();
    const first = newKey();
    const second = newKey();
    const profile = profileFor('ephemeral', facts);
    await formatVolume(host, { device, key: first, profile });
    await expect(addKey(host, { device, key: first, newKey: second, profile })).resolves.toBe(1);
    expect((await luksDump(host, device)).keyslots.map((slot) => [slot.slot, slot.pbkdf])).toEqual([
      [0, { type: 'pbkdf2', hash: 'sha512', iterations: 1000 }],
      [1, { type: 'pbkdf2', hash: 'sha512', iterations: 1000 }],
    ]);
    await expect(testKey(host, device, second)).resolves.toBe(true);

    await removeKey(host, { device, key: first });
    await expect(testKey(host, device, first)).resolves.toBe(false);
    await expect(testKey(host, device, second)).resolves.toBe(true);
    await expect(removeKey(host, { device, key: second })).rejects.toThrow(/refusing to remove the last key slot/);
    await expect(testKey(host, device, second)).resolves.toBe(true);
  });

  it('addKey with a wrong existing key fails as a wrong key and adds nothing', async () => {
    const device = image();
    await formatVolume(host, { device, key: newKey(), profile: profileFor('ephemeral', facts) });
    const failure = await addKey(host, { device, key: newKey(), newKey: newKey() }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CryptsetupError);
    expect(failure).toMatchObject({ reason: 'wrong-key', message: expect.stringContaining(`the key does not open ${device}`) });
    expect((await luksDump(host, device)).keyslots).toHaveLength(1);
  });

  it('a persistent slot added on a small machine gets its Argon2 memory cap', async () => {
    const device = image();
    const key = newKey();
    const small = profileFor('persistent', { ...facts, memoryBytes: 128 * MiB }); // cap: 32 MiB
    await formatVolume(host, { device, key, profile: profileFor('ephemeral', facts) });
    await expect(addKey(host, { device, key, newKey: newKey(), profile: small })).resolves.toBe(1);
    const slot = (await luksDump(host, device)).keyslots[1]!.pbkdf;
    expect(slot.type).toBe('argon2id');
    expect((slot as { memoryKiB: number }).memoryKiB).toBeLessThanOrEqual(32 * 1024);
  });

  it('LUKS1 volumes made by hand: dump, add a key, test it', async () => {
    const device = image();
    const key = newKey();
    cli(['luksFormat', '--batch-mode', '--type', 'luks1', '--pbkdf-force-iterations', '1000', '--key-file=-', device], key.reveal().toString());
    const info = await luksDump(host, device);
    expect(info).toMatchObject({ type: 'luks1', uuid: cli(['luksUUID', device]).trim(), cipher: 'aes-xts-plain64', keyBits: 512 });
    const extra = newKey();
    await expect(addKey(host, { device, key, newKey: extra, profile: profileFor('ephemeral', facts) })).resolves.toBe(1);
    await expect(testKey(host, device, extra)).resolves.toBe(true);
    expect((await luksDump(host, device)).keyslots[1]!.pbkdf).toEqual({ type: 'pbkdf2', hash: 'sha256', iterations: 1000 });
  });
});

describe('open, status and close on this kernel', () => {
  const hasDeviceMapper = /device-mapper$/m.test(readFileSync('/proc/misc', 'utf8'));

  it(hasDeviceMapper ? 'opens, reports and closes a mapping' : 'open fails with the clear "no dm-crypt" error', async () => {
    const device = image();
    const key = newKey();
    const profile = profileFor('ephemeral', facts);
    await formatVolume(host, { device, key, profile });
    if (hasDeviceMapper) {
      const node = await openVolume(host, { device, name: 'oroot-itest', key, profile });
      expect(existsSync(node)).toBe(true);
      await expect(volumeStatus(host, 'oroot-itest')).resolves.toMatchObject({ type: 'LUKS2', cipher: 'aes-xts-plain64', loopFile: device });
      await closeVolume(host, 'oroot-itest');
    } else {
      const failure = await openVolume(host, { device, name: 'oroot-itest', key, profile }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(CryptsetupError);
      expect(failure).toMatchObject({
        reason: 'no-dm-crypt',
        message: expect.stringMatching(/^cannot open \/dev\/mapper\/oroot-itest: the kernel lacks device-mapper\/dm-crypt/),
        hint: expect.stringContaining('modprobe dm_crypt'),
      });
    }
    // Either way the name is not mapped now: status says so and close is a no-op.
    await expect(volumeStatus(host, 'oroot-itest')).resolves.toBeUndefined();
    await closeVolume(host, 'oroot-itest');
    expect(logged()).toContain('/dev/mapper/oroot-itest is already closed');
  });
});

describe('secrets', () => {
  it('no key ever reached argv or the environment; every key on stdin was declared to spawn', () => {
    expect(calls.length).toBeGreaterThan(20);
    const texts = keys.map((key) => key.reveal().toString());
    for (const call of calls) {
      const visible = [...call.argv, ...Object.values(call.options.env ?? {})].join('\n');
      for (const text of texts) expect(visible).not.toContain(text);
      if (Buffer.isBuffer(call.options.input) && call.options.input.length > 0) {
        expect(call.options.secrets?.length).toBeGreaterThan(0);
      }
    }
    expect(calls.filter((call) => call.options.input !== undefined).length).toBeGreaterThan(10);
  });
});
