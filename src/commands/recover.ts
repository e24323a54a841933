// `oroot recover`: open an encrypted upper layer from outside the instance, read-only, and close it.
import { Option, type Command } from 'commander';
import type { CommandSpec } from './spec.js';

interface RecoverFlags {
  keyFile?: string;
  keyFormat: 'raw' | 'base64';
  name?: string;
  plain?: boolean;
  close?: boolean;
}

export const recoverCommand: CommandSpec = {
  name: 'recover',
  summary: 'Open an encrypted upper layer (a disk or a disk image) read-only with its key and mount it for inspection; --close undoes it.',
  example: 'oroot recover upper.img /mnt/upper --key-file overlayroot.passwd',
  define(command: Command) {
    command
      .argument('[SOURCE]', 'the volume: a block device (/dev/xvdf) or an image file (upper.img)')
      .argument('[DIR]', 'an existing directory to mount it on (read-only); with --close, the directory to release')
      .option('-k, --key-file <FILE|-|fd:N>', 'the key: a file, stdin (-) or an open file descriptor; never the key itself')
      .addOption(new Option('--key-format <FORMAT>', 'how the key input is encoded').choices(['raw', 'base64']).default('raw'))
      .option('--name <NAME>', 'device-mapper name to use (default oroot-recover)')
      .option('--plain', 'the volume was made with profile=plain (no LUKS header); the key is the 128-hex passphrase that boot kept')
      .option('--close', 'unmount DIR and close its mapping (and the loop device of an image)')
      .addHelpText(
        'after',
        `
Everything is read-only: the mapping (cryptsetup --readonly, a read-only loop device for an image)
and the mount (ro, plus noload for ext3/ext4 so no journal is replayed). The key is tested before
anything is opened; a wrong key fails with exit status 3 and changes nothing.
The key is the one the instance used: the keyfile=/pass_enc= key of a persistent volume, or the
kept passphrase /run/initramfs/overlayroot.passwd (keep_key=1) of an ephemeral one.

Examples:
  $ mkdir -p /mnt/upper
  $ oroot recover /dev/xvdf /mnt/upper --key-file upper.key
  $ ssh instance sudo cat /run/initramfs/overlayroot.passwd | oroot recover disk2.img /mnt/upper --key-file -
  $ ls /mnt/upper/overlay          # the files the instance wrote (its upper layer, dir=/overlay)
  $ oroot recover --close /mnt/upper
Details: docs/recovery.md.`,
      )
      .action(async (sourceOrDir: string | undefined, dir: string | undefined, flags: RecoverFlags) => {
        const { UsageError } = await import('../errors.js');
        const { createHost } = await import('../system/host.js');
        const recover = await import('../overlayroot/recover.js');
        const host = createHost();
        if (flags.close) {
          const target = dir ?? sourceOrDir;
          if (!target || (dir && sourceOrDir)) throw new UsageError('--close takes the directory only: oroot recover --close DIR');
          const closed = await recover.closeInspection(host, target);
          process.stdout.write(`unmounted ${closed.mountpoint}, closed ${closed.mapper}\n`);
          return;
        }
        if (!sourceOrDir || !dir) throw new UsageError('give the volume and a directory: oroot recover SOURCE DIR --key-file FILE');
        if (!flags.keyFile) throw new UsageError('--key-file is required to open a volume (a file, - for stdin, or fd:N)');
        const { parseSecretSource, readSecret } = await import('../system/secret-input.js');
        const key = await readSecret(parseSecretSource(flags.keyFile, '--key-file'), { what: 'key (--key-file)', format: flags.keyFormat, log: host.log });
        try {
          const opened = await recover.openForInspection(host, { source: sourceOrDir, mountpoint: dir, key, name: flags.name, plain: flags.plain });
          const slot = opened.slot === undefined ? '' : `, key slot ${opened.slot}`;
          process.stdout.write(`opened ${opened.source} (${opened.type}${slot}) read-only as ${opened.mapper}\n`);
          process.stdout.write(`mounted ${opened.fstype} read-only at ${opened.mountpoint}\n`);
          for (const upper of opened.upperDirs) process.stdout.write(`upper layer: ${upper}\n`);
          process.stdout.write(`close with: oroot recover --close ${opened.mountpoint}\n`);
        } finally {
          key.wipe();
        }
      });
  },
};
