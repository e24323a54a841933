// Turns the key options of a crypt value into a KeyRef: nothing, pass=, keyfile= or
// pass_enc=+pass_iv=+masterkey=. Paths are resolved here (relative to the file that names them),
// and the encrypted form's base64 is checked, so a bad key setting fails before any side effect.
import path from 'node:path';
import { InputError } from '../../errors.js';
import { Secret } from '../../system/secret.js';
import type { KeyFileBase, KeyRef } from './types.js';
import { strictBase64 } from '../../system/secret-input.js';
import { fail } from './values.js';
import { REDACTED } from './redact.js';

/** Where the file holding an overlayroot= value lives, which decides what key paths mean. */
export type KeyPathContext =
  /** The kernel command line: no directory, so only absolute paths (on the root filesystem). */
  | { readonly origin: 'cmdline' }
  /** A file: relative paths start at `dir` on that file's filesystem. Absolute paths are on the
   *  root filesystem, except in the initramfs's own conf.d file, where they are in the initramfs. */
  | { readonly origin: KeyFileBase; readonly dir: string };

export const CMDLINE_KEYS: KeyPathContext = { origin: 'cmdline' };

export interface KeyOptions {
  readonly pass?: string | undefined;
  readonly keyfile?: string | undefined;
  readonly keyfileFormat?: 'raw' | 'base64' | undefined;
  readonly passEnc?: string | undefined;
  readonly passIv?: string | undefined;
  readonly masterkey?: string | undefined;
  readonly masterkeyFormat?: 'raw' | 'base64' | undefined;
}

export function buildKeyRef(o: KeyOptions, context: KeyPathContext, source: string): KeyRef {
  const given = [o.pass ? 'pass' : '', o.keyfile !== undefined ? 'keyfile' : '', o.passEnc !== undefined ? 'pass_enc' : ''].filter(Boolean);
  if (given.length > 1) {
    throw new InputError(source, `give one key only, not ${given.join(' and ')}`, {
      hint: 'Use keyfile= (a file) or pass_enc= (an encrypted passphrase); pass= is clear text.',
    });
  }
  if (o.keyfileFormat !== undefined && o.keyfile === undefined) {
    fail(source, 'keyfile_format', o.keyfileFormat, 'needs keyfile=');
  }
  if (o.passEnc === undefined) {
    const stray: [string, unknown][] = [['pass_iv', o.passIv], ['masterkey', o.masterkey], ['masterkey_format', o.masterkeyFormat]];
    for (const [name, value] of stray) {
      if (value !== undefined) throw new InputError(source, `\`${name}\` needs pass_enc= (the encrypted passphrase)`);
    }
  }

  if (o.pass) return { kind: 'passphrase', source, secret: Secret.fromString(o.pass) };
  if (o.keyfile !== undefined) {
    return { kind: 'keyfile', source, ...resolveKeyPath(o.keyfile, context, source, 'keyfile'), format: o.keyfileFormat ?? 'raw' };
  }
  if (o.passEnc !== undefined) return encryptedKeyRef(o, context, source);
  return { kind: 'generated', source };
}

function encryptedKeyRef(o: KeyOptions, context: KeyPathContext, source: string): KeyRef {
  const ciphertext = strictBase64(o.passEnc ?? '');
  if (!ciphertext || ciphertext.length % 16 !== 0) {
    fail(source, 'pass_enc', REDACTED, 'must be the base64 of AES-256-CBC ciphertext (a non-empty multiple of 16 bytes)', 'Make it with `oroot secret encrypt`.');
  }
  if (o.passIv === undefined) throw new InputError(source, '`pass_enc` needs pass_iv= (the base64 of its 16-byte IV)');
  const iv = strictBase64(o.passIv);
  if (!iv || iv.length !== 16) fail(source, 'pass_iv', o.passIv, 'must be the base64 of 16 bytes');
  if (o.masterkey === undefined) throw new InputError(source, '`pass_enc` needs masterkey= (the file holding the 32-byte master key)');
  return {
    kind: 'encrypted',
    source,
    ciphertextBase64: ciphertext.toString('base64'),
    ivBase64: iv.toString('base64'),
    masterKey: { ...resolveKeyPath(o.masterkey, context, source, 'masterkey'), format: o.masterkeyFormat ?? 'raw' },
  };
}

/** Resolve a key path against the file that named it; see KeyPathContext. */
export function resolveKeyPath(file: string, context: KeyPathContext, source: string, key: string): { path: string; base: KeyFileBase } {
  if (context.origin === 'cmdline') {
    if (!file.startsWith('/')) {
      fail(source, key, file, 'is relative, but the kernel cmdline has no directory to be relative to', 'Give an absolute path on the root filesystem, or set the key in a config file.');
    }
    return { path: file, base: 'root' };
  }
  if (file.startsWith('/')) return { path: file, base: context.origin === 'initramfs' ? 'initramfs' : 'root' };
  const normalized = path.posix.normalize(file);
  if (context.origin === 'cfgdisk' && (normalized === '..' || normalized.startsWith('../'))) {
    fail(source, key, file, 'points outside the config disk');
  }
  return { path: path.posix.join(context.dir, normalized), base: context.origin };
}
