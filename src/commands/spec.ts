// What a command module exports: its name, a one-line purpose, one example, and a function that
// adds its flags and action. cli.ts only lists these; each command's logic lives in its module.
import type { Command } from 'commander';

export interface CommandSpec {
  /** As typed by the user; may contain a space for subcommands ("entropy report"). */
  name: string;
  /** One line, shown in `oroot --help`. */
  summary: string;
  /** One complete command line, shown in `oroot --help` and the command's own help. */
  example: string;
  /** Add arguments, options, longer help and the action to `command`. */
  define(command: Command): void;
}
