// The pool: one SHA-512 over every source that was read, with framing that makes the hashed
// stream decode in exactly one way, so no two different sets of sources can produce the same
// stream (overlayroot concatenated raw outputs, where "ab"+"c" and "a"+"bc" hash alike).
//
//   stream = MAGIC record*
//   MAGIC  = "oroot-entropy-v1\n"                      (17 ASCII bytes, a version and domain tag)
//   record = u16be nameLength, name (ASCII), u32be dataLength, data
//
// Records appear in the order sources are read (see docs/entropy.md); sources that were missing
// or failed are absent, and the report says so.
import { createHash, type Hash } from 'node:crypto';
import { InternalError } from '../errors.js';

export const POOL_MAGIC = Buffer.from('oroot-entropy-v1\n', 'ascii');
const MAX_NAME = 0xffff;
const MAX_DATA = 0xffffffff;

/** The bytes that precede a source's data in the stream. */
export function frameHeader(name: string, dataLength: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > MAX_NAME) throw new InternalError(`entropy source name too long: ${name.slice(0, 40)}…`);
  if (dataLength > MAX_DATA) throw new InternalError(`entropy source ${name} is too large to frame`);
  const header = Buffer.alloc(2 + nameBytes.length + 4);
  header.writeUInt16BE(nameBytes.length, 0);
  nameBytes.copy(header, 2);
  header.writeUInt32BE(dataLength, 2 + nameBytes.length);
  return header;
}

export class EntropyPool {
  readonly #hash: Hash = createHash('sha512').update(POOL_MAGIC);
  readonly #names: string[] = [];
  #finished = false;

  /** Frame and hash one source's bytes. The caller wipes `data` afterwards if it is secret. */
  add(name: string, data: Buffer): void {
    if (this.#finished) throw new InternalError('entropy pool already digested');
    this.#hash.update(frameHeader(name, data.length)).update(data);
    this.#names.push(name);
  }

  /** Names of the sources hashed so far, in order. */
  get names(): readonly string[] {
    return this.#names;
  }

  /** The 64-byte SHA-512 digest. The pool cannot be used afterwards. */
  digest(): Buffer {
    this.#finished = true;
    return this.#hash.digest();
  }
}
