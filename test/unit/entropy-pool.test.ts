import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntropyPool, POOL_MAGIC, frameHeader } from '../../src/entropy/pool.js';
import { passphraseFromDigest } from '../../src/entropy/passphrase.js';
import { MAGIC, frame } from '../fixtures/entropy/fixture.js';

type Source = { name: string; data: Buffer };

/** Decode a framed stream (after the magic) back into its sources, or throw if it does not parse. */
function decode(stream: Buffer): Source[] {
  const sources: Source[] = [];
  let at = 0;
  while (at < stream.length) {
    const nameLength = stream.readUInt16BE(at);
    const name = stream.subarray(at + 2, at + 2 + nameLength).toString('ascii');
    const dataLength = stream.readUInt32BE(at + 2 + nameLength);
    const start = at + 6 + nameLength;
    if (start + dataLength > stream.length) throw new Error('truncated');
    sources.push({ name, data: stream.subarray(start, start + dataLength) });
    at = start + dataLength;
  }
  return sources;
}

const sourceArbitrary = fc.record({
  name: fc.stringMatching(/^[a-z:/_.]{0,20}$/),
  data: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
});

describe('pool framing', () => {
  it('lays out name length, name, data length as documented', () => {
    expect(frameHeader('csprng', 4096)).toEqual(Buffer.from([0, 6, ...Buffer.from('csprng'), 0, 0, 0x10, 0]));
    expect(POOL_MAGIC.toString('ascii')).toBe('oroot-entropy-v1\n');
  });

  it('hashes exactly MAGIC followed by the framed sources', () => {
    const pool = new EntropyPool();
    pool.add('boot_id', Buffer.from('a\n'));
    pool.add('csprng', Buffer.alloc(10, 7));
    const expected = createHash('sha512')
      .update(Buffer.concat([MAGIC, frame('boot_id', Buffer.from('a\n')), frame('csprng', Buffer.alloc(10, 7))]))
      .digest();
    expect(pool.digest()).toEqual(expected);
    expect(pool.names).toEqual(['boot_id', 'csprng']);
  });

  it('decodes back to exactly the sources it was built from, so different source sets never share a stream', () => {
    fc.assert(
      fc.property(fc.array(sourceArbitrary, { maxLength: 6 }), (sources) => {
        const stream = Buffer.concat(sources.map((s) => Buffer.concat([frameHeader(s.name, s.data.length), s.data])));
        expect(decode(stream)).toEqual(sources);
      }),
    );
  });

  it('moving bytes from one source to the next changes the digest (raw concatenation would not)', () => {
    const digestOf = (sources: Source[]): string => {
      const pool = new EntropyPool();
      for (const s of sources) pool.add(s.name, s.data);
      return pool.digest().toString('hex');
    };
    const a = digestOf([{ name: 'x', data: Buffer.from('ab') }, { name: 'x', data: Buffer.from('c') }]);
    const b = digestOf([{ name: 'x', data: Buffer.from('a') }, { name: 'x', data: Buffer.from('bc') }]);
    const missing = digestOf([{ name: 'x', data: Buffer.from('abc') }]);
    expect(new Set([a, b, missing]).size).toBe(3);
  });

  it('cannot be used after the digest', () => {
    const pool = new EntropyPool();
    pool.digest();
    expect(() => pool.add('late', Buffer.alloc(1))).toThrow(/already digested/);
  });
});

describe('passphrase', () => {
  it('is the lowercase hex of the digest, as 128 ASCII bytes, and wipes the digest', () => {
    const digest = createHash('sha512').update('fixture').digest();
    const expected = digest.toString('hex');
    const passphrase = passphraseFromDigest(digest);
    expect(passphrase.reveal().toString('ascii')).toBe(expected);
    expect(passphrase.reveal().toString('ascii')).toMatch(/^[0-9a-f]{128}$/);
    expect(digest.every((b) => b === 0)).toBe(true);
  });

  it('never prints itself', () => {
    const passphrase = passphraseFromDigest(createHash('sha512').update('fixture').digest());
    const text = passphrase.reveal().toString('ascii');
    expect(`${passphrase}`).not.toContain(text);
    expect(JSON.stringify({ passphrase })).not.toContain(text);
    expect(inspect(passphrase)).not.toContain(text);
  });
});
