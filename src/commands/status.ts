// `oroot status [--json]`: what protects this machine now, and how the last boot went.
import type { Command } from 'commander';
import type { CommandSpec } from './spec.js';

export const statusCommand: CommandSpec = {
  name: 'status',
  summary: 'Show whether / is an overlay, its mode, devices, encryption, key storage, free space and the last boot’s health.',
  example: 'oroot status --json',
  define(command: Command) {
    command
      .option('--json', 'print the report as JSON ({version: 1, active, mode, lower, upper, crypt, lastBoot, problems, …})')
      .addHelpText(
        'after',
        `
Reads the live mount table, the record the boot stage left in /run/initramfs/oroot.state.json,
and, for the crypt mode, \`cryptsetup status\` of the mapping (as root). On a machine that does not
run on an overlay root it says so. Nothing is changed.
Exit status: 0; 1 when the report lists problems (the last boot fell back or failed, the
encrypted volume is not open, the lower layer is writable, the upper layer is nearly full, a kept
key is readable by others …), so monitoring can run it as a check.

Examples:
  $ oroot status
  $ sudo oroot status --json | jq .problems`,
      )
      .action(async (flags: { json?: boolean }) => {
        const { collectStatus } = await import('../overlayroot/status.js');
        const { formatStatus } = await import('../overlayroot/status-format.js');
        const { createHost } = await import('../system/host.js');
        const { ExitError } = await import('../errors.js');
        const report = await collectStatus(createHost());
        process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
        if (report.problems.length > 0) throw new ExitError(1);
      });
  },
};
