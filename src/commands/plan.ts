// `oroot plan`: a dry run of what the boot stage would do with the current configuration.
import type { Command } from 'commander';
import type { CommandSpec } from './spec.js';

interface PlanFlags {
  cmdline?: string;
  cmdlineFile?: string;
  root?: string;
  json?: boolean;
  output?: string;
}

export const planCommand: CommandSpec = {
  name: 'plan',
  summary: 'Show, without touching anything, every step the next boot would take to set up the overlay.',
  example: "oroot plan --cmdline 'root=/dev/vda1 ro overlayroot=crypt:dev=/dev/vdb'",
  define(command: Command) {
    command
      .option('--cmdline <STRING>', 'the kernel command line to plan for (default: /proc/cmdline of this machine)')
      .option('--cmdline-file <FILE>', 'read the kernel command line from FILE instead (e.g. a saved /proc/cmdline)')
      .option(
        '--root <DIR>',
        'the root filesystem whose /etc/overlayroot*.conf the boot would read (default: /media/root-ro when this system runs on an oroot overlay, else /)',
      )
      .option('--json', 'print the plan as JSON ({version, plan, fallback}) instead of a trace')
      .option('-o, --output <FILE>', 'also write the plan as JSON to FILE (replaced if it exists)')
      .addHelpText(
        'after',
        `
The trace lists each step as a numbered comment, the exact command (+ …) and how it is undone
after a later failure; then the plan the failure policy would run instead. Secrets never appear:
a key is shown by where it comes from (pass=<redacted>, keyfile PATH, a generated passphrase).
Nothing is mounted, loaded or written: the config disk (overlayroot_cfgdisk=) is not searched.
Exit status: 0, 1 when the boot would refuse the plan (the reason is printed), 3 for an invalid
configuration.

Examples:
  $ oroot plan
  $ oroot plan --cmdline 'ro overlayroot=tmpfs:recurse=0,size=50%'
  $ oroot plan --root /mnt/image --cmdline-file saved-cmdline --json
  $ oroot plan -o plan.json`,
      )
      .action(async (flags: PlanFlags) => {
        const { showPlan } = await import('../overlayroot/plan/show.js');
        const { createHost } = await import('../system/host.js');
        const { ExitError } = await import('../errors.js');
        const shown = await showPlan(createHost(), flags);
        process.stdout.write(shown.text);
        if (shown.exitStatus !== 0) throw new ExitError(1);
      });
  },
};
