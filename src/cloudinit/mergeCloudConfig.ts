// Merging the seed into a user's #cloud-config while keeping their text: comments, key order,
// quoting and anchors stay as written. Our write_files item is inserted as the first item of
// their write_files list (or a write_files key is appended), random_seed is appended when asked
// for and absent. The edit is then proved by loading the result and comparing it with what the
// user's data plus ours must be; if the text is too unusual to edit safely (a flow-style list,
// a quoted or anchored write_files key, a document end marker ...), the caller wraps it in MIME
// instead, which keeps the user's text byte for byte. Nothing is ever re-serialised, so nothing
// (comments included) is lost either way.
import { isDeepStrictEqual } from 'node:util';
import { loadCloudConfig, type CloudConfigData, type TextOrigin } from './cloudConfigInput.js';
import { seedRandomSeedLines, seedWriteFilesItems, type Render, type SeedStanzaOptions } from './seedConfig.js';
import { urandomEntry } from './writeFiles.js';
import { urandomRandomSeed } from './seedRandom.js';
import { lineEndingOf } from './yamlText.js';

export type CloudConfigMerge =
  | { kind: 'edited'; render: Render; notes: string[] }
  | { kind: 'not-editable'; reason: string; notes: string[] };

export async function mergeIntoCloudConfig(text: string, origin: TextOrigin, options: SeedStanzaOptions, sampleSeed: string): Promise<CloudConfigMerge> {
  const data = await loadCloudConfig(text, origin);
  const notes: string[] = [];
  const addRandomSeed = options.randomSeed && !('random_seed' in data);
  if (options.randomSeed && !addRandomSeed) {
    notes.push(`${origin.source} already has random_seed; it is kept as written and the seed goes in through write_files only`);
  }
  const eol = lineEndingOf(text);
  const body = withFinalLineBreak(text, eol);
  const plan = planInsertion(body, data);
  if (typeof plan === 'string') return { kind: 'not-editable', reason: plan, notes };

  const items = seedWriteFilesItems(plan.indent);
  const before = body.slice(0, plan.at);
  const after = body.slice(plan.at);
  const render: Render = (seed) => {
    const ours = [...(plan.appendKey ? ['write_files:'] : []), ...items(seed)];
    const tail = addRandomSeed ? seedRandomSeedLines(seed) : [];
    const merged = `${before}${ours.join(eol)}${eol}${after}`;
    return tail.length === 0 ? merged : `${merged}${tail.join(eol)}${eol}`;
  };

  const expected: CloudConfigData = { ...data, write_files: [urandomEntry(sampleSeed), ...((data.write_files as unknown[] | null) ?? [])] };
  if (addRandomSeed) expected.random_seed = urandomRandomSeed(sampleSeed);
  const reread = await loadCloudConfig(render(sampleSeed), origin).catch(() => undefined);
  if (!isDeepStrictEqual(normalise(reread), normalise(expected))) {
    return { kind: 'not-editable', reason: 'inserting into its text would change how it reads', notes };
  }
  return { kind: 'edited', render, notes };
}

interface Insertion {
  /** Offset in the text where our lines go. */
  at: number;
  indent: string;
  /** True when the document has no write_files key and ours is appended at the end. */
  appendKey: boolean;
}

/** Where our write_files item goes in `text` (which ends with a line break), or why it cannot
 * go anywhere safely. */
function planInsertion(text: string, data: CloudConfigData): Insertion | string {
  if (!('write_files' in data)) return { at: text.length, indent: '  ', appendKey: true };
  const matches = [...text.matchAll(/^write_files[ \t]*:[ \t]*(?:#.*)?\r?\n/gm)];
  if (matches.length !== 1) return 'its write_files key is not written as a plain "write_files:" line with the list below it';
  const match = matches[0]!;
  const at = match.index + match[0].length;
  const next = text.slice(at).match(/^(?:[ \t]*(?:#.*)?\r?\n)*([ \t]*)-[ \t\r\n]/);
  return { at, indent: next?.[1] ?? '  ', appendKey: false };
}

function withFinalLineBreak(text: string, eol: string): string {
  return text.length === 0 || text.endsWith('\n') ? text : `${text}${eol}`;
}

// Compare as JSON would see it: key order does not matter, undefined keys do not exist.
function normalise(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
