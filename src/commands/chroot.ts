// `oroot chroot [COMMAND [ARG…]]`: change the read-only lower layer for good, from a writable view.
import type { Command } from 'commander';
import type { CommandSpec } from './spec.js';

interface ChrootFlags {
  overlay: string;
  killAfter: string;
}

export const chrootCommand: CommandSpec = {
  name: 'chroot',
  summary: 'Run a command (default: your shell) in a writable view of the overlay root’s read-only lower layer.',
  example: 'sudo oroot chroot -- apt-get install -y htop',
  define(command: Command) {
    command
      .argument('[command...]', 'the command and its arguments (default: $SHELL -i); put -- before it when it has options')
      .option(
        '--overlay <DIR>',
        'the overlay to work on: / (the default) must be the overlay named overlayroot that the boot set up; another directory is for nested or test setups, any overlay mounted there',
        '/',
      )
      .option('--kill-after <SECONDS>', 'after oroot passes SIGTERM/SIGHUP on to the command, wait this long before SIGKILL (0.1-3600)', '10')
      .addHelpText(
        'after',
        `
The lower layer (normally /media/root-ro) is remounted read-write together with the read-only
filesystems mounted below it; /dev, /dev/pts, /proc, /sys (and efivars on EFI machines) and /run
are bound into it and /tmp gets a fresh tmpfs; then the command runs there with your terminal.
When it ends — normally, with an error, killed, or because oroot got SIGTERM or SIGHUP — the binds
are removed and the lower layer is read-only again. SIGINT and SIGQUIT (Ctrl-C, Ctrl-\\) go to the
command, as in any shell.
Changes made in the lower layer show in / after the next boot: overlayfs does not follow a layer
that changes under a mounted overlay.
Only one session runs at a time (lock: /run/oroot-chroot.lock). A session that was killed with
SIGKILL is cleaned up by the next one.
Exit status: the command's; 128+N when it was killed by signal N; 1 when the session could not
be set up, or when the command succeeded but something could not be restored (said loudly).

Examples:
  $ sudo oroot chroot
  $ sudo oroot chroot -- sh -c 'apt-get update && apt-get -y upgrade'
  $ sudo oroot chroot -- nano /etc/overlayroot.conf
  $ sudo oroot chroot --overlay /mnt/merged -- touch /marker`,
      )
      .action(async (args: string[], flags: ChrootFlags) => {
        const { UsageError, ExitError, OrootError, ExitCode } = await import('../errors.js');
        if (process.getuid?.() !== 0) throw new OrootError('oroot chroot needs root: it mounts and remounts filesystems', ExitCode.failure, { hint: 'Run it with sudo.' });
        const seconds = Number(flags.killAfter);
        if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
          throw new UsageError(`--kill-after ${flags.killAfter}: not a number of seconds between 0.1 and 3600`);
        }
        const { runChroot } = await import('../overlayroot/chroot.js');
        const { createHost } = await import('../system/host.js');
        const { stderrLogger } = await import('../system/log.js');
        const host = createHost({ log: stderrLogger('info') });
        const { resolve } = await import('node:path');
        const status = await runChroot(host, { overlay: resolve(flags.overlay), command: args, env: process.env, killAfterMs: seconds * 1000 });
        // The command's own status, whatever it is (ExitError carries it to the CLI's exit code).
        if (status !== 0) throw new ExitError(status as ConstructorParameters<typeof ExitError>[0]);
      });
  },
};
