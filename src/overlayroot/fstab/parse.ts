// fstab(5) as util-linux's libmount reads it (checked against `findmnt --fstab -F`, see
// test/integration/fstab-util-linux.test.ts), because libmount is what mount(8) and systemd's
// fstab generator use:
//   - fields are separated by spaces and tabs; a line whose first non-blank character is '#' is a
//     comment;
//   - spec, file and vfstype are required, options, freq and passno are optional (an absent freq or
//     passno is 0, absent options mean "defaults");
//   - freq and passno, when present, must be whole integers ("1x" makes the line invalid, and
//     libmount then ignores it);
//   - anything after the sixth field is ignored (this is where trailing comments live);
//   - every field may hold three-digit octal escapes (\040 space, \011 tab, \012 newline, \134
//     backslash); the options field is decoded first and split on ',' afterwards.
// Each line keeps its raw text, so lines passed through are written back byte for byte.
import { decodeOctalEscapes } from '../../system/mounts.js';

interface LineBase {
  /** 1-based, for messages. */
  readonly lineNumber: number;
  /** The line as written, without its line break (and without a trailing '\r'). */
  readonly raw: string;
}

export interface FstabEntry extends LineBase {
  readonly kind: 'entry';
  /** Decoded fields. */
  readonly spec: string;
  readonly file: string;
  readonly vfstype: string;
  /** Decoded and split; empty when the line has no options field. */
  readonly options: readonly string[];
  readonly freq: number;
  readonly passno: number;
  /** The fields exactly as written (escapes kept), three to six of them. */
  readonly fields: readonly string[];
  /** Raw text after the sixth field (a trailing comment or ignored words), '' when none. */
  readonly rest: string;
}

export type FstabLine =
  | (LineBase & { readonly kind: 'blank' })
  | (LineBase & { readonly kind: 'comment' })
  /** A line libmount refuses (and so mount(8) and systemd ignore). */
  | (LineBase & { readonly kind: 'malformed'; readonly problem: string })
  | FstabEntry;

const FIELD = /[^ \t]+/g;
const INTEGER = /^[+-]?\d+$/;

export function parseFstab(text: string): FstabLine[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line, index) => parseLine(line.replace(/\r$/, ''), index + 1));
}

function parseLine(raw: string, lineNumber: number): FstabLine {
  const trimmed = raw.replace(/^[ \t]+/, '');
  if (trimmed === '') return { kind: 'blank', lineNumber, raw };
  if (trimmed.startsWith('#')) return { kind: 'comment', lineNumber, raw };

  const tokens = [...raw.matchAll(FIELD)];
  if (tokens.length < 3) return { kind: 'malformed', lineNumber, raw, problem: 'fewer than three fields (spec, mount point, type)' };
  const fields = tokens.slice(0, 6).map((match) => match[0]);
  for (const [index, name] of [[4, 'freq'], [5, 'passno']] as const) {
    const value = fields[index];
    if (value !== undefined && !INTEGER.test(value)) {
      return { kind: 'malformed', lineNumber, raw, problem: `field ${index + 1} (${name}) is not a number: ${value}` };
    }
  }
  const sixth = tokens[5];
  const rest = sixth ? raw.slice(sixth.index! + sixth[0].length).trim() : '';
  const options = fields[3] === undefined ? '' : decodeOctalEscapes(fields[3]);
  return {
    kind: 'entry',
    lineNumber,
    raw,
    spec: decodeOctalEscapes(fields[0]!),
    file: decodeOctalEscapes(fields[1]!),
    vfstype: decodeOctalEscapes(fields[2]!),
    options: options === '' ? [] : options.split(','),
    freq: fields[4] === undefined ? 0 : Number(fields[4]),
    passno: fields[5] === undefined ? 0 : Number(fields[5]),
    fields,
    rest,
  };
}

/** Escape a value for an fstab field the way util-linux does (space, tab, newline, backslash). */
export function encodeField(value: string): string {
  return value.replace(/[ \t\n\\]/g, (char) => `\\${char.charCodeAt(0).toString(8).padStart(3, '0')}`);
}
