// Combining the seed with user-data the operator already has. Each kind of input gets the
// treatment that keeps all of the user's content and makes cloud-init apply ours too:
//   #cloud-config     edited as text (see mergeCloudConfig); if that is unsafe, wrapped in MIME
//   MIME multipart    our part appended last, with merge settings; their bytes untouched
//   anything else     (#!, #include, boothook, jinja, archive, jsonp, part-handler) wrapped in
//                     MIME next to our part
//   gzip              unpacked, merged as above, packed again by the caller
// Every input is validated first, so invalid input fails before anything is written.
import { gunzipSync } from 'node:zlib';
import { InputError } from '../errors.js';
import { checkArchive, loadCloudConfig } from './cloudConfigInput.js';
import { detectUserData, typeFromStart, type Detected } from './detect.js';
import { mergeIntoCloudConfig } from './mergeCloudConfig.js';
import { appendPart, buildMultipart, decodedBody, documentPart, partText, uniqueBoundary, type MimePart } from './mime.js';
import { header, parseMime, type MimeEntity } from './mimeParse.js';
import { MERGE_TYPE, seedCloudConfig, type Render, type SeedStanzaOptions } from './seedConfig.js';
import { lineEndingOf } from './yamlText.js';

export interface UserDataInput {
  bytes: Buffer;
  /** The file as named to the user ("user-data.yaml", "stdin"). */
  source: string;
}

export type MergedShape = 'cloud-config' | 'mime';

export interface Merged {
  render: Render;
  shape: MergedShape;
  /** The input was gzip: the result must be compressed again. */
  gzip: boolean;
  /** How the input was read and combined, for --verbose. */
  notes: string[];
}

const SEED_PART_NAME = 'oroot-seed.cfg';

export async function mergeWithUserData(input: UserDataInput, options: SeedStanzaOptions, sampleSeed: string): Promise<Merged> {
  const detected = detectUserData(input.bytes, input.source);
  if (detected.kind !== 'gzip') return mergeText(detected, input.source, options, sampleSeed, false);
  const inner = gunzip(input);
  const source = `${input.source} (gunzipped)`;
  const innerDetected = detectUserData(inner, source);
  if (innerDetected.kind === 'gzip') {
    throw new InputError(input.source, 'is gzip inside gzip; cloud-init unpacks only one layer', { hint: 'Decompress it once (gunzip) and pass the result.' });
  }
  const merged = await mergeText(innerDetected, source, options, sampleSeed, true);
  return { ...merged, notes: [`${input.source}: gzip, ${inner.length} bytes unpacked`, ...merged.notes] };
}

async function mergeText(detected: Exclude<Detected, { kind: 'gzip' }>, source: string, options: SeedStanzaOptions, sampleSeed: string, gzip: boolean): Promise<Merged> {
  if (detected.kind === 'mime') {
    return { render: await appendToMime(detected.text, source, options), shape: 'mime', gzip, notes: [`${source}: MIME multipart; the seed is added as its last part`] };
  }
  if (detected.kind === 'cloud-config') {
    const merge = await mergeIntoCloudConfig(detected.text, { source }, options, sampleSeed);
    if (merge.kind === 'edited') {
      return { render: merge.render, shape: 'cloud-config', gzip, notes: [`${source}: #cloud-config; the seed is added to its text`, ...merge.notes] };
    }
    const notes = [`${source}: #cloud-config kept as its own MIME part (${merge.reason}), the seed follows as a second part`, ...merge.notes];
    return { render: wrapInMime(detected.text, detected.contentType, source, options), shape: 'mime', gzip, notes };
  }
  if (detected.kind === 'cloud-config-archive') await checkArchive(detected.text, { source });
  return { render: wrapInMime(detected.text, detected.contentType, source, options), shape: 'mime', gzip, notes: [`${source}: ${detected.kind} user-data, wrapped in MIME with the seed as a second part`] };
}

function gunzip(input: UserDataInput): Buffer {
  try {
    return gunzipSync(input.bytes);
  } catch (error) {
    throw new InputError(input.source, `starts like gzip but does not unpack: ${(error as Error).message}`, { hint: 'The file may be truncated; check it with gzip -t.' });
  }
}

/** Our cloud-config as the last MIME part, with merge settings so cloud-init appends lists. */
function seedPart(options: SeedStanzaOptions): (seed: string) => MimePart {
  const document = seedCloudConfig({ ...options, mergeSettings: true });
  return (seed) => ({
    headers: [
      ['Content-Type', 'text/cloud-config; charset="us-ascii"'],
      ['MIME-Version', '1.0'],
      ['Content-Transfer-Encoding', '7bit'],
      ['Content-Disposition', `attachment; filename="${SEED_PART_NAME}"`],
      ['X-Merge-Type', MERGE_TYPE],
    ],
    body: document(seed),
  });
}

function wrapInMime(text: string, contentType: string, source: string, options: SeedStanzaOptions): Render {
  return wrapPartsInMime(partText(documentPart(text, contentType, partFileName(source)), '\n'), text, options, '\n');
}

/** A new multipart message: the user's part (serialised), then ours. */
function wrapPartsInMime(userPart: string, userText: string, options: SeedStanzaOptions, eol: string): Render {
  const ours = seedPart(options);
  const boundary = uniqueBoundary([userText]);
  return (seed) => buildMultipart([userPart, partText(ours(seed), eol)], boundary, eol);
}

async function appendToMime(text: string, source: string, options: SeedStanzaOptions): Promise<Render> {
  const message = parseMime(text, source);
  await validateParts(text, message, source);
  const eol = lineEndingOf(text);
  const ours = seedPart(options);
  if (message.contentType.mediaType.startsWith('multipart/')) return (seed) => appendPart(text, message, ours(seed), eol);
  // A single-part MIME message becomes the first part of a new multipart, headers and all.
  return wrapPartsInMime(text, text, options, eol);
}

/** Load every cloud-config part, so a YAML error is reported now with its line, not ignored by
 * cloud-init at boot (it skips a part it cannot load, and the user's settings with it). */
async function validateParts(text: string, entity: MimeEntity, source: string, index = { next: 1 }): Promise<void> {
  if (entity.parts.length > 0) {
    for (const part of entity.parts) await validateParts(text, part, source, index);
    return;
  }
  const number = index.next++;
  const body = decodedBody(text, entity);
  const declared = entity.contentType.mediaType;
  const typed = ['text/plain', 'text/x-not-multipart', 'text/x-shellscript'].includes(declared) ? (typeFromStart(body)?.contentType ?? declared) : declared;
  if (typed !== 'text/cloud-config') return;
  const encoded = (header(entity, 'content-transfer-encoding') ?? '7bit').toLowerCase();
  const lineExact = ['7bit', '8bit', 'binary'].includes(encoded);
  await loadCloudConfig(body, lineExact ? { source, lineOffset: entity.bodyLine - 1 } : { source, label: `part ${number} (${encoded})` });
}

function partFileName(source: string): string {
  const base = source.replace(/ \(gunzipped\)$/, '').split('/').pop() ?? '';
  const safe = base.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || safe === '-' || safe === 'stdin' ? 'user-data' : safe;
}

