// `oroot passphrase`: derive the overlayroot-compatible passphrase on this machine and write it
// to a new 0600 file, or to standard output only when asked with `--output -`.
import type { CommandSpec } from './spec.js';
import { hwrngOption } from './entropy.js';

export const passphraseCommand: CommandSpec = {
  name: 'passphrase',
  summary: 'Derive a 128-hex passphrase from boot-time entropy and write it to a new 0600 file',
  example: 'oroot passphrase --device /dev/xvdb --output /run/oroot.key',
  define(command) {
    command
      .requiredOption('-o, --output <file>', 'new file for the passphrase, created with mode 0600; never overwritten. "-" writes it to standard output instead')
      .option('--root <dir>', 'where the real root is mounted: its /var/lib/systemd/random-seed or /var/lib/urandom/random-seed is mixed in', '/')
      .option('--device <path>', 'backing device (or file) whose first 4096 bytes are hashed in, as overlayroot does (default: none)')
      .option('--hwrng [device]', 'also hash one FIPS 140-2-tested block from a hardware RNG (device default /dev/hwrng; off unless given)')
      .addHelpText(
        'after',
        `
The passphrase is 128 lowercase hex characters with no newline (SHA-512 of the framed sources;
docs/entropy.md). Before hashing, seed files are written into /dev/urandom (mixed, not credited)
and the kernel CRNG must be ready within 10 s, else nothing is written and the exit status is 1.
Only sizes and statuses go to stderr; the passphrase goes only where --output says.

Examples:
  $ oroot passphrase --output /run/oroot.key
  $ oroot passphrase --root /media/root-ro --device /dev/vdb --hwrng --output /run/oroot.key
  $ oroot passphrase --output - | cryptsetup luksFormat --key-file - /dev/vdb`,
      )
      .action(async (options: { output: string; root: string; device?: string; hwrng?: string | true }) => {
        const { writePassphrase } = await import('../entropy/actions.js');
        await writePassphrase({ output: options.output, root: options.root, device: options.device, hwrng: hwrngOption(options.hwrng) });
      });
  },
};
