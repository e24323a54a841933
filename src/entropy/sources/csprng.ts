// The one source the passphrase's secrecy rests on: 4096 bytes of the kernel CSPRNG, read from
// /dev/urandom after the CRNG readiness check (crng.ts). We read the kernel directly rather than
// node:crypto.randomBytes: readiness is what we checked, and there is no second generator
// (OpenSSL's DRBG, seeded once at process start) between the kernel and the key.
import type { Host } from '../../system/host.js';
import { readHead } from './read.js';

export const CSPRNG_BYTES = 4096;
export const CSPRNG_PATH = '/dev/urandom';

/** Something that returns n random bytes: the kernel by default, fixed bytes in a test. */
export type Csprng = (n: number) => Buffer | Promise<Buffer>;

export function kernelCsprng(host: Host): Csprng {
  return (n) => readHead(host.path(CSPRNG_PATH), n); // the caller checks the length
}
