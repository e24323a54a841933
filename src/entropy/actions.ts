// What the entropy commands do once their flags are parsed: `oroot passphrase`, `oroot entropy
// report` and `oroot entropy check`. Loaded lazily by src/commands/*.ts. The passphrase goes to
// the file (or stdout) the user named and nowhere else: stderr gets sizes and statuses only.
import { statSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, ExitError, InputError } from '../errors.js';
import { writeNewFile } from '../system/files.js';
import { createHost } from '../system/host.js';
import { stderrLogger } from '../system/log.js';
import { checkSource } from './check.js';
import { FIPS_TESTS, type FipsTest } from './fips.js';
import { derivePassphrase, type DeriveOptions } from './index.js';
import { formatReport, summarizeReport } from './report.js';

export interface SourceFlags {
  root?: string;
  device?: string;
  hwrng?: string;
}

export async function writePassphrase(flags: SourceFlags & { output: string }): Promise<void> {
  const { passphrase, report } = await derivePassphrase(createHost({ log: stderrLogger() }), deriveOptions(flags));
  try {
    if (flags.output === '-') await writeToStdout(passphrase.reveal());
    else await writeNewFile(flags.output, passphrase.reveal(), { mode: 0o600 });
  } finally {
    passphrase.wipe();
  }
  const where = flags.output === '-' ? 'standard output' : `${flags.output} (mode 0600)`;
  process.stderr.write(`oroot: wrote a ${passphrase.length}-character passphrase to ${where}\noroot: ${summarizeReport(report)}\n`);
}

export async function printEntropyReport(flags: SourceFlags & { json?: boolean }): Promise<void> {
  // A report observes: it does not write seed files into /dev/urandom, and the digest is discarded.
  const { passphrase, report } = await derivePassphrase(createHost({ log: stderrLogger() }), { ...deriveOptions(flags), mixSeeds: false });
  passphrase.wipe();
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
}

export async function printEntropyCheck(flags: { source: string; blocks: number; json?: boolean }): Promise<void> {
  const result = await checkSource(flags.source, flags.blocks);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const label: Record<FipsTest, string> = { monobit: 'monobit', poker: 'poker', runs: 'runs', longRun: 'long run', continuous: 'continuous' };
    const row = (name: string, failed: number): string => `${name.padEnd(12)}${String(result.blocks - failed).padStart(9)}${String(failed).padStart(9)}`;
    const verdict =
      result.verdict === 'pass'
        ? `pass: ${result.failedBlocks} failing block(s); an ideal source fails about ${result.idealFailureRate * 100}% of blocks and exceeds ${result.allowedFailedBlocks} of ${result.blocks} in fewer than one check in a million`
        : `FAIL: ${result.failedBlocks} failing blocks, more than the ${result.allowedFailedBlocks} of ${result.blocks} an ideal source reaches even once in a million checks`;
    process.stdout.write(
      [
        `FIPS 140-2 tests on ${result.source}: ${result.blocks} blocks of 20,000 bits (${result.bytesRead} bytes, ${result.durationMs.toFixed(1)} ms)`,
        '',
        `${'test'.padEnd(12)}${'passed'.padStart(9)}${'failed'.padStart(9)}`,
        ...FIPS_TESTS.map((test) => row(label[test], result.failures[test])),
        row('any (block)', result.failedBlocks),
        '',
        `verdict: ${verdict}`,
        '(a block failing any test is discarded, as rngd does)',
        '',
      ].join('\n'),
    );
  }
  if (result.verdict === 'fail') throw new ExitError(ExitCode.failure);
}

/** Resolves once the bytes are written: a queued write still references them, so wiping must wait. */
function writeToStdout(bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(bytes, (error) => (error ? reject(error) : resolve())));
}

function deriveOptions(flags: SourceFlags): DeriveOptions {
  if (flags.root !== undefined) requireExisting('--root', flags.root, 'directory');
  if (flags.device !== undefined) requireExisting('--device', flags.device, 'file');
  if (flags.hwrng !== undefined) requireExisting('--hwrng', flags.hwrng, 'file');
  // Machine paths go through host.path(), which treats every path as absolute: resolve first.
  const absolute = (file: string | undefined): string | undefined => (file === undefined ? undefined : path.resolve(file));
  return { rootmnt: absolute(flags.root), device: absolute(flags.device), hwrng: absolute(flags.hwrng) };
}

/** An explicitly named path that does not exist is a typo, not a "missing optional source". */
function requireExisting(flag: string, file: string, kind: 'directory' | 'file'): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(file).isDirectory();
  } catch (error) {
    throw new InputError(`${flag} ${file}`, `cannot use it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if ((kind === 'directory') !== isDirectory) throw new InputError(`${flag} ${file}`, `is not a ${kind}`);
}
