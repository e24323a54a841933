// The `random_seed:` stanza read by cloud-init's seed_random module (0.7.3 and later). It appends
// `data` to `file` with no chmod or chown, which is gentler on /dev/urandom than write_files, and
// it runs before write_files in the init stage. But several distributions ship a cloud.cfg
// without seed_random, so the stanza is an extra, never a replacement for the write_files entry.
// No `command`: a command makes cloud-init 24.4+ wait for the network, and the 0.7.5/0.7.6
// default (pollinate) reached out to a server; the seed we carry needs neither.
import { singleQuoted } from './yamlText.js';
import { URANDOM } from './writeFiles.js';
import { checkObject, type ObjectShape } from './schemaCheck.js';

export const RANDOM_SEED_ENCODINGS = ['raw', 'base64', 'b64', 'gzip', 'gz'] as const;

export interface RandomSeedStanza {
  file?: string;
  data?: string;
  encoding?: (typeof RANDOM_SEED_ENCODINGS)[number];
  command?: string[];
  command_required?: boolean;
}

export function urandomRandomSeed(seedBase64: string): RandomSeedStanza {
  return { file: URANDOM, data: seedBase64, encoding: 'b64' };
}

const RANDOM_SEED: ObjectShape = {
  properties: { file: 'string', data: 'string', encoding: 'string', command: 'array', command_required: 'boolean' },
  enums: { encoding: RANDOM_SEED_ENCODINGS },
  stringArrays: ['command'],
};

/** Problems with a random_seed value, worded like cloud-init's schema messages. */
export function checkRandomSeed(value: unknown, where = 'random_seed'): string[] {
  return checkObject(value, where, RANDOM_SEED);
}

/** The stanza as top-level YAML lines. */
export function randomSeedLines(stanza: RandomSeedStanza): string[] {
  const lines = ['random_seed:'];
  if (stanza.file !== undefined) lines.push(`  file: ${stanza.file}`);
  if (stanza.data !== undefined) lines.push(`  data: ${singleQuoted(stanza.data)}`);
  if (stanza.encoding !== undefined) lines.push(`  encoding: ${stanza.encoding}`);
  if (stanza.command !== undefined) lines.push(`  command: [${stanza.command.map(singleQuoted).join(', ')}]`);
  if (stanza.command_required !== undefined) lines.push(`  command_required: ${stanza.command_required}`);
  return lines;
}
