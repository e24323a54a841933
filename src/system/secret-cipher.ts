// Encrypted secrets in the scheme QEMU's secret objects use: AES-256-CBC with PKCS#7 padding, a
// 32-byte master key and a fresh 16-byte IV per secret, so only ciphertext ever sits in a config
// file or on a command line. Compatible with `openssl enc -aes-256-cbc -K <hex> -iv <hex>`.
// node:crypto (OpenSSL) does the work; nothing here is hand-rolled.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InputError } from '../errors.js';
import { Secret } from './secret.js';

export const MASTER_KEY_BYTES = 32;
export const IV_BYTES = 16;
const CIPHER = 'aes-256-cbc';

/** Throw unless `key` is a usable master key; `what` names it in the message. */
export function checkMasterKey(key: Secret, what: string): void {
  if (key.length === MASTER_KEY_BYTES) return;
  const looksBase64 = key.length === 44 || key.length === 45;
  throw new InputError(what, `a master key must be exactly ${MASTER_KEY_BYTES} bytes, this one has ${key.length}`, {
    hint: looksBase64
      ? 'It looks base64-encoded: say so with the base64 format option (masterkey_format=base64, --master-key-format base64).'
      : 'Make one with: head -c 32 /dev/urandom > master.key (raw) or openssl rand -base64 32 > master.key.b64 (base64).',
  });
}

/** Encrypt with a fresh random IV. The plaintext Secret is not wiped (it belongs to the caller). */
export function encryptSecret(plaintext: Secret, masterKey: Secret): { ciphertext: Buffer; iv: Buffer } {
  checkMasterKey(masterKey, 'master key');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, masterKey.reveal(), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext.reveal()), cipher.final()]);
  return { ciphertext, iv };
}

/** Decrypt; a wrong master key or IV almost always fails the padding check and says so. */
export function decryptSecret(ciphertext: Buffer, iv: Buffer, masterKey: Secret, what: string): Secret {
  checkMasterKey(masterKey, what);
  if (iv.length !== IV_BYTES) throw new InputError(what, `the IV must be ${IV_BYTES} bytes, not ${iv.length}`);
  if (ciphertext.length === 0 || ciphertext.length % IV_BYTES !== 0) {
    throw new InputError(what, `the ciphertext must be a non-empty multiple of ${IV_BYTES} bytes, not ${ciphertext.length}`);
  }
  const decipher = createDecipheriv(CIPHER, masterKey.reveal(), iv);
  let first: Buffer | undefined;
  try {
    first = decipher.update(ciphertext);
    const plaintext = Buffer.concat([first, decipher.final()]);
    if (plaintext.length === 0) throw new InputError(what, 'the decrypted passphrase is empty');
    return new Secret(plaintext);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(what, 'could not decrypt the passphrase: wrong master key, wrong IV or damaged ciphertext', {
      hint: 'Check that pass_enc=/pass_iv= were made with `oroot secret encrypt` and this master key.',
    });
  } finally {
    first?.fill(0);
  }
}
