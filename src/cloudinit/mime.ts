// Writing MIME multipart user-data: whole messages (to wrap a script, #include, boothook ... with
// our part) and one extra part appended to a user's message without touching their bytes.
// Output is deterministic: a fixed boundary, made longer only if the content already holds it.
import { header, type MimeEntity } from './mimeParse.js';

export interface MimePart {
  /** Header lines in order, e.g. ['Content-Type', 'text/cloud-config; charset="us-ascii"']. */
  headers: Array<[name: string, value: string]>;
  /** The body exactly as it goes on the wire (already transfer-encoded). */
  body: string;
}

const BOUNDARY_BASE = 'oroot-user-data-boundary';

/** A boundary that appears in none of `contents`, so no body line can be read as a delimiter. */
export function uniqueBoundary(contents: readonly string[]): string {
  for (let attempt = 0; ; attempt++) {
    const candidate = attempt === 0 ? BOUNDARY_BASE : `${BOUNDARY_BASE}-${attempt}`;
    if (!contents.some((content) => content.includes(candidate))) return candidate;
  }
}

export function partText(part: MimePart, eol: string): string {
  return `${part.headers.map(([name, value]) => `${name}: ${value}`).join(eol)}${eol}${eol}${part.body}`;
}

/**
 * A complete multipart/mixed message from serialised parts (see partText). Each part is followed
 * by a line break, which the parser counts as part of the next delimiter, so every body comes
 * back exactly as given.
 */
export function buildMultipart(partTexts: readonly string[], boundary: string, eol = '\n'): string {
  const head = `Content-Type: multipart/mixed; boundary="${boundary}"${eol}MIME-Version: 1.0${eol}${eol}`;
  return `${head}${partTexts.map((part) => `--${boundary}${eol}${part}${eol}`).join('')}--${boundary}--${eol}`;
}

/** Insert `part` as the last part of the parsed multipart message `text`, before its closing
 * delimiter; everything else in `text` stays byte-for-byte. */
export function appendPart(text: string, message: MimeEntity, part: MimePart, eol: string): string {
  const boundary = message.contentType.params.boundary;
  const at = message.closeDelimiterAt;
  if (boundary === undefined || at === undefined) throw new RangeError('appendPart needs a parsed multipart message');
  // Our part must not contain the user's delimiter, or it would split in two.
  if (partText(part, eol).includes(`--${boundary}`)) throw new RangeError(`the added part contains the boundary "${boundary}"`);
  return `${text.slice(0, at)}--${boundary}${eol}${partText(part, eol)}${eol}${text.slice(at)}`;
}

/** A part's body after undoing its Content-Transfer-Encoding, as text. */
export function decodedBody(text: string, entity: MimeEntity): string {
  const raw = text.slice(entity.bodyStart, entity.bodyEnd);
  const encoding = (header(entity, 'content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64') return Buffer.from(raw.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(raw);
  return raw;
}

function decodeQuotedPrintable(raw: string): string {
  const bytes: number[] = [];
  const soft = raw.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const hex = soft[i] === '=' ? soft.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Wrap a user's text document as a part: 7bit when it is ASCII, base64 otherwise (Python's
 * email parser, which cloud-init uses, garbles 8bit UTF-8 bodies). */
export function documentPart(content: string, contentType: string, filename: string): MimePart {
  const ascii = /^[\x00-\x7f]*$/.test(content);
  const body = ascii ? content : (Buffer.from(content, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\n');
  return {
    headers: [
      ['Content-Type', `${contentType}; charset="${ascii ? 'us-ascii' : 'utf-8'}"`],
      ['MIME-Version', '1.0'],
      ['Content-Transfer-Encoding', ascii ? '7bit' : 'base64'],
      ['Content-Disposition', `attachment; filename="${filename}"`],
    ],
    body,
  };
}
