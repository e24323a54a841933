// oroot's own cloud-config: the write_files entry, and on request the random_seed stanza, as YAML
// text with the seed left open. Every builder here returns a function of the seed so a fleet
// renders thousands of documents from one prepared shape.
import { InternalError } from '../errors.js';
import { checkRandomSeed, randomSeedLines, urandomRandomSeed } from './seedRandom.js';
import { checkWriteFilesItem, urandomEntry, writeFilesItemLines } from './writeFiles.js';

/** Renders one document (or fragment) for one seed, given as base64. */
export type Render = (seedBase64: string) => string;

export interface SeedStanzaOptions {
  /** Also emit `random_seed:` (same bytes) for images whose cloud.cfg runs seed_random. */
  randomSeed: boolean;
}

export const CLOUD_CONFIG_HEADER = '#cloud-config';
export const SEED_COMMENT = '# oroot: random bytes for /dev/urandom, mixed into the kernel pool at first boot';

/**
 * How cloud-init must merge our part into the parts before it. Its default for user-data parts
 * is dict(replace): a later part's write_files list would replace the user's (or theirs ours).
 * Lists append; dict keys the user already set keep the user's value.
 */
export const MERGE_TYPE = 'list(append)+dict(recurse_array)+str()';
const MERGE_HOW_LINES = [
  'merge_how:',
  '  - name: list',
  '    settings: [append]',
  '  - name: dict',
  '    settings: [no_replace, recurse_list]',
];

/** The write_files list item(s) carrying the seed, at `indent`. */
export function seedWriteFilesItems(indent: string): (seedBase64: string) => string[] {
  return (seed) => writeFilesItemLines(urandomEntry(seed), indent);
}

export function seedRandomSeedLines(seedBase64: string): string[] {
  return randomSeedLines(urandomRandomSeed(seedBase64));
}

/**
 * A complete `#cloud-config` document. With `mergeSettings` it also carries merge_how, for when
 * it is the last part of a MIME message after the user's parts.
 */
export function seedCloudConfig(options: SeedStanzaOptions & { mergeSettings?: boolean }): Render {
  assertOwnStanzasValid();
  const items = seedWriteFilesItems('  ');
  const head = [CLOUD_CONFIG_HEADER, SEED_COMMENT, ...(options.mergeSettings ? MERGE_HOW_LINES : []), 'write_files:'];
  return (seed) => {
    const lines = [...head, ...items(seed), ...(options.randomSeed ? seedRandomSeedLines(seed) : [])];
    return `${lines.join('\n')}\n`;
  };
}

/** Our stanzas must pass the same checks we would apply to anyone's; a failure is a bug here. */
function assertOwnStanzasValid(): void {
  const sample = 'AAAA';
  const problems = [...checkWriteFilesItem(urandomEntry(sample)), ...checkRandomSeed(urandomRandomSeed(sample))];
  if (problems.length > 0) throw new InternalError(`oroot's own cloud-config fails its schema check: ${problems.join('; ')}`);
}
