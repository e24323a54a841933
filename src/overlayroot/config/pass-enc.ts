// `oroot secret encrypt`: a passphrase → the option text `pass_enc=…,pass_iv=…` that the crypt
// mode decrypts at boot with a master key file. A fresh random IV every time.
import { encryptSecret } from '../../system/secret-cipher.js';
import type { Secret } from '../../system/secret.js';

export function encryptedPassOption(passphrase: Secret, masterKey: Secret): string {
  const { ciphertext, iv } = encryptSecret(passphrase, masterKey);
  return `pass_enc=${ciphertext.toString('base64')},pass_iv=${iv.toString('base64')}`;
}
