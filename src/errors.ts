// Typed errors. Each carries the exit code the CLI maps it to, so the mapping lives here and in
// cli.ts only. Messages are written for the person who has to fix the problem: they name the
// source (a file and line, a flag, a device) and, where we know it, the fix.
//
// Messages never contain secret material: callers pass redacted text, and spawn results redact
// every secret they were given before building a message.

export const ExitCode = {
  ok: 0,
  failure: 1, // a runtime step failed (a tool, a mount, a device)
  usage: 2, // bad flags or arguments
  invalidInput: 3, // bad input data: configuration, user-data, key material
  internal: 70, // a bug in oroot (EX_SOFTWARE)
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class OrootError extends Error {
  override name = 'OrootError';
  constructor(
    message: string,
    readonly exitStatus: ExitCode = ExitCode.failure,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options?.hint;
  }
  /** One line telling the user what to do next, printed after the message. */
  readonly hint: string | undefined;
}

/** Wrong flags or arguments: the CLI prints the message and a pointer to --help. */
export class UsageError extends OrootError {
  override name = 'UsageError';
  constructor(message: string, options?: { hint?: string }) {
    super(message, ExitCode.usage, options);
  }
}

/**
 * Input data that cannot be used: a configuration value, a user-data file, a key.
 * `source` says where it came from, e.g. "kernel cmdline", "/etc/overlayroot.conf:3",
 * "user-data.yaml:4:7".
 */
export class InputError extends OrootError {
  override name = 'InputError';
  constructor(
    readonly source: string,
    readonly problem: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(`${source}: ${problem}`, ExitCode.invalidInput, options);
  }
}

/** The problem was already reported to the user; just leave with this code. */
export class ExitError extends OrootError {
  override name = 'ExitError';
  constructor(exitCode: ExitCode) {
    super(`exit ${exitCode}`, exitCode);
  }
}

/** Something that should not happen did: a bug. */
export class InternalError extends OrootError {
  override name = 'InternalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.internal, { ...options, hint: 'This is a bug in oroot; please report it with the command you ran.' });
  }
}

export function isOrootError(error: unknown): error is OrootError {
  return error instanceof OrootError;
}
