// `oroot userdata`, end to end: check the flags, read the user's user-data, prepare the builder
// (which validates everything), then read seeds and write stdout, one file, or a fleet. Sizes
// and notes go to stderr only when asked (--verbose) or when they matter (near a limit, gzip
// chosen to fit), so stdout stays clean for pipes. What only some runs need (file writing, the
// fleet writer) is imported when used: every module costs start-up time.
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { fsReason, writeError } from './fsErrors.js';
import { base64Length, isNearLimit, parseLimit, type Fitted, type GzipMode } from './limits.js';
import type { UserDataInput } from './merge.js';
import { parseSeedBytes, parseSeedSource, readSeeds, SEED_BYTES } from './seed.js';
import { prepareUserData } from './userdata.js';

/** The command's flags as commander hands them over (strings unparsed). */
export interface UserdataFlags {
  bytes?: string;
  source?: string;
  randomSeed?: boolean;
  merge?: string;
  gzip?: boolean;
  limit?: string;
  output?: string;
  force?: boolean;
  count?: string;
  outDir?: string;
  verbose?: boolean;
}

export interface UserdataIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: (line: string) => void;
  stdin: NodeJS.ReadableStream;
}

const processIo: UserdataIo = {
  stdout: process.stdout,
  stderr: (line) => process.stderr.write(`oroot: ${line}\n`),
  stdin: process.stdin,
};

export async function generateUserData(flags: UserdataFlags, io: UserdataIo = processIo): Promise<void> {
  const count = parseCount(flags);
  const seedBytes = flags.bytes === undefined ? SEED_BYTES.default : parseSeedBytes(flags.bytes);
  const source = parseSeedSource(flags.source);
  const limit = parseLimit(flags.limit);
  const gzip: GzipMode = flags.gzip === undefined ? 'auto' : flags.gzip ? 'always' : 'never';
  const merge = flags.merge === undefined ? undefined : await readUserData(flags.merge, io);

  const builder = await prepareUserData({ seedBytes, randomSeed: flags.randomSeed ?? false, merge, gzip, limit });
  const loud = flags.verbose === true || isNearLimit(builder.sample.bytes.length, limit) || builder.gzipReason === 'to fit';
  if (flags.verbose) builder.notes.forEach(io.stderr);
  if (builder.gzipReason === 'to fit') io.stderr(`gzipped to fit the ${limit.name} limit: as text it would be ${builder.sample.textBytes} bytes`);
  const limitText = `limit ${limit.name}${limit.rawBytes === undefined ? '' : ` (${limit.rawBytes} raw bytes)`}`;

  if (flags.outDir !== undefined) {
    const { writeFleet } = await import('./fleet.js');
    const result = await writeFleet(builder, { dir: flags.outDir, count, seedBytes, source, force: flags.force ?? false });
    if (loud) io.stderr(`wrote ${result.files.length} files to ${flags.outDir}, ${result.totalBytes} bytes in all, each about ${describeSize(builder.sample)}; ${limitText}`);
  } else {
    if (flags.output === undefined && builder.gzipped && io.stdout.isTTY) {
      throw new UsageError('the user-data is gzip (binary) and stdout is a terminal', { hint: 'Write it to a file with --output FILE (then pass it with fileb:// or user_data_base64).' });
    }
    const fitted = builder.build(await readSeeds(source, seedBytes, 1));
    if (flags.output !== undefined) {
      const { writeNewFile } = await import('../system/files.js');
      await writeNewFile(flags.output, fitted.bytes, { overwrite: flags.force ?? false, overwriteFlag: '--force' }).catch((error: unknown) => {
        throw writeError(flags.output!, error);
      });
    } else {
      await writeOut(io.stdout, fitted.bytes);
    }
    if (loud) io.stderr(`user-data: ${describeSize(fitted)}; ${limitText}`);
  }
  if (loud && builder.gzipped) io.stderr('gzip output: pass it with fileb:// (AWS CLI), --user-data-file (euca2ools) or user_data_base64 (Terraform)');
}

/** Most files one --count writes (a sanity bound, not a performance one). */
export const MAX_FLEET = 100_000;

function parseCount(flags: UserdataFlags): number {
  if (flags.count !== undefined && flags.outDir === undefined) throw new UsageError('--count needs --out-dir DIR to put the files in');
  if (flags.outDir !== undefined && flags.output !== undefined) throw new UsageError('--output and --out-dir cannot be used together', { hint: 'Use --output for one file, --out-dir with --count for many.' });
  if (flags.count === undefined) return 1;
  const count = /^\d+$/.test(flags.count.trim()) ? Number(flags.count.trim()) : Number.NaN;
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_FLEET) {
    throw new UsageError(`--count ${flags.count}: expected a whole number from 1 to ${MAX_FLEET}`);
  }
  return count;
}

async function readUserData(file: string, io: UserdataIo): Promise<UserDataInput> {
  if (file === '-') return { bytes: await readAll(io.stdin), source: 'stdin' };
  try {
    return { bytes: await readFile(file), source: file };
  } catch (error) {
    throw new UsageError(`--merge ${file}: cannot read it: ${fsReason(error)}`, { hint: 'Pass the user-data file you launch with today, or - to read it from stdin.' });
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function writeOut(stream: NodeJS.WritableStream, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => stream.write(bytes, (error) => (error ? reject(error) : resolve())));
}

function describeSize({ bytes, textBytes, gzipped }: Fitted): string {
  const raw = gzipped ? `${bytes.length} bytes gzipped (${textBytes} as text)` : `${bytes.length} bytes`;
  return `${raw}, ${base64Length(bytes.length)} in base64`;
}
