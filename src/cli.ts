#!/usr/bin/env node
// The command table. Each entry's module owns its flags and action; this file only registers
// them and turns errors into exit codes (setting process.exitCode so output still flushes).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ExitCode } from './errors.js';
import { reportError as reportAnyError } from './report-error.js';
import { VERSION } from './version.js';
import type { CommandSpec } from './commands/spec.js';
import { cfgdiskCommand } from './commands/cfgdisk.js';
import { secretEncryptCommand } from './commands/secret-encrypt.js';
import { entropyCheckCommand, entropyReportCommand } from './commands/entropy.js';
import { passphraseCommand } from './commands/passphrase.js';
import { userdataCommand } from './commands/userdata.js';
import { planCommand } from './commands/plan.js';
import { recoverCommand } from './commands/recover.js';
import { chrootCommand } from './commands/chroot.js';
import { statusCommand } from './commands/status.js';
import { bootCommand } from './commands/boot.js';

/** One line for each group of subcommands ("oroot entropy report", "oroot entropy check"). */
const groupSummaries: Record<string, string> = {
  entropy: 'Inspect the boot-time entropy sources and test a random number generator',
  secret: 'Prepare secrets for the configuration (encrypted passphrases)',
};

const commands: CommandSpec[] = [userdataCommand, passphraseCommand, entropyReportCommand, entropyCheckCommand, cfgdiskCommand, secretEncryptCommand, planCommand, recoverCommand, bootCommand, chrootCommand, statusCommand];

export function buildProgram(): Command {
  const program = new Command('oroot')
    .description(
      'Seed cloud instances with entropy at first boot, and keep what they write on an encrypted overlay root.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const groups = new Map<string, Command>();
  for (const spec of commands) {
    const [first, second] = spec.name.split(' ') as [string, string | undefined];
    let parent = program;
    if (second) {
      parent = groups.get(first) ?? program.command(first).summary(groupSummaries[first] ?? `${first} subcommands`);
      groups.set(first, parent);
    }
    const command = parent.command(second ?? first).summary(spec.summary).description(spec.summary);
    command.exitOverride();
    spec.define(command);
    command.addHelpText('after', `\nExample:\n  $ ${spec.example}\n`);
  }
  program.addHelpText(
    'after',
    `\nExamples:\n${commands.map((spec) => `  $ ${spec.example}`).join('\n')}\n\nDocumentation: docs/ in the package (README.md has the map).\n`,
  );
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  // `oroot … | head` closes our stdout early; that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(ExitCode.ok);
    throw error;
  });
  try {
    await buildProgram().parseAsync(argv as string[]);
    return ExitCode.ok;
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help/version text).
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  return reportAnyError(error);
}

function isEntryPoint(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// Run when executed directly (node dist/cli.js, the npm bin link, or the bundled file).
if (isEntryPoint()) process.exitCode = await main(process.argv);
