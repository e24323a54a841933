// The passphrase format overlayroot users and tools expect: the SHA-512 digest as 128 lowercase
// hex characters, no newline. It is built byte by byte into a Buffer rather than through
// digest('hex'), because a JavaScript string cannot be wiped and may be copied by the engine.
import { Secret } from '../system/secret.js';

export const PASSPHRASE_LENGTH = 128;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'ascii');

/** Turn a 64-byte digest into the ASCII passphrase, and zero the digest. */
export function passphraseFromDigest(digest: Buffer): Secret {
  const text = Buffer.alloc(digest.length * 2);
  for (let i = 0; i < digest.length; i += 1) {
    const byte = digest[i] as number;
    text[2 * i] = HEX_DIGITS[byte >> 4] as number;
    text[2 * i + 1] = HEX_DIGITS[byte & 0x0f] as number;
  }
  digest.fill(0);
  return new Secret(text);
}
