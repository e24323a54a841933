// `oroot cfgdisk`: build the OROOTCFG config volume as an image file.
import { Option, type Command } from 'commander';
import type { CommandSpec } from './spec.js';

interface CfgdiskFlags {
  output: string;
  config: string;
  keyFile?: string;
  keyFormat: 'raw' | 'base64';
  label: string;
  size: string;
  force?: boolean;
}

export const cfgdiskCommand: CommandSpec = {
  name: 'cfgdisk',
  summary: 'Build a config disk image (ext4, label OROOTCFG) holding overlayroot.conf and an optional key file',
  example: "oroot cfgdisk --output cfg.img --config 'crypt:dev=/dev/xvdb' --key-file data.key",
  define(command: Command) {
    command
      .requiredOption('-o, --output <IMG>', 'image file to create (mode 0600); refused if it exists, unless --force')
      .requiredOption(
        '-c, --config <VALUE>',
        "the overlayroot= value for the instance, e.g. 'crypt:dev=/dev/xvdb' or 'tmpfs:recurse=0'; validated before anything is written. Never pass= (use --key-file)",
      )
      .option('-k, --key-file <FILE|-|fd:N>', 'key for crypt mode, read from a file, stdin (-) or an open file descriptor; stored on the disk as overlayroot.key (0400) and named with keyfile=, or at the relative keyfile= path --config gives')
      .addOption(new Option('--key-format <FORMAT>', 'how the --key-file input is encoded').choices(['raw', 'base64']).default('raw'))
      .option('--label <LABEL>', 'filesystem label the boot looks for (1-16 characters)', 'OROOTCFG')
      .option('--size <SIZE>', 'image size, 1M to 1G (K, M, G suffixes)', '4M')
      .option('--force', 'replace an existing output file')
      .addHelpText(
        'after',
        `
The instance finds the disk when its configuration says so, e.g. on the kernel cmdline:
  overlayroot_cfgdisk=LABEL=OROOTCFG
The disk's overlayroot.conf is read as data (never run); the kernel cmdline still overrides it.

Examples:
  $ oroot cfgdisk -o cfg.img -c 'tmpfs:recurse=0'
  $ head -c 64 /dev/urandom > data.key && chmod 600 data.key
  $ oroot cfgdisk -o cfg.img -c 'crypt:dev=/dev/xvdb,mkfs=1' --key-file data.key
  $ vault read -field=key secret/oroot | oroot cfgdisk -o cfg.img -c 'crypt:dev=/dev/nvme1n1' --key-file - --key-format base64
See docs/configuration.md for uploading the image as a snapshot and attaching it (EC2).`,
      )
      .action(async (flags: CfgdiskFlags) => {
        const { buildConfigDiskImage, parseSize } = await import('../overlayroot/cfgdisk-image.js');
        const { parseSecretSource, readSecret } = await import('../system/secret-input.js');
        const { createHost } = await import('../system/host.js');
        const host = createHost();
        const sizeBytes = parseSize(flags.size, '--size');
        const key = flags.keyFile
          ? await readSecret(parseSecretSource(flags.keyFile, '--key-file'), { what: 'key (--key-file)', format: flags.keyFormat, log: host.log })
          : undefined;
        try {
          const image = await buildConfigDiskImage(host, { output: flags.output, value: flags.config, key, label: flags.label, sizeBytes, force: flags.force });
          for (const warning of image.config.warnings) host.log.warn(warning);
          const files = image.files.map((f) => `${f.name} (${f.mode.toString(8).padStart(4, '0')})`).join(', ');
          process.stdout.write(`${image.output}: ext4, label ${image.label}, ${image.sizeBytes} bytes: ${files}\n`);
          process.stdout.write(`overlayroot=${image.config.value}\n`);
          process.stdout.write(`Enable it on the instance with overlayroot_cfgdisk=LABEL=${image.label}\n`);
        } finally {
          key?.wipe();
        }
      });
  },
};
