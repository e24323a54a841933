// The write_files entry that carries the seed, a check of it against the shape cloud-init's schema
// gives write_files items, and its YAML text.
//
// Why these keys (cloud-init reads them in cc_write_files):
// - `permissions: '0666'`, quoted: cloud-init chmods the target after every write, with 0644 when
//   the key is missing, so the entry must restate /dev/urandom's normal mode. The 2012 recipe's
//   `perms:` key was never read by any cloud-init version and leaves the device at 0644. An
//   unquoted 0666 is a YAML integer, which the schema rejects.
// - `content` quoted: an unquoted base64 string can read as a number (`+123`, `0x1f`).
// - no `append`: the default mode opens with O_TRUNC, which Linux ignores for character devices,
//   so bytes written to /dev/urandom always go to the pool. Leaving `append` out keeps the entry
//   valid on cloud-init older than 18.5, which does not know the key.
// - no `defer`: deferred entries run in the final stage, long after ssh host keys are made.
import { singleQuoted } from './yamlText.js';
import { checkObject, type ObjectShape } from './schemaCheck.js';

export const WRITE_FILES_ENCODINGS = ['gz', 'gzip', 'gz+base64', 'gzip+base64', 'gz+b64', 'gzip+b64', 'b64', 'base64', 'text/plain'] as const;
export type WriteFilesEncoding = (typeof WRITE_FILES_ENCODINGS)[number];

export interface WriteFilesEntry {
  path: string;
  content?: string;
  encoding?: WriteFilesEncoding;
  owner?: string;
  permissions?: string;
  append?: boolean;
  defer?: boolean;
}

export const URANDOM = '/dev/urandom';

export function urandomEntry(seedBase64: string): WriteFilesEntry {
  return { path: URANDOM, encoding: 'b64', content: seedBase64, owner: 'root:root', permissions: '0666' };
}

const WRITE_FILES_ITEM: ObjectShape = {
  properties: { path: 'string', content: 'string', encoding: 'string', owner: 'string', permissions: 'string', append: 'boolean', defer: 'boolean' },
  required: ['path'],
  enums: { encoding: WRITE_FILES_ENCODINGS },
};

/**
 * Problems with one write_files item, worded like cloud-init's schema messages
 * (`write_files.0: 'path' is a required property`). Empty when the item is valid.
 */
export function checkWriteFilesItem(item: unknown, where = 'write_files.0'): string[] {
  const problems = checkObject(item, where, WRITE_FILES_ITEM);
  // Stricter than the schema (which only asks for a string): cloud-init parses it as octal and
  // quietly falls back to 0644 when it cannot.
  const permissions = (item as Record<string, unknown> | null)?.permissions;
  if (typeof permissions === 'string' && !/^0?[0-7]{3,4}$/.test(permissions)) {
    problems.push(`${where}.permissions: '${permissions}' is not an octal mode such as '0666'`);
  }
  return problems;
}

/** The item as YAML lines of a block sequence, each starting with `indent`. */
export function writeFilesItemLines(entry: WriteFilesEntry, indent: string): string[] {
  const lines = [`${indent}- path: ${entry.path}`];
  const more = `${indent}  `;
  if (entry.encoding !== undefined) lines.push(`${more}encoding: ${entry.encoding}`);
  if (entry.content !== undefined) lines.push(`${more}content: ${singleQuoted(entry.content)}`);
  if (entry.owner !== undefined) lines.push(`${more}owner: ${entry.owner}`);
  if (entry.permissions !== undefined) lines.push(`${more}permissions: ${singleQuoted(entry.permissions)}`);
  if (entry.append !== undefined) lines.push(`${more}append: ${entry.append}`);
  if (entry.defer !== undefined) lines.push(`${more}defer: ${entry.defer}`);
  return lines;
}
