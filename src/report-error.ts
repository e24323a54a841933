// How an error that reaches the top of a program becomes text on stderr and an exit status. One
// module, shared by the CLI (src/cli.ts) and the boot-only entry (src/boot-main.ts), so both print
// `oroot: <message>` and `oroot: <hint>` the same way and map the same errors to the same codes.
import { ExitCode, OrootError } from './errors.js';

/** Print what the user needs to know about `error`; return the exit status it maps to. */
export function reportError(error: unknown, write: (text: string) => void = (text) => process.stderr.write(text)): number {
  if (error instanceof OrootError) {
    // ExitError: the problem was already reported; only its status is left to pass on.
    if (error.name !== 'ExitError') write(`oroot: ${error.message}\n`);
    if (error.hint) write(`oroot: ${error.hint}\n`);
    return error.exitStatus;
  }
  write(`oroot: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.internal;
}
