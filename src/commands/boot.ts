// `oroot boot`: the initramfs init-bottom stage. Run by initramfs-hooks' init-bottom script, not by people.
// The script normally starts the boot-only entry (src/boot-main.ts); both end in the same runBoot().
import type { Command } from 'commander';
import type { CommandSpec } from './spec.js';

export const bootCommand: CommandSpec = {
  name: 'boot',
  summary: 'The init-bottom stage (run by the initramfs, not by hand): set up the overlay root on $rootmnt.',
  example: 'oroot boot --rootmnt /root',
  define(command: Command) {
    command
      .requiredOption('--rootmnt <DIR>', "where the initramfs mounted the real root (initramfs-tools' $rootmnt, usually /root)")
      .addHelpText(
        'after',
        `
This is the initramfs-tools init-bottom stage: the oroot init-bottom script runs it with the Node
runtime of the root filesystem. It reads the overlayroot configuration (the initramfs conf.d file,
$rootmnt/etc/overlayroot.conf and .local.conf, the config disk, the kernel command line), plans the
overlay, runs the plan, and on a failure undoes it and applies the failure policy (failure=).
It reports to the kernel log (oroot: …), /run/initramfs/oroot.log and /run/initramfs/oroot.state.json.

Exit status: 0 finished (overlay in place, disabled, or the policy tmpfs/open applied);
3 stop the boot (policy halt, or a failed undo); 1 nothing done, $rootmnt left as it was
(also for any unexpected error). To see what it would do without doing it: oroot plan.
Details: docs/boot.md.`,
      )
      .action(async (flags: { rootmnt: string }) => {
        const { runBoot } = await import('../overlayroot/boot/run.js');
        const { ExitError } = await import('../errors.js');
        const exitStatus = await runBoot(flags.rootmnt);
        if (exitStatus !== 0) throw new ExitError(exitStatus as 1 | 3);
      });
  },
};
