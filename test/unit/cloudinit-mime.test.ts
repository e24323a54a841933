import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { appendPart, buildMultipart, decodedBody, documentPart, partText, uniqueBoundary } from '../../src/cloudinit/mime.js';
import { header, parseMime } from '../../src/cloudinit/mimeParse.js';

const message = [
  'Content-Type: multipart/mixed;',
  ' boundary="==B=="',
  'MIME-Version: 1.0',
  '',
  'preamble text',
  '--==B==',
  'Content-Type: text/cloud-config',
  '',
  '#cloud-config',
  'a: 1',
  '',
  '--==B==  ',
  '',
  '#!/bin/sh',
  'echo no headers',
  '--==B==--',
  'epilogue',
  '',
].join('\n');

const bodies = (text: string) => parseMime(text, 'm').parts.map((part) => decodedBody(text, part));

describe('parseMime', () => {
  it('reads folded headers, parts, a headerless part, and keeps offsets into the text', () => {
    const parsed = parseMime(message, 'm');
    expect(parsed.contentType).toEqual({ mediaType: 'multipart/mixed', params: { boundary: '==B==' } });
    expect(parsed.parts).toHaveLength(2);
    expect(header(parsed.parts[0]!, 'content-type')).toBe('text/cloud-config');
    expect(parsed.parts[0]!.bodyLine).toBe(9);
    // The line break before a delimiter belongs to the delimiter: the blank line stays in the body.
    expect(bodies(message)).toEqual(['#cloud-config\na: 1\n', '#!/bin/sh\necho no headers']);
    expect(message.slice(parsed.closeDelimiterAt!)).toBe('--==B==--\nepilogue\n');
  });

  it('reads CRLF messages and nested multiparts', () => {
    const nested = [
      'Content-Type: multipart/mixed; boundary=outer',
      'MIME-Version: 1.0',
      '',
      '--outer',
      'Content-Type: multipart/alternative; boundary="inner"',
      '',
      '--inner',
      '',
      'one',
      '--inner',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('two ✓').toString('base64'),
      '--inner--',
      '--outer--',
      '',
    ].join('\r\n');
    const parsed = parseMime(nested, 'm');
    expect(parsed.parts[0]!.parts.map((part) => decodedBody(nested, part))).toEqual(['one', 'two ✓']);
  });

  it.each([
    ['no boundary parameter', 'Content-Type: multipart/mixed\nMIME-Version: 1.0\n\nbody\n', 'm:1: the multipart/mixed Content-Type has no boundary parameter'],
    ['a boundary that never appears', 'Content-Type: multipart/mixed; boundary=b\nMIME-Version: 1.0\n\nbody\n', 'm:4: the boundary "b" never appears in the body'],
    ['no closing delimiter (truncated)', 'Content-Type: multipart/mixed; boundary=b\nMIME-Version: 1.0\n\n--b\n\n#cloud-config\n', 'm:4: there is no closing boundary line "--b--"'],
    ['a header block with no blank line', 'Content-Type: multipart/mixed; boundary=b\nMIME-Version: 1.0\nnot a header\n--b--\n', 'm:3: expected a MIME header ("Name: value") or the blank line that ends the headers, found "not a header"'],
    ['headers that run to the end', 'MIME-Version: 1.0\nContent-Type: text/plain', 'm:2: the MIME headers never end: no blank line and no body follow them'],
  ])('refuses %s, naming the line', (_name, text, expected) => {
    expect(() => parseMime(text, 'm')).toThrow(InputError);
    expect(() => parseMime(text, 'm')).toThrow(expected);
  });
});

describe('building MIME', () => {
  it('appendPart adds a last part and leaves every other byte where it was', () => {
    const parsed = parseMime(message, 'm');
    const part = { headers: [['Content-Type', 'text/cloud-config']] as Array<[string, string]>, body: '#cloud-config\nb: 2\n' };
    const result = appendPart(message, parsed, part, '\n');
    const at = parsed.closeDelimiterAt!;
    expect(result.slice(0, at)).toBe(message.slice(0, at));
    expect(result.endsWith(message.slice(at))).toBe(true);
    expect(bodies(result)).toEqual([...bodies(message), '#cloud-config\nb: 2\n']);
  });

  it('uniqueBoundary avoids any boundary the content holds', () => {
    expect(uniqueBoundary(['plain'])).toBe('oroot-user-data-boundary');
    expect(uniqueBoundary(['x --oroot-user-data-boundary', 'oroot-user-data-boundary-1'])).toBe('oroot-user-data-boundary-2');
  });

  it('documentPart keeps ASCII as 7bit and carries UTF-8 as base64', () => {
    expect(documentPart('#!/bin/sh\n', 'text/x-shellscript', 'a.sh').headers).toContainEqual(['Content-Transfer-Encoding', '7bit']);
    const utf8 = documentPart('#!/bin/sh\necho ✓\n', 'text/x-shellscript', 'a.sh');
    expect(utf8.headers).toContainEqual(['Content-Transfer-Encoding', 'base64']);
    expect(utf8.headers).toContainEqual(['Content-Type', 'text/x-shellscript; charset="utf-8"']);
  });

  it('round-trips any bodies through build and parse', () => {
    const body = fc.string({ unit: fc.constantFrom('a', 'Z', '-', ' ', '\n', '\r\n', '#', ':', '=', '✓'), maxLength: 60 });
    fc.assert(
      fc.property(fc.array(body, { minLength: 1, maxLength: 4 }), fc.constantFrom('\n', '\r\n'), (contents, eol) => {
        const parts = contents.map((content) => documentPart(content, 'text/plain', 'p'));
        const boundary = uniqueBoundary(contents);
        const built = buildMultipart(parts.map((part) => partText(part, eol)), boundary, eol);
        expect(bodies(built)).toEqual(contents);
      }),
    );
  });
});
