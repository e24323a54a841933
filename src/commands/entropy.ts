// `oroot entropy report` (what each source contributes here, never the bytes) and `oroot entropy
// check` (FIPS 140-2 tests on the kernel CSPRNG or any file or device).
import { InvalidArgumentError } from 'commander';
import type { CommandSpec } from './spec.js';

const DEFAULT_HWRNG = '/dev/hwrng';
const MIN_BLOCKS = 2;
const MAX_BLOCKS = 1_000_000;
// Written out rather than toLocaleString(), which loads ICU (~10 ms) on every start of the CLI.
const MAX_BLOCKS_TEXT = '1,000,000';

/** `--hwrng` alone means the default device; absent means off. */
export function hwrngOption(value: string | true | undefined): string | undefined {
  return value === true ? DEFAULT_HWRNG : value;
}

function parseBlocks(value: string): number {
  const blocks = Number(value);
  if (!/^\d+$/.test(value) || blocks < MIN_BLOCKS || blocks > MAX_BLOCKS) {
    throw new InvalidArgumentError(`expected a whole number from ${MIN_BLOCKS} to ${MAX_BLOCKS_TEXT} (one block is 20,000 bits; fewer than 2 cannot tell a fault from chance)`);
  }
  return blocks;
}

export const entropyReportCommand: CommandSpec = {
  name: 'entropy report',
  summary: 'Show what each entropy source would contribute on this machine (names, sizes, timings; never bytes)',
  example: 'oroot entropy report --device /dev/xvdb',
  define(command) {
    command
      .option('--json', 'print the report as JSON (the shape oroot status records at boot)')
      .option('--root <dir>', 'where the real root is mounted, for its seed files', '/')
      .option('--device <path>', 'backing device (or file) whose first 4096 bytes would be hashed (default: none)')
      .option('--hwrng [device]', 'include a hardware RNG, FIPS-tested (device default /dev/hwrng; off unless given)')
      .addHelpText(
        'after',
        `
Runs the same gathering as \`oroot passphrase\` and throws the digest away. Seed files are read
but not written into /dev/urandom. Status is ok, missing, unreadable, skipped or failed per source;
no bytes and no fingerprints are shown (a hash of a secret source would let anyone test guesses).

Examples:
  $ oroot entropy report
  $ oroot entropy report --json --hwrng`,
      )
      .action(async (options: { json?: boolean; root: string; device?: string; hwrng?: string | true }) => {
        const { printEntropyReport } = await import('../entropy/actions.js');
        await printEntropyReport({ json: options.json, root: options.root, device: options.device, hwrng: hwrngOption(options.hwrng) });
      });
  },
};

export const entropyCheckCommand: CommandSpec = {
  name: 'entropy check',
  summary: 'Run the FIPS 140-2 monobit, poker, runs, long-run and continuous tests on a random source',
  example: 'oroot entropy check --source /dev/hwrng --blocks 20',
  define(command) {
    command
      .option('--source <path>', 'file or device to test', '/dev/urandom')
      .option('--blocks <n>', `number of 20,000-bit blocks to test, ${MIN_BLOCKS} to ${MAX_BLOCKS_TEXT}`, parseBlocks, 100)
      .option('--json', 'print the counts and verdict as JSON')
      .addHelpText(
        'after',
        `
Reads 4 bytes to start the continuous test, then N blocks of 2,500 bytes, like rngtest. Prints,
per test, how many blocks passed and failed. A good source fails about 0.08% of blocks, so a
failure is not a verdict by itself: the exit status is 1 only when more blocks fail than an ideal
source would in one check out of a million (binomial tail); otherwise 0. Bad arguments exit 2 and
an unreadable or too short source exits 3.

Examples:
  $ oroot entropy check
  $ oroot entropy check --source /dev/hwrng --blocks 10
  $ oroot entropy check --source sample.bin --blocks 400 --json`,
      )
      .action(async (options: { source: string; blocks: number; json?: boolean }) => {
        const { printEntropyCheck } = await import('../entropy/actions.js');
        await printEntropyCheck(options);
      });
  },
};
