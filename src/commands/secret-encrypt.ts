// `oroot secret encrypt`: make the pass_enc=/pass_iv= option text for an encrypted passphrase.
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CommandSpec } from './spec.js';

interface EncryptFlags {
  masterKey: string;
  masterKeyFormat: 'raw' | 'base64';
  input: string;
  inputFormat: 'raw' | 'base64';
}

export const secretEncryptCommand: CommandSpec = {
  name: 'secret encrypt',
  summary: 'Encrypt a passphrase with a master key (AES-256-CBC, fresh IV) into pass_enc=…,pass_iv=… option text',
  example: 'oroot secret encrypt --master-key master.key --input passphrase.txt',
  define(command: Command) {
    command
      .requiredOption('-m, --master-key <FILE|fd:N>', 'the 32-byte master key (the instance reads the same key through masterkey=PATH)')
      .addOption(new Option('--master-key-format <FORMAT>', 'how the master key file is encoded').choices(['raw', 'base64']).default('raw'))
      .option('-i, --input <FILE|-|fd:N>', 'the passphrase to encrypt: a file, stdin (-) or a file descriptor; used byte for byte', '-')
      .addOption(new Option('--input-format <FORMAT>', 'how the passphrase input is encoded').choices(['raw', 'base64']).default('raw'))
      .addHelpText(
        'after',
        `
Prints one line: pass_enc=BASE64,pass_iv=BASE64. Add masterkey=PATH (where the instance keeps the
master key; masterkey_format=base64 if it is base64) and use it in a crypt value, e.g.
  overlayroot="crypt:dev=/dev/xvdb,pass_enc=…,pass_iv=…,masterkey=/etc/oroot/master.key"
Each run uses a fresh random IV, so the output differs every time; any output works with its key.

Examples:
  $ head -c 32 /dev/urandom > master.key && chmod 600 master.key
  $ printf %s 'long passphrase' | oroot secret encrypt --master-key master.key
  $ oroot secret encrypt -m master.b64 --master-key-format base64 -i pass.txt`,
      )
      .action(async (flags: EncryptFlags) => {
        const { parseSecretSource, readSecret } = await import('../system/secret-input.js');
        const { encryptedPassOption } = await import('../overlayroot/config/pass-enc.js');
        const { stderrLogger } = await import('../system/log.js');
        const masterSource = parseSecretSource(flags.masterKey, '--master-key');
        const inputSource = parseSecretSource(flags.input, '--input');
        if (masterSource.kind === 'stdin' && inputSource.kind === 'stdin') {
          throw new UsageError('--master-key and --input cannot both be stdin');
        }
        const log = stderrLogger();
        const masterKey = await readSecret(masterSource, { what: 'master key', format: flags.masterKeyFormat, log });
        const passphrase = await readSecret(inputSource, { what: 'passphrase', format: flags.inputFormat, log }).catch((error: unknown) => {
          masterKey.wipe();
          throw error;
        });
        try {
          process.stdout.write(`${encryptedPassOption(passphrase, masterKey)}\n`);
        } finally {
          masterKey.wipe();
          passphrase.wipe();
        }
      });
  },
};
