// KeyRef → Secret, at the moment the boot needs the key. Files are read through the host (the
// root filesystem under `rootmnt`, the initramfs, or the copy taken from the config disk while it
// was mounted); decryption is node:crypto's AES-256-CBC. Nothing here logs key material.
import path from 'node:path';
import { InputError, InternalError } from '../../errors.js';
import type { Host } from '../../system/host.js';
import { Secret } from '../../system/secret.js';
import { checkMasterKey } from '../../system/secret-cipher.js';
import { finishSecret, readSecret, type SecretFormat } from '../../system/secret-input.js';
import { configDiskFile } from './cfgdisk-store.js';
import type { KeyFileBase, KeyRef } from './types.js';

export interface LoadKeyOptions {
  /** Where the root filesystem is mounted: '/root' in the initramfs, '/' on a running system. */
  readonly rootmnt: string;
}

/** Load the key a crypt config names. A generated key is not loaded here (the entropy module makes it). */
export async function loadKey(host: Host, key: KeyRef, options: LoadKeyOptions): Promise<Secret> {
  switch (key.kind) {
    case 'generated':
      throw new InternalError('loadKey() was asked for a generated key; derive it with the entropy module instead');
    case 'passphrase':
      return new Secret(Buffer.from(key.secret.reveal()));
    case 'keyfile':
      return readKeyFile(host, key, options, { what: `key file (keyfile= from ${key.source})`, format: key.format });
    case 'encrypted': {
      const what = `encrypted passphrase (pass_enc= from ${key.source})`;
      const masterKey = await readKeyFile(host, key.masterKey, options, { what: `master key (masterkey= from ${key.source})`, format: key.masterKey.format });
      try {
        checkMasterKey(masterKey, `${describePath(key.masterKey)} (masterkey= from ${key.source})`);
        const ciphertext = Buffer.from(key.ciphertextBase64, 'base64');
        return finishSecret(ciphertext, what, { decrypt: { masterKey, iv: Buffer.from(key.ivBase64, 'base64') } });
      } finally {
        masterKey.wipe();
      }
    }
  }
}

interface KeyFileRef {
  readonly path: string;
  readonly base: KeyFileBase;
}

async function readKeyFile(host: Host, ref: KeyFileRef, options: LoadKeyOptions, how: { what: string; format: SecretFormat }): Promise<Secret> {
  const label = `${how.what}: ${describePath(ref)}`;
  if (ref.base === 'cfgdisk') {
    const stored = configDiskFile(ref.path);
    if (!stored) {
      throw new InputError(label, 'was not read while the config disk was mounted', {
        hint: 'The config disk was not found or could not be mounted at boot; see the config disk messages above.',
      });
    }
    if ((stored.mode & 0o077) !== 0) host.log.warn(`${label} is accessible by group or others on the config disk; make it 0400`);
    return finishSecret(stored.bytes, label, { format: how.format });
  }
  const machinePath = ref.base === 'root' ? path.posix.join(options.rootmnt, ref.path) : ref.path;
  return readSecret({ kind: 'file', path: host.path(machinePath) }, { what: how.what, label, format: how.format, log: host.log });
}

function describePath(ref: KeyFileRef): string {
  const where = { cfgdisk: 'on the config disk', root: 'on the root filesystem', initramfs: 'in the initramfs' }[ref.base];
  return `${ref.path} ${where}`;
}
