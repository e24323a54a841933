// Reading a secret (key, passphrase, master key) the safe ways only: from a file, an inherited
// file descriptor (fd:N) or stdin (-), raw or base64, optionally decrypted with a master key.
// Never from argv: a value on the command line shows in `ps`, shell history and audit logs.
import { constants, createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { InputError, UsageError } from '../errors.js';
import type { Logger } from './log.js';
import { Secret } from './secret.js';
import { decryptSecret } from './secret-cipher.js';

export type SecretFormat = 'raw' | 'base64';
export type SecretSource = { readonly kind: 'stdin' } | { readonly kind: 'fd'; readonly fd: number } | { readonly kind: 'file'; readonly path: string };

/** Large enough for any passphrase or key file; cryptsetup's own default limit is 8 MiB. */
export const MAX_SECRET_BYTES = 64 * 1024;

/** `-`, `fd:N` or a file name. `flag` names the option in messages ("--key-file"). */
export function parseSecretSource(text: string, flag: string): SecretSource {
  if (text === '-') return { kind: 'stdin' };
  const fd = /^fd:(\d{1,6})$/.exec(text);
  if (fd) return { kind: 'fd', fd: Number(fd[1]) };
  if (/^(pass|env|data|literal):/i.test(text)) {
    throw new UsageError(`${flag} takes a file, fd:N or - (stdin), never the secret itself`, {
      hint: 'A secret on the command line shows in ps, shell history and logs; put it in a file (chmod 600) or pipe it on stdin.',
    });
  }
  if (text === '') throw new UsageError(`${flag} needs a file name, fd:N or -`);
  return { kind: 'file', path: text };
}

export interface ReadSecretOptions {
  /** What the secret is, for messages: "key file", "master key". The file name is added to it. */
  readonly what: string;
  /** The complete name for messages, instead of `what` plus the file name. */
  readonly label?: string;
  readonly format?: SecretFormat;
  /** Decrypt the (decoded) bytes with AES-256-CBC under this master key and IV. */
  readonly decrypt?: { readonly masterKey: Secret; readonly iv: Buffer };
  /** Warnings (a group/world-accessible key file) go here. */
  readonly log?: Logger;
  readonly maxBytes?: number;
  /** Refuse a symbolic link as the last path component (files on an untrusted volume). */
  readonly noFollow?: boolean;
  readonly stdin?: NodeJS.ReadableStream;
}

/** Read, decode and optionally decrypt a secret. The intermediate buffers are wiped. */
export async function readSecret(source: SecretSource, options: ReadSecretOptions): Promise<Secret> {
  const max = options.maxBytes ?? MAX_SECRET_BYTES;
  const label =
    options.label ??
    (source.kind === 'file' ? `${options.what} ${source.path}` : `${options.what} (${source.kind === 'stdin' ? 'stdin' : `fd:${source.fd}`})`);
  let raw: Buffer;
  if (source.kind === 'file') raw = await readSecretFileBytes(source.path, label, options);
  else {
    const stream = source.kind === 'stdin' ? (options.stdin ?? process.stdin) : createReadStream('', { fd: source.fd, autoClose: false });
    raw = await readLimited(stream, max, label);
  }
  return finishSecret(raw, label, options);
}

/** Decode (and decrypt) bytes already read; `raw` is wiped. */
export function finishSecret(raw: Buffer, label: string, options: Pick<ReadSecretOptions, 'format' | 'decrypt'>): Secret {
  try {
    const decoded = decodeSecret(raw, options.format ?? 'raw', label);
    if (!options.decrypt) return new Secret(decoded);
    try {
      return decryptSecret(decoded, options.decrypt.iv, options.decrypt.masterKey, label);
    } finally {
      decoded.fill(0);
    }
  } finally {
    if (options.format === 'base64' || options.decrypt) raw.fill(0);
  }
}

/** raw: the bytes as they are (as cryptsetup --key-file reads them). base64: strict RFC 4648. */
export function decodeSecret(bytes: Buffer, format: SecretFormat, label: string): Buffer {
  if (bytes.length === 0) throw new InputError(label, 'is empty');
  if (format === 'raw') return bytes;
  const decoded = strictBase64(bytes.toString('latin1'));
  if (!decoded) throw new InputError(label, 'is not valid base64', { hint: 'Use the raw format for a file that holds the bytes themselves.' });
  if (decoded.length === 0) throw new InputError(label, 'is empty after base64 decoding');
  return decoded;
}

/** Standard padded base64 (RFC 4648 §4; line breaks allowed), decoded; undefined if it is not.
 *  Node's own decoder would silently skip bad characters. */
export function strictBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[\r\n\t ]/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

async function readSecretFileBytes(file: string, label: string, options: ReadSecretOptions): Promise<Buffer> {
  const flags = constants.O_RDONLY | (options.noFollow ? constants.O_NOFOLLOW : 0);
  let handle;
  try {
    handle = await open(file, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT' ? 'does not exist' : code === 'ELOOP' ? 'is a symbolic link, which is not followed here' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be opened (${code ?? String(error)})`;
    throw new InputError(label, problem);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new InputError(label, 'is a directory, not a file');
    if (info.isFile() && (info.mode & 0o077) !== 0) {
      options.log?.warn(`${label} is accessible by group or others (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it`);
    }
    return await readLimited(handle.createReadStream({ autoClose: false }), options.maxBytes ?? MAX_SECRET_BYTES, label);
  } finally {
    await handle.close();
  }
}

async function readLimited(stream: NodeJS.ReadableStream, max: number, label: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buffer.length;
    chunks.push(buffer);
    if (total > max) {
      for (const c of chunks) c.fill(0);
      throw new InputError(label, `is larger than ${max} bytes; that is not a key`);
    }
  }
  const all = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  return all;
}
