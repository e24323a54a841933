import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { mergeWithUserData } from '../../src/cloudinit/merge.js';
import { decodedBody } from '../../src/cloudinit/mime.js';
import { header, parseMime } from '../../src/cloudinit/mimeParse.js';
import { MERGE_TYPE } from '../../src/cloudinit/seedConfig.js';
import { urandomEntry, writeFilesItemLines } from '../../src/cloudinit/writeFiles.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/userdata');
const fixture = (name: string) => readFileSync(path.join(fixtures, name));
const seed = 'c2VlZCBieXRlcyBmb3IgdGVzdHMgb25seSwgbm90IHJhbmRvbQ==';
const ours = urandomEntry(seed);

async function merge(input: string | Buffer, options = { randomSeed: false }, source = 'user-data') {
  const merged = await mergeWithUserData({ bytes: Buffer.isBuffer(input) ? input : Buffer.from(input), source }, options, 'AAAA');
  return { ...merged, text: merged.render(seed) };
}

async function failure(input: string | Buffer, source = 'user-data'): Promise<InputError> {
  const error = await merge(input, undefined, source).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

/** The parts of a MIME result: their content types, decoded bodies and headers. */
function mimeParts(text: string) {
  return parseMime(text, 'out').parts.map((part) => ({ type: part.contentType.mediaType, body: decodedBody(text, part), mergeType: header(part, 'x-merge-type') }));
}

describe('merging into #cloud-config (text kept, one document out)', () => {
  it('adds our entry first in the user write_files list and keeps every key, entry and comment', async () => {
    const user = fixture('cloud-config.yaml').toString();
    const result = await merge(user);
    expect(result.shape).toBe('cloud-config');
    const data = yaml.load(result.text) as Record<string, unknown>;
    const before = yaml.load(user) as Record<string, unknown>;
    expect(data).toEqual({ ...before, write_files: [ours, ...(before.write_files as unknown[])] });
    // Take our lines out again and the user's text is back, byte for byte.
    expect(result.text.replace(`${writeFilesItemLines(ours, '  ').join('\n')}\n`, '')).toBe(user);
    expect(result.text).toContain('# greeting shown at login');
  });

  it('appends a write_files key when the user has none', async () => {
    const user = fixture('cloud-config-no-write-files.yaml').toString();
    const result = await merge(user);
    expect(result.text.startsWith(user)).toBe(true);
    expect(yaml.load(result.text)).toEqual({ timezone: 'UTC', ssh_pwauth: false, write_files: [ours] });
  });

  it.each([
    ['items at column 0', '#cloud-config\nwrite_files:\n- path: /a\n  content: x\n'],
    ['items indented by 4', '#cloud-config\nwrite_files:\n    - path: /a\n      content: x\n'],
    ['a comment before the items', '#cloud-config\nwrite_files:  # files\n  # first\n  - path: /a\n'],
    ['an empty write_files', '#cloud-config\nwrite_files:\nhostname: h\n'],
    ['no final line break', '#cloud-config\nhostname: h'],
    ['CRLF line endings', '#cloud-config\r\nwrite_files:\r\n  - path: /a\r\n'],
  ])('handles %s', async (_name, user) => {
    const result = await merge(user);
    expect(result.shape).toBe('cloud-config');
    const data = yaml.load(result.text) as { write_files: unknown[] };
    const theirs = ((yaml.load(user) as { write_files?: unknown[] | null }).write_files ?? []) as unknown[];
    expect(data.write_files).toEqual([ours, ...theirs]);
    if (user.includes('\r\n')) expect(result.text.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('adds random_seed when asked, and keeps the user\'s own random_seed instead of overriding it', async () => {
    const added = await merge('#cloud-config\nhostname: h\n', { randomSeed: true });
    expect((yaml.load(added.text) as Record<string, unknown>).random_seed).toEqual({ file: '/dev/urandom', data: seed, encoding: 'b64' });
    const kept = await merge('#cloud-config\nrandom_seed:\n  command: [pollinate]\n', { randomSeed: true });
    expect((yaml.load(kept.text) as Record<string, unknown>).random_seed).toEqual({ command: ['pollinate'] });
    expect(kept.notes.join('\n')).toMatch(/already has random_seed; it is kept as written/);
  });

  it.each([
    ['flow-style write_files', '#cloud-config\nwrite_files: [{path: /a, content: x}]\n'],
    ['a document end marker', '#cloud-config\nhostname: h\n...\n'],
    ['a quoted write_files key', '#cloud-config\n"write_files":\n  - path: /a\n'],
    ['an anchored write_files list', '#cloud-config\nwrite_files: &files\n  - path: /a\n'],
  ])('falls back to MIME (user text as its own part) for %s', async (_name, user) => {
    const result = await merge(user);
    expect(result.shape).toBe('mime');
    const parts = mimeParts(result.text);
    expect(parts.map((part) => part.type)).toEqual(['text/cloud-config', 'text/cloud-config']);
    expect(parts[0]!.body).toBe(user);
    expect(parts[1]!.mergeType).toBe(MERGE_TYPE);
    expect((yaml.load(parts[1]!.body) as { write_files: unknown[] }).write_files).toEqual([ours]);
  });
});

describe('merging into MIME (user bytes untouched, our part last with merge settings)', () => {
  it('appends our part after the user parts', async () => {
    const user = fixture('user.mime').toString();
    const result = await merge(user);
    expect(result.shape).toBe('mime');
    const close = user.lastIndexOf('--==BOUNDARY==--');
    expect(result.text.startsWith(user.slice(0, close))).toBe(true);
    expect(result.text.endsWith(user.slice(close))).toBe(true);
    const parts = mimeParts(result.text);
    expect(parts.map((part) => part.type)).toEqual(['text/cloud-config', 'text/x-shellscript', 'text/cloud-config']);
    const seedPart = yaml.load(parts[2]!.body) as Record<string, unknown>;
    expect(seedPart.write_files).toEqual([ours]);
    expect(seedPart.merge_how).toBeDefined();
    expect(parts[2]!.mergeType).toBe(MERGE_TYPE);
  });

  it('turns a single-part MIME message into the first part of a multipart', async () => {
    const user = 'Content-Type: text/x-shellscript\nMIME-Version: 1.0\n\n#!/bin/sh\necho one\n';
    const parts = mimeParts((await merge(user)).text);
    expect(parts.map((part) => [part.type, part.body])).toEqual([
      ['text/x-shellscript', '#!/bin/sh\necho one\n'],
      ['text/cloud-config', expect.stringContaining('/dev/urandom')],
    ]);
  });

  it('refuses broken MIME and names the line', async () => {
    const truncated = fixture('user.mime').toString().replace('--==BOUNDARY==--\n', '');
    expect((await failure(truncated, 'user.mime')).message).toBe('user.mime:4: there is no closing boundary line "--==BOUNDARY==--"');
  });

  it('refuses a cloud-config part with bad YAML, naming the line in the file', async () => {
    const user = fixture('user.mime').toString().replace('    content: "first part\\n"', '    content: [unclosed');
    const error = await failure(user, 'user.mime');
    expect(error.message).toMatch(/^user\.mime:14:\d+: invalid YAML: /);
  });

  it('names the part for YAML errors inside a base64 part', async () => {
    const body = Buffer.from('#cloud-config\na: [1,\n').toString('base64');
    const user = `Content-Type: multipart/mixed; boundary=b\nMIME-Version: 1.0\n\n--b\nContent-Type: text/cloud-config\nContent-Transfer-Encoding: base64\n\n${body}\n--b--\n`;
    expect((await failure(user, 'u.mime')).message).toMatch(/^u\.mime: part 1 \(base64\), line 3:1: invalid YAML/);
  });
});

describe('wrapping other user-data in MIME', () => {
  it.each([
    ['script.sh', 'text/x-shellscript'],
    ['boothook.txt', 'text/cloud-boothook'],
    ['jinja.yaml', 'text/jinja2'],
    ['archive.yaml', 'text/cloud-config-archive'],
  ])('%s becomes a %s part, byte for byte, with ours after it', async (name, type) => {
    const user = fixture(name).toString();
    const result = await merge(user, undefined, `some/dir/${name}`);
    expect(result.shape).toBe('mime');
    const parsed = parseMime(result.text, 'out');
    expect(header(parsed.parts[0]!, 'content-disposition')).toBe(`attachment; filename="${name}"`);
    expect(mimeParts(result.text).map((part) => [part.type, part.body])).toEqual([
      [type, user],
      ['text/cloud-config', expect.stringContaining('merge_how')],
    ]);
  });

  it.each([
    ['#include', '#include\nhttps://example.com/base.yaml\n', 'text/x-include-url'],
    ['#include-once', '#include-once\nhttps://example.com/base.yaml\n', 'text/x-include-once-url'],
    ['#cloud-config-jsonp', '#cloud-config-jsonp\n[{"op": "add", "path": "/a", "value": 1}]\n', 'text/cloud-config-jsonp'],
    ['#part-handler', '#part-handler\ndef list_types():\n    return []\n', 'text/part-handler'],
  ])('%s is wrapped as %s', async (_name, user, type) => {
    expect(mimeParts((await merge(user)).text).map((part) => part.type)).toEqual([type, 'text/cloud-config']);
  });

  it('carries non-ASCII scripts exactly (base64 part)', async () => {
    const user = '#!/bin/sh\necho "grüße ✓"\n';
    expect(mimeParts((await merge(user)).text)[0]!.body).toBe(user);
  });
});

describe('gzip input', () => {
  it('is unpacked, merged and flagged for recompression', async () => {
    const user = fixture('cloud-config-no-write-files.yaml');
    const result = await merge(gzipSync(user), undefined, 'ud.gz');
    expect(result.gzip).toBe(true);
    expect(result.shape).toBe('cloud-config');
    expect(yaml.load(result.text)).toMatchObject({ timezone: 'UTC', write_files: [ours] });
  });

  it('refuses gzip inside gzip and a broken gzip stream', async () => {
    expect((await failure(gzipSync(gzipSync('#cloud-config\n')), 'ud.gz')).message).toBe('ud.gz: is gzip inside gzip; cloud-init unpacks only one layer');
    const broken = gzipSync('#cloud-config\nhostname: h\n').subarray(0, 12);
    expect((await failure(broken, 'ud.gz')).message).toMatch(/^ud\.gz: starts like gzip but does not unpack/);
    expect(gunzipSync(gzipSync('x')).toString()).toBe('x');
  });

  it('reports errors inside gzip against the unpacked text', async () => {
    const error = await failure(gzipSync('#cloud-config\na: [\n'), 'ud.gz');
    expect(error.message).toMatch(/^ud\.gz \(gunzipped\):3:1: invalid YAML/);
  });
});

describe('invalid #cloud-config is refused with file:line:column', () => {
  it.each([
    ['bad indentation', '#cloud-config\nwrite_files:\n  - path: /a\n bad: 1\n', /^u\.yaml:4:\d+: invalid YAML: /],
    ['an unclosed flow list', '#cloud-config\npackages: [a, b\n', /^u\.yaml:3:1: invalid YAML: unexpected end of the stream within a flow collection$/],
    ['a duplicated key', '#cloud-config\nhostname: a\nhostname: b\n', /^u\.yaml:3:1: invalid YAML: duplicated mapping key$/],
    ['two documents', '#cloud-config\na: 1\n---\nb: 2\n', /^u\.yaml:3:1: holds more than one YAML document/],
    ['a list instead of a mapping', '#cloud-config\n- a\n- b\n', /^u\.yaml:2:1: is cloud-config but holds a YAML list, not a mapping of keys$/],
    ['write_files as a mapping', '#cloud-config\nwrite_files:\n  path: /a\n', /^u\.yaml:2:1: write_files must be a list of entries$/],
  ])('%s', async (_name, user, message) => {
    expect((await failure(user, 'u.yaml')).message).toMatch(message);
  });

  it('refuses a #cloud-config-archive that is not a list', async () => {
    expect((await failure('#cloud-config-archive\ntype: text/cloud-config\n', 'a.yaml')).message).toBe('a.yaml:2:1: is a #cloud-config-archive but holds a YAML object, not a list of parts');
    expect((await failure('#cloud-config-archive\n- type: [\n', 'a.yaml')).message).toMatch(/^a\.yaml:3:1: invalid YAML/);
  });

  it('refuses the 2012 recipe entry, which would leave /dev/urandom at 0644', async () => {
    const user = fixture('recipe-2012.yaml').toString().replace('SEED', seed);
    const error = await failure(user, 'recipe.yaml');
    expect(error.message).toBe('recipe.yaml:2:1: write_files entry 0 for /dev/urandom uses the key "perms", which cloud-init never read, so cloud-init would chmod the device to 0644 after writing');
    expect(error.hint).toMatch(/'perms' was unexpected/);
  });

  it('has hints that say how to fix it', async () => {
    expect((await failure('#cloud-config\nhostname: a\nhostname: b\n')).hint).toMatch(/keep only the last/);
  });
});
