// Parsers against outputs recorded from the real cryptsetup 2.6.1 (test/fixtures/cryptsetup,
// re-recorded with record.mjs).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLuks1Text, parseLuks2Json } from '../../src/cryptsetup-wrap/dump.js';
import { LUKS2_SECONDARY_OFFSETS, parseLuksHeader, readLuksHeader } from '../../src/cryptsetup-wrap/header.js';
import { createHost } from '../../src/system/host.js';
import { memoryLogger } from '../../src/system/log.js';
import { tempDir } from '../helpers/machine.js';
import { parseStatus, saysInactive } from '../../src/cryptsetup-wrap/status.js';
import { recordedRun } from '../helpers/cryptsetup-fixtures.js';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures', 'cryptsetup');
const text = (name: string): string => readFileSync(path.join(fixtures, name), 'utf8');
const bytes = (name: string): Buffer => readFileSync(path.join(fixtures, name));
/** The UUID and label lines of a recorded text dump, to cross-check what we read from the bytes. */
const textDumpField = (name: string, field: string): string => new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(text(name))![1]!.trim();

describe('LUKS2 metadata (luksDump --dump-json-metadata)', () => {
  it('ephemeral: AES-XTS 512, 4096-byte sectors, data after a 2 MiB header, one PBKDF2 slot of 1000 iterations', () => {
    const info = parseLuks2Json(text('luks2-ephemeral.json'), { uuid: 'u-1', label: 'oroot-ephemeral' });
    expect(info).toEqual({
      type: 'luks2',
      uuid: 'u-1',
      label: 'oroot-ephemeral',
      cipher: 'aes-xts-plain64',
      keyBits: 512,
      sectorSize: 4096,
      dataOffsetBytes: 2 * 2 ** 20, // 1 MiB keyslots area, aligned
      pbkdf: { type: 'pbkdf2', hash: 'sha256', iterations: 1000 },
      keyslots: [{ slot: 0, pbkdf: { type: 'pbkdf2', hash: 'sha256', iterations: 1000 } }],
    });
  });

  it('persistent with an added slot: Argon2id capped at 64 MiB, then PBKDF2', () => {
    const info = parseLuks2Json(text('luks2-persistent-2slots.json'), { uuid: 'u-2' });
    expect(info.label).toBeUndefined();
    expect(info.keyslots.map((slot) => slot.slot)).toEqual([0, 1]);
    expect(info.pbkdf).toMatchObject({ type: 'argon2id', memoryKiB: 65536 });
    expect(info.keyslots[1]!.pbkdf).toEqual({ type: 'pbkdf2', hash: 'sha256', iterations: 1000 });
  });

  it("compat: cryptsetup's own Argon2id choice, within its 1 GiB ceiling", () => {
    const info = parseLuks2Json(text('luks2-compat.json'), { uuid: 'u-3' });
    expect(info.pbkdf?.type).toBe('argon2id');
    expect(info.pbkdf).toHaveProperty('memoryKiB');
    expect((info.pbkdf as { memoryKiB: number }).memoryKiB).toBeLessThanOrEqual(1024 * 1024);
    expect(info.keyBits).toBe(512);
  });

  it('a header without key slots still parses', () => {
    const json = JSON.parse(text('luks2-ephemeral.json'));
    json.keyslots = {};
    const info = parseLuks2Json(JSON.stringify(json), { uuid: 'u' });
    expect(info).toMatchObject({ keyslots: [], pbkdf: undefined, keyBits: undefined });
  });

  it('names the field when the metadata is not what cryptsetup 2.6 prints', () => {
    expect(() => parseLuks2Json('not json', { uuid: 'u' })).toThrow(/cannot read LUKS2 metadata .*not JSON/);
    const json = JSON.parse(text('luks2-ephemeral.json'));
    delete json.segments['0'].sector_size;
    expect(() => parseLuks2Json(JSON.stringify(json), { uuid: 'u' })).toThrow(/segments\.0\.sector_size is not a number/);
    json.segments['0'].sector_size = 512;
    json.keyslots['0'].kdf.type = 'scrypt';
    expect(() => parseLuks2Json(JSON.stringify(json), { uuid: 'u' })).toThrow(/kdf.type "scrypt" is unknown/);
  });
});

describe('LUKS1 text dump', () => {
  it('reads cipher, key size, payload offset and the enabled slots', () => {
    expect(parseLuks1Text(text('luks1-2slots.txt'))).toEqual({
      type: 'luks1',
      uuid: textDumpField('luks1-2slots.txt', 'UUID'),
      label: undefined,
      cipher: 'aes-xts-plain64',
      keyBits: 512,
      sectorSize: 512,
      dataOffsetBytes: 4096 * 512,
      pbkdf: { type: 'pbkdf2', hash: 'sha256', iterations: 1000 },
      keyslots: [
        { slot: 0, pbkdf: { type: 'pbkdf2', hash: 'sha256', iterations: 1000 } },
        { slot: 1, pbkdf: { type: 'pbkdf2', hash: 'sha256', iterations: 2000 } },
      ],
    });
  });

  it('refuses a LUKS2 text dump', () => {
    expect(() => parseLuks1Text(text('luks2-ephemeral.txt'))).toThrow(/version is 2, not 1/);
  });
});

describe('LUKS header bytes', () => {
  it('LUKS2: version, UUID and label match what luksDump printed for the same device', () => {
    expect(parseLuksHeader(bytes('luks2-ephemeral.head.bin'))).toEqual({
      luks: true,
      version: 2,
      uuid: textDumpField('luks2-ephemeral.txt', 'UUID'),
      label: textDumpField('luks2-ephemeral.txt', 'Label'),
      primaryIntact: true,
      headerOffset: 0,
    });
  });

  it('LUKS1: version and UUID, no label', () => {
    const header = parseLuksHeader(bytes('luks1.head.bin'));
    expect(header).toEqual({ luks: true, version: 1, uuid: textDumpField('luks1-2slots.txt', 'UUID'), primaryIntact: true, headerOffset: 0 });
  });

  it('rejects zeros, other magic, a future version and a truncated read', () => {
    expect(parseLuksHeader(Buffer.alloc(512))).toEqual({ luks: false });
    expect(parseLuksHeader(bytes('luks2-ephemeral.secondary.bin'))).toEqual({ luks: false }); // "SKUL" is not a primary
    const future = Buffer.from(bytes('luks2-ephemeral.head.bin'));
    future.writeUInt16BE(3, 6);
    expect(parseLuksHeader(future)).toEqual({ luks: false });
    expect(parseLuksHeader(bytes('luks2-ephemeral.head.bin').subarray(0, 100))).toEqual({ luks: false });
  });

  describe('read from a device', () => {
    const { dir, cleanup } = tempDir();
    afterAll(cleanup);
    const host = createHost({ root: dir, log: memoryLogger() });
    const device = (name: string, parts: Array<[number, Buffer]>, size = 8 * 2 ** 20): string => {
      const image = Buffer.alloc(size);
      for (const [offset, data] of parts) data.copy(image, offset);
      writeFileSync(path.join(dir, name), image);
      return `/${name}`;
    };

    it('finds the primary header', async () => {
      const dev = device('primary.img', [[0, bytes('luks2-ephemeral.head.bin')], [16384, bytes('luks2-ephemeral.secondary.bin')]]);
      await expect(readLuksHeader(host, dev)).resolves.toMatchObject({ luks: true, version: 2, primaryIntact: true });
    });

    it('falls back to the LUKS2 secondary header when the primary is gone', async () => {
      const dev = device('secondary.img', [[16384, bytes('luks2-ephemeral.secondary.bin')]]);
      await expect(readLuksHeader(host, dev)).resolves.toEqual({
        luks: true,
        version: 2,
        uuid: textDumpField('luks2-ephemeral.txt', 'UUID'),
        label: 'oroot-ephemeral',
        primaryIntact: false,
        headerOffset: 16384,
      });
    });

    it('checks every offset a secondary header may have', async () => {
      const last = LUKS2_SECONDARY_OFFSETS.at(-1)!;
      const dev = device('far.img', [[last, bytes('luks2-ephemeral.secondary.bin')]]);
      await expect(readLuksHeader(host, dev)).resolves.toMatchObject({ luks: true, headerOffset: 4 * 2 ** 20 });
    });

    it('says no for a blank device and for one smaller than the offsets', async () => {
      await expect(readLuksHeader(host, device('blank.img', []))).resolves.toEqual({ luks: false });
      await expect(readLuksHeader(host, device('tiny.img', [], 100))).resolves.toEqual({ luks: false });
    });
  });
});

describe('cryptsetup status (recorded in a QEMU guest with dm-crypt)', () => {
  const stdout = (name: string): string => recordedRun(`runs/guest-${name}`).stdout;

  it('an open ephemeral volume: LUKS2, 4096-byte sectors, the no-workqueue flags', () => {
    expect(parseStatus('secure', stdout('status-active-ephemeral'))).toEqual({
      name: 'secure',
      path: '/dev/mapper/secure',
      inUse: false,
      type: 'LUKS2',
      cipher: 'aes-xts-plain64',
      keyBits: 512,
      device: '/dev/vda',
      loopFile: undefined,
      sectorSize: 4096,
      offsetSectors: 4096, // 2 MiB: the ephemeral header with its 1 MiB keyslots area
      sizeSectors: 126976,
      readOnly: false,
      flags: ['no_read_workqueue', 'no_write_workqueue'],
    });
  });

  it('in use, plain and read-only mappings', () => {
    expect(parseStatus('secure', stdout('status-active-in-use'))?.inUse).toBe(true);
    expect(parseStatus('inner', stdout('status-active-plain'))).toMatchObject({ type: 'PLAIN', device: '/dev/mapper/secure', offsetSectors: 0, flags: ['no_read_workqueue', 'no_write_workqueue'] });
    expect(parseStatus('secure', stdout('status-active-readonly'))?.readOnly).toBe(true);
  });

  it('an inactive name is undefined, and the "not mapped" messages are recognised', () => {
    expect(parseStatus('secure', stdout('status-inactive'))).toBeUndefined();
    expect(saysInactive(stdout('status-inactive'))).toBe(true);
    expect(saysInactive(recordedRun('runs/guest-close-inactive').stderr)).toBe(true);
    expect(saysInactive(recordedRun('runs/guest-busy-close-in-use').stderr)).toBe(false);
    expect(saysInactive(recordedRun('runs/no-dm-close').stderr)).toBe(false);
  });

  it("the kernel's own table carries the flags and the 4096-byte sectors of both profiles, and hides the plain key", () => {
    const table = recordedRun('runs/guest-dmsetup-table').stdout;
    expect(table).toMatch(/^inner: .* crypt aes-xts-plain64 0+ .* no_read_workqueue no_write_workqueue sector_size:4096$/m);
    expect(table).toMatch(/^secure: .* no_read_workqueue no_write_workqueue sector_size:4096$/m);
  });
});
