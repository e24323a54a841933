import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { base64Length, fitToLimit, isNearLimit, parseLimit, PLATFORM_LIMITS } from '../../src/cloudinit/limits.js';

// Base64 text of random bytes: what a seed looks like, and about as incompressible.
const randomText = (bytes: number) => Buffer.from(randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes));

describe('parseLimit', () => {
  it.each([
    [undefined, 'ec2', 16384],
    ['EC2', 'ec2', 16384],
    ['eucalyptus', 'eucalyptus', 16384],
    ['openstack', 'openstack', 49149],
    ['none', 'none', undefined],
    ['65536', '65536 bytes', 65536],
  ])('%j is %s (%s raw bytes)', (text, name, rawBytes) => {
    expect(parseLimit(text)).toEqual({ name, rawBytes });
  });

  it('knows OpenStack\'s limit is 65535 characters of base64', () => {
    const raw = PLATFORM_LIMITS.openstack!.rawBytes!;
    expect(base64Length(raw)).toBeLessThanOrEqual(65535);
    expect(base64Length(raw + 1)).toBeGreaterThan(65535);
  });

  it.each(['aws', '0', '-1', '16k', '2000000'])('refuses %j and lists what is accepted', (text) => {
    expect(() => parseLimit(text)).toThrow(UsageError);
    expect(() => parseLimit(text)).toThrow('expected one of ec2, eucalyptus, openstack, none or a byte count from 1 to 1048576');
  });
});

describe('fitToLimit', () => {
  const ec2 = PLATFORM_LIMITS.ec2!;

  it('leaves text that fits alone in auto mode', () => {
    const text = randomText(16384);
    const fitted = fitToLimit(text, ec2, 'auto', '');
    expect(fitted).toEqual({ bytes: text, gzipped: false, textBytes: 16384 });
  });

  it('gzips in auto mode when the text is over the limit and gzip brings it under', () => {
    const text = Buffer.concat([Buffer.from('#cloud-config\n'), Buffer.alloc(20000, 'a')]);
    const fitted = fitToLimit(text, ec2, 'auto', '');
    expect(fitted.gzipped).toBe(true);
    expect(fitted.bytes.length).toBeLessThanOrEqual(16384);
    expect(gunzipSync(fitted.bytes).equals(text)).toBe(true);
  });

  it('always gzips when asked, even small text', () => {
    expect(fitToLimit(Buffer.from('#cloud-config\n'), ec2, 'always', '').gzipped).toBe(true);
  });

  it('refuses with sizes and ways out when even gzip does not fit', () => {
    const error = (() => {
      try {
        return fitToLimit(randomText(30000), ec2, 'auto', 'big.yaml');
      } catch (e) {
        return e as UsageError;
      }
    })() as UsageError;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^the user-data would be 30000 bytes, and still \d+ bytes gzipped, over the ec2 limit of 16384 raw bytes$/);
    expect(error.hint).toMatch(/raise --limit .*openstack.*smaller --bytes.*move large content out of big\.yaml/);
  });

  it('refuses in never mode rather than compress', () => {
    const text = Buffer.alloc(16385, 'a');
    expect(() => fitToLimit(text, ec2, 'never', '')).toThrow('the user-data would be 16385 bytes, over the ec2 limit of 16384 raw bytes');
  });

  it('has no ceiling with none', () => {
    expect(fitToLimit(Buffer.alloc(200000, 'a'), PLATFORM_LIMITS.none!, 'auto', '').gzipped).toBe(false);
  });

  it('calls sizes within 10% of the limit near', () => {
    expect(isNearLimit(14745, ec2)).toBe(false);
    expect(isNearLimit(14746, ec2)).toBe(true);
    expect(isNearLimit(10 ** 9, PLATFORM_LIMITS.none!)).toBe(false);
  });
});
