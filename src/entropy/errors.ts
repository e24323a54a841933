// The two ways a derivation refuses to produce a key. Both carry the report gathered so far, so
// the boot stage can still record what it saw before applying its failure policy.
import { ExitCode, OrootError } from '../errors.js';
import type { EntropyReport } from './report.js';

/** The kernel CRNG did not become ready within the bound: a key now could be guessable. */
export class CrngNotReadyError extends OrootError {
  override name = 'CrngNotReadyError';
  constructor(
    detail: string,
    readonly report: EntropyReport,
  ) {
    super(`kernel random generator not initialised (${detail}); refusing to derive a key from it`, ExitCode.failure, {
      hint: 'Give the machine an entropy source (virtio-rng, or RDRAND with random.trust_cpu=on) or allow a longer wait.',
    });
  }
}

/** The CSPRNG, the one mandatory source, could not be read. */
export class CsprngUnavailableError extends OrootError {
  override name = 'CsprngUnavailableError';
  constructor(
    reason: string,
    readonly report: EntropyReport,
    cause?: unknown,
  ) {
    super(`cannot read the CSPRNG: ${reason}`, ExitCode.failure, {
      cause,
      hint: 'The passphrase needs 4096 bytes from /dev/urandom: check that /dev (devtmpfs) is mounted.',
    });
  }
}
