// A strict reader for the MIME user-data cloud-init accepts (RFC 2045/2046 multipart). It keeps
// offsets into the original text instead of copying parts, so oroot can add its part and leave
// every byte of the user's parts where it was. Python's email parser (which cloud-init uses) is
// lenient: a truncated or malformed message loses parts silently. Here each defect is an error
// that names the line.
import { InputError } from '../errors.js';

export interface MimeHeader {
  /** Lower-case name. */
  name: string;
  /** Unfolded value. */
  value: string;
  /** 1-based line where the header starts. */
  line: number;
}

export interface ContentType {
  /** Lower-case "type/subtype". */
  mediaType: string;
  params: Record<string, string>;
}

export interface MimeEntity {
  headers: MimeHeader[];
  contentType: ContentType;
  /** Offsets in the text: the body is text.slice(bodyStart, bodyEnd). */
  bodyStart: number;
  bodyEnd: number;
  /** 1-based line number where the body starts. */
  bodyLine: number;
  /** The parts of a multipart entity (empty otherwise). */
  parts: MimeEntity[];
  /** Multipart only: where the closing `--boundary--` line starts. */
  closeDelimiterAt?: number;
}

interface Line {
  start: number;
  /** End of the line's content, before its line break. */
  end: number;
}

export const HEADER_LINE = /^[!-9;-~]+:/;

export function header(entity: MimeEntity, name: string): string | undefined {
  return entity.headers.find((h) => h.name === name)?.value;
}

/** Parse a whole MIME message; `source` names the file in errors. */
export function parseMime(text: string, source: string): MimeEntity {
  const lines = splitLines(text);
  return parseEntity(text, lines, 0, lines.length, { source, topLevel: true });
}

export function parseContentType(value: string | undefined): ContentType {
  if (value === undefined) return { mediaType: 'text/plain', params: {} };
  const [type = '', ...rest] = splitParams(value);
  const params: Record<string, string> = {};
  for (const item of rest) {
    const equals = item.indexOf('=');
    if (equals < 0) continue;
    let paramValue = item.slice(equals + 1).trim();
    if (paramValue.startsWith('"') && paramValue.endsWith('"') && paramValue.length >= 2) {
      paramValue = paramValue.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    params[item.slice(0, equals).trim().toLowerCase()] = paramValue;
  }
  return { mediaType: type.trim().toLowerCase(), params };
}

// Split on ';' outside double quotes.
function splitParams(value: string): string[] {
  return value.match(/(?:[^;"]|"(?:[^"\\]|\\.)*")+/g) ?? [''];
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const breaks = /\r\n|\n|\r/g;
  let start = 0;
  for (let match = breaks.exec(text); match; match = breaks.exec(text)) {
    lines.push({ start, end: match.index });
    start = match.index + match[0].length;
  }
  if (start < text.length) lines.push({ start, end: text.length });
  return lines;
}

interface Context {
  source: string;
  topLevel: boolean;
}

function parseEntity(text: string, lines: Line[], first: number, last: number, context: Context): MimeEntity {
  const at = (index: number) => `${context.source}:${index + 1}`;
  const headers: MimeHeader[] = [];
  let index = first;
  for (; index < last; index++) {
    const line = lineText(text, lines, index);
    if (line === '') break;
    if (HEADER_LINE.test(line)) {
      const colon = line.indexOf(':');
      headers.push({ name: line.slice(0, colon).toLowerCase(), value: line.slice(colon + 1).trim(), line: index + 1 });
    } else if (/^[ \t]/.test(line) && headers.length > 0) {
      const previous = headers[headers.length - 1]!;
      previous.value = `${previous.value} ${line.trim()}`.trim();
    } else if (headers.length === 0 && !context.topLevel) {
      break; // a part without headers: its body starts right away (text/plain, typed by its start)
    } else {
      throw new InputError(at(index), `expected a MIME header ("Name: value") or the blank line that ends the headers, found "${clip(line)}"`, {
        hint: 'Every header block must end with an empty line before the body.',
      });
    }
  }
  if (index >= last && headers.length > 0) {
    throw new InputError(at(Math.max(first, last - 1)), 'the MIME headers never end: no blank line and no body follow them', {
      hint: 'The file may be truncated.',
    });
  }
  const bodyFirst = index < last && lineText(text, lines, index) === '' ? index + 1 : index;
  const entity: MimeEntity = {
    headers,
    contentType: parseContentType(headers.find((h) => h.name === 'content-type')?.value),
    bodyStart: bodyFirst < last ? lines[bodyFirst]!.start : rangeEnd(text, lines, last),
    bodyEnd: rangeEnd(text, lines, last),
    bodyLine: bodyFirst + 1,
    parts: [],
  };
  if (entity.contentType.mediaType.startsWith('multipart/')) parseParts(text, lines, bodyFirst, last, entity, context);
  return entity;
}

function parseParts(text: string, lines: Line[], first: number, last: number, entity: MimeEntity, context: Context): void {
  const boundary = entity.contentType.params.boundary;
  const where = `${context.source}:${first + 1}`;
  if (!boundary) {
    const contentTypeLine = entity.headers.find((h) => h.name === 'content-type')?.line ?? first;
    throw new InputError(`${context.source}:${contentTypeLine}`, `the ${entity.contentType.mediaType} Content-Type has no boundary parameter`, {
      hint: 'Give it one: Content-Type: multipart/mixed; boundary="SOMETHING-UNIQUE"',
    });
  }
  const delimiter = `--${boundary}`;
  const partStarts: number[] = [];
  let close: number | undefined;
  for (let index = first; index < last && close === undefined; index++) {
    const line = lineText(text, lines, index);
    if (!line.startsWith(delimiter)) continue;
    const rest = line.slice(delimiter.length);
    if (/^[ \t]*$/.test(rest)) partStarts.push(index);
    else if (/^--[ \t]*$/.test(rest)) close = index;
  }
  if (close === undefined) {
    const problem = partStarts.length === 0 ? `the boundary "${boundary}" never appears in the body` : `there is no closing boundary line "${delimiter}--"`;
    throw new InputError(where, problem, { hint: 'The file may be truncated or its boundary misspelt; every part starts with --BOUNDARY and the last one is followed by --BOUNDARY--.' });
  }
  const ends = [...partStarts.slice(1), close];
  entity.parts = partStarts.map((start, i) => parseEntity(text, lines, start + 1, ends[i]!, { ...context, topLevel: false }));
  entity.closeDelimiterAt = lines[close]!.start;
}

// Where a range of lines ends: the line break before the next line belongs to the delimiter that
// follows (RFC 2046 §5.1.1), so a body ends where its last line's content ends.
function rangeEnd(text: string, lines: Line[], last: number): number {
  if (last >= lines.length) return text.length;
  return last > 0 ? lines[last - 1]!.end : lines[last]!.start;
}

function lineText(text: string, lines: Line[], index: number): string {
  const line = lines[index]!;
  return text.slice(line.start, line.end);
}

function clip(line: string): string {
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}
