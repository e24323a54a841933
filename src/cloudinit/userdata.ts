// The user-data builder: options (and the user's own user-data, if any) in, a function from seed
// to bytes out. All validation happens in prepareUserData, before any seed is read or any file
// written, so bad input never leaves a partial result behind. build() is then cheap enough to
// run ten thousand times for a fleet.
import { randomBytes } from 'node:crypto';
import { fitToLimit, type Fitted, type GzipMode, type Limit } from './limits.js';
import type { MergedShape, UserDataInput } from './merge.js';
import { seedCloudConfig, type Render } from './seedConfig.js';

export interface UserDataRequest {
  /** Seed size in bytes (already checked against SEED_BYTES). */
  seedBytes: number;
  /** Also emit a random_seed: stanza. */
  randomSeed: boolean;
  /** The user's existing user-data to merge with. */
  merge?: UserDataInput;
  gzip: GzipMode;
  limit: Limit;
}

export interface UserDataBuilder {
  build(seed: Buffer): Fitted;
  shape: MergedShape;
  /** Whether build() returns gzip (binary) bytes, and why. */
  gzipped: boolean;
  gzipReason?: 'asked' | 'input was gzip' | 'to fit';
  /** Size of one result before and after compression, measured on a sample seed. */
  sample: Fitted;
  notes: string[];
}

export async function prepareUserData(request: UserDataRequest): Promise<UserDataBuilder> {
  // A random sample, not zeros: gzip sizes must be measured on bytes that compress like a seed.
  const sampleSeed = randomBytes(request.seedBytes).toString('base64');
  const options = { randomSeed: request.randomSeed };
  let render: Render = seedCloudConfig(options);
  let shape: MergedShape = 'cloud-config';
  let gzip = request.gzip;
  const notes: string[] = [];
  if (request.merge) {
    // Loaded only for --merge: the plain path stays small for a quick start.
    const { mergeWithUserData } = await import('./merge.js');
    const merged = await mergeWithUserData(request.merge, options, sampleSeed);
    ({ render, shape } = merged);
    notes.push(...merged.notes);
    // gzip in, gzip out, unless the user said --no-gzip.
    if (merged.gzip && gzip === 'auto') gzip = 'always';
  }
  const source = request.merge?.source ?? '';
  const build = (seed: Buffer): Fitted => fitToLimit(Buffer.from(render(seed.toString('base64')), 'utf8'), request.limit, gzip, source);
  const sample = build(Buffer.from(sampleSeed, 'base64'));
  const gzipReason = !sample.gzipped ? undefined : request.gzip === 'always' ? 'asked' : gzip === 'always' ? 'input was gzip' : 'to fit';
  return { build, shape, gzipped: sample.gzipped, gzipReason, sample, notes };
}

