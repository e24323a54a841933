// User-data size limits per platform, and the decision to gzip. Limits are on the raw bytes the
// instance receives (the launchers base64-encode on the way); OpenStack states its limit on the
// base64 text, which we convert.
//   EC2         "limited to 16 KB, in raw form, before it is base64-encoded"
//   Eucalyptus  cloud.vmstate.user_data_max_size_kb, default 16 (KiB, after base64 decoding);
//               an administrator may raise it to 64 (pass the byte count then)
//   OpenStack   Nova's API caps the base64 user_data string at 65535 characters
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';

export interface Limit {
  /** "ec2", "openstack", "16384 bytes" ... as shown to the user. */
  name: string;
  /** Largest raw user-data in bytes; undefined for no limit. */
  rawBytes: number | undefined;
}

export const PLATFORM_LIMITS: Readonly<Record<string, Limit>> = {
  ec2: { name: 'ec2', rawBytes: 16384 },
  eucalyptus: { name: 'eucalyptus', rawBytes: 16 * 1024 },
  openstack: { name: 'openstack', rawBytes: rawBytesForBase64(65535) },
  none: { name: 'none', rawBytes: undefined },
};

export const DEFAULT_LIMIT = PLATFORM_LIMITS.ec2!;
export const MAX_BYTE_LIMIT = 1024 * 1024;

/** Size of n bytes once base64-encoded (what the cloud API carries). */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

function rawBytesForBase64(characters: number): number {
  return Math.floor(characters / 4) * 3;
}

/** Parse --limit: a platform name or a byte count. */
export function parseLimit(text: string | undefined): Limit {
  if (text === undefined) return DEFAULT_LIMIT;
  const named = PLATFORM_LIMITS[text.trim().toLowerCase()];
  if (named) return named;
  const trimmed = text.trim();
  const bytes = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (Number.isSafeInteger(bytes) && bytes >= 1 && bytes <= MAX_BYTE_LIMIT) return { name: `${bytes} bytes`, rawBytes: bytes };
  throw new UsageError(`--limit ${text}: expected one of ${Object.keys(PLATFORM_LIMITS).join(', ')} or a byte count from 1 to ${MAX_BYTE_LIMIT}`, {
    hint: 'ec2 and eucalyptus allow 16384 raw bytes, openstack 49149 (65535 in base64).',
  });
}

export type GzipMode = 'auto' | 'always' | 'never';

// node:zlib takes a few milliseconds to load and most runs never compress: load it on first use.
function gzip(data: Buffer): Buffer {
  const zlib = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  return zlib.gzipSync(data, { level: 9 });
}

export interface Fitted {
  bytes: Buffer;
  gzipped: boolean;
  /** Size before compression. */
  textBytes: number;
}

/**
 * Compress when asked (or when the input was gzip), or in auto mode only when the text does not
 * fit; refuse when the result still does not fit. `describeSource` names the merged file.
 */
export function fitToLimit(text: Buffer, limit: Limit, mode: GzipMode, describeSource: string): Fitted {
  const max = limit.rawBytes;
  const mustGzip = mode === 'always' || (mode === 'auto' && max !== undefined && text.length > max);
  const bytes = mustGzip ? gzip(text) : text;
  if (max !== undefined && bytes.length > max) throw tooLarge(text.length, bytes.length, mustGzip, limit, mode, describeSource);
  return { bytes, gzipped: mustGzip, textBytes: text.length };
}

function tooLarge(textBytes: number, finalBytes: number, gzipped: boolean, limit: Limit, mode: GzipMode, source: string): UsageError {
  const size = gzipped ? `${textBytes} bytes, and still ${finalBytes} bytes gzipped` : `${textBytes} bytes`;
  const ways = [
    mode === 'never' ? 'allow gzip (drop --no-gzip)' : undefined,
    limit.name !== 'openstack' && limit.name !== 'none' ? 'raise --limit if your platform allows more (openstack, or a byte count)' : undefined,
    'use a smaller --bytes',
    source === '' ? undefined : `move large content out of ${source} (#include a URL, or write_files with a source URL on cloud-init 24.3+)`,
  ].filter((way) => way !== undefined);
  return new UsageError(`the user-data would be ${size}, over the ${limit.name} limit of ${limit.rawBytes} raw bytes`, {
    hint: `To fit: ${ways.join('; ')}.`,
  });
}

/** True when a size is within 10% of the limit, worth telling the user about. */
export function isNearLimit(bytes: number, limit: Limit): boolean {
  return limit.rawBytes !== undefined && bytes > limit.rawBytes * 0.9;
}
