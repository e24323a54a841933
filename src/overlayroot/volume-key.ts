// The key bytes a crypt profile takes. LUKS profiles take the passphrase as it is. The plain
// profile uses key bytes directly as the dm-crypt volume key, exactly keyBytes of them: a generated
// passphrase is the 128-hex SHA-512 digest, and its 64 raw bytes are that key (all 512 bits). The
// boot and `oroot recover` both go through here, so a kept key opens a plain volume again.
import type { ResolvedProfile } from '../cryptsetup-wrap/profiles.js';
import { Secret } from '../system/secret.js';

/** The key to hand to cryptsetup; a new Secret (the caller wipes it) when it had to be decoded. */
export function keyForProfile(key: Secret, profile: ResolvedProfile): Secret {
  if (profile.keyBytes === undefined || key.length === profile.keyBytes) return key;
  const text = key.reveal().toString('latin1').trim();
  if (/^[0-9a-f]+$/i.test(text) && text.length === profile.keyBytes * 2) return new Secret(Buffer.from(text, 'hex'));
  return key; // the cryptsetup wrapper refuses it with a message naming the expected length
}
