// What kind of user-data a file is, decided the way cloud-init decides it, so oroot never merges
// into something cloud-init would read differently:
//   1. gzip magic (1f 8b): the whole blob is gunzipped first;
//   2. "mime-version:" anywhere in the first 4096 bytes: parsed as MIME;
//   3. otherwise the type comes from how the text starts (after leading whitespace, case-
//      insensitive, longest prefix first): #cloud-config, #!, #include, ...
// Anything cloud-init would ignore ("Unhandled non-multipart") is refused with the reason.
import { InputError } from '../errors.js';
import { HEADER_LINE } from './mimeParse.js';

export type TextKind =
  | 'cloud-config'
  | 'cloud-config-archive'
  | 'cloud-config-jsonp'
  | 'include'
  | 'include-once'
  | 'jinja'
  | 'shellscript'
  | 'boothook'
  | 'part-handler';

export type Detected = { kind: 'gzip' } | { kind: 'mime'; text: string } | { kind: TextKind; text: string; contentType: string };

interface StartRule {
  prefix: string;
  kind: TextKind;
  contentType: string;
}

// Longest prefix first, so "#cloud-config-archive" wins over "#cloud-config".
const START_RULES: readonly StartRule[] = (
  [
    { prefix: '#include', kind: 'include', contentType: 'text/x-include-url' },
    { prefix: '#include-once', kind: 'include-once', contentType: 'text/x-include-once-url' },
    { prefix: '#!', kind: 'shellscript', contentType: 'text/x-shellscript' },
    { prefix: '#cloud-config', kind: 'cloud-config', contentType: 'text/cloud-config' },
    { prefix: '#part-handler', kind: 'part-handler', contentType: 'text/part-handler' },
    { prefix: '#cloud-boothook', kind: 'boothook', contentType: 'text/cloud-boothook' },
    { prefix: '#cloud-config-archive', kind: 'cloud-config-archive', contentType: 'text/cloud-config-archive' },
    { prefix: '#cloud-config-jsonp', kind: 'cloud-config-jsonp', contentType: 'text/cloud-config-jsonp' },
    { prefix: '## template: jinja', kind: 'jinja', contentType: 'text/jinja2' },
  ] as const
)
  .slice()
  .sort((a, b) => b.prefix.length - a.prefix.length);

export const KNOWN_STARTS = START_RULES.map((rule) => rule.prefix).sort();

const MIME_SNIFF_BYTES = 4096;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The content type cloud-init gives a text by how it starts, or undefined if none fits. */
export function typeFromStart(text: string): StartRule | undefined {
  const start = text.trimStart().slice(0, 32).toLowerCase();
  return START_RULES.find((rule) => start.startsWith(rule.prefix));
}

export function detectUserData(bytes: Buffer, source: string): Detected {
  if (isGzip(bytes)) return { kind: 'gzip' };
  if (bytes.length === 0 || bytes.every((byte) => byte === 0x20 || (byte >= 0x09 && byte <= 0x0d))) {
    throw new InputError(source, 'is empty; there is nothing to merge the seed into', { hint: 'Drop --merge to write user-data that holds only the seed.' });
  }
  const text = decodeUtf8(bytes, source);
  if (text.startsWith('\uFEFF')) {
    throw new InputError(`${source}:1:1`, 'starts with a byte-order mark, so cloud-init would not recognise its first line', {
      hint: 'Save the file as UTF-8 without a BOM.',
    });
  }
  if (HEADER_LINE.test(text) && bytes.subarray(0, MIME_SNIFF_BYTES).toString('latin1').toLowerCase().includes('mime-version:')) {
    return { kind: 'mime', text };
  }
  const rule = typeFromStart(text);
  if (rule) return { kind: rule.kind, text, contentType: rule.contentType };
  throw unrecognised(text, source);
}

function decodeUtf8(bytes: Buffer, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    throw new InputError(`${source}:${bad.line}:${bad.column}`, 'is not valid UTF-8 text (nor gzip), and cloud-init reads user-data as UTF-8', {
      hint: 'Convert the file to UTF-8 (e.g. iconv -t UTF-8), or gzip it if it must hold other bytes.',
    });
  }
}

function firstInvalidUtf8(bytes: Buffer): { line: number; column: number } {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  while (offset < bytes.length) {
    const lead = bytes[offset] ?? 0;
    const length = lead < 0x80 ? 1 : (lead & 0xe0) === 0xc0 ? 2 : (lead & 0xf0) === 0xe0 ? 3 : (lead & 0xf8) === 0xf0 ? 4 : 0;
    if (length === 0 || offset + length > bytes.length) break;
    try {
      decoder.decode(bytes.subarray(offset, offset + length));
    } catch {
      break;
    }
    offset += length;
  }
  const lines = bytes.subarray(0, offset).toString('utf8').split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

function unrecognised(text: string, source: string): InputError {
  const firstLine = text.trimStart().split(/\r\n|\n|\r/, 1)[0] ?? '';
  const shown = firstLine.length > 40 ? `${firstLine.slice(0, 40)}…` : firstLine;
  if (/^content-type[ \t]*:/i.test(firstLine)) {
    return new InputError(source, `looks like a MIME message but has no MIME-Version header in its first ${MIME_SNIFF_BYTES} bytes, so cloud-init would not read it as MIME and would ignore it`, {
      hint: 'Add "MIME-Version: 1.0" to the top-level headers.',
    });
  }
  if (looksBase64(text)) {
    return new InputError(source, 'looks base64-encoded; cloud-init does not decode whole user-data (only some EC2 datasources do)', {
      hint: 'Pass the decoded file (base64 -d); the cloud CLIs encode user-data themselves.',
    });
  }
  return new InputError(`${source}:1:1`, `starts with "${shown}", which is not a user-data type cloud-init knows, so it would ignore the file`, {
    hint: `User-data must start with one of: ${KNOWN_STARTS.join(', ')} (or be MIME or gzip). If it is cloud-config YAML, add "#cloud-config" as its first line.`,
  });
}

function looksBase64(text: string): boolean {
  const compact = text.replace(/\s+/g, '');
  if (compact.length < 8 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return false;
  const decoded = Buffer.from(compact, 'base64');
  return isGzip(decoded) || decoded.subarray(0, 1).toString('latin1') === '#' || /^content-type/i.test(decoded.subarray(0, 12).toString('latin1'));
}
