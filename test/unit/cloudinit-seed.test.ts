import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { CSPRNG, eachSeed, parseSeedBytes, parseSeedSource, readSeeds, SEED_BYTES } from '../../src/cloudinit/seed.js';
import { tempDir } from '../helpers/machine.js';

const scratch = tempDir('oroot-seed-');
afterAll(() => scratch.cleanup());

describe('parseSeedBytes', () => {
  it.each([['32', 32], ['512', 512], [' 8192 ', 8192]])('accepts %j', (text, value) => {
    expect(parseSeedBytes(text)).toBe(value);
  });

  it.each(['31', '8193', '0', '-5', '12.5', '1e3', 'abc', ''])('refuses %j with the bounds in the message', (text) => {
    expect(() => parseSeedBytes(text)).toThrow(UsageError);
    expect(() => parseSeedBytes(text)).toThrow(`from ${SEED_BYTES.min} to ${SEED_BYTES.max}`);
  });
});

describe('readSeeds', () => {
  it('gives count × bytes from the CSPRNG, every seed different', async () => {
    const batch = await readSeeds(CSPRNG, 64, 100);
    expect(batch.length).toBe(6400);
    const seeds = [...eachSeed(batch, 64)].map((seed) => seed.toString('hex'));
    expect(seeds).toHaveLength(100);
    expect(new Set(seeds).size).toBe(100);
  });

  it('reads exactly the bytes of a named source, in order', async () => {
    const file = path.join(scratch.dir, 'known');
    const known = Buffer.from(Array.from({ length: 96 }, (_, i) => i));
    writeFileSync(file, known);
    const batch = await readSeeds(parseSeedSource(file), 32, 3);
    expect(batch.equals(known)).toBe(true);
    expect([...eachSeed(batch, 32)].map((seed) => seed[0])).toEqual([0, 32, 64]);
  });

  it('reads from a character device', async () => {
    const batch = await readSeeds(parseSeedSource('/dev/urandom'), 512, 2);
    expect(batch.length).toBe(1024);
    expect(batch.subarray(0, 512).equals(batch.subarray(512))).toBe(false);
  });

  it('refuses a source that runs out instead of returning a short seed', async () => {
    const file = path.join(scratch.dir, 'short');
    writeFileSync(file, Buffer.alloc(100, 7));
    await expect(readSeeds(parseSeedSource(file), 64, 2)).rejects.toThrow(`--source ${file}: it gave only 100 of the 128 bytes needed`);
  });

  it('names a missing device and suggests the CSPRNG', async () => {
    const error = await readSeeds(parseSeedSource('/dev/no-such-rng'), 32, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('--source /dev/no-such-rng: cannot read it: no such file or directory');
    expect((error as UsageError).hint).toMatch(/Omit --source/);
  });

  it('treats "csprng" and no value as the OS CSPRNG', () => {
    expect(parseSeedSource(undefined)).toEqual(CSPRNG);
    expect(parseSeedSource('csprng')).toEqual(CSPRNG);
  });
});
