// Reads a shell-style variable file (/etc/overlayroot.conf and friends) as DATA. overlayroot
// sources these files as shell, so anything in them runs as root in the initramfs; we accept
// only the forms real files use and reject everything else with the file and line:
//   NAME=value   NAME="value"   NAME='value'   export NAME=value   export NAME
//   # comments, blank lines, several assignments on a line, "a"'b' concatenation, \-newline
// Never accepted: $… expansion, `…`, ;, &, |, redirections, commands of any kind.
import { InputError } from '../../errors.js';
import { redactSecrets } from './redact.js';

export interface ShellAssignment {
  readonly name: string;
  readonly value: string;
  /** 1-based line where the assignment starts. */
  readonly line: number;
}

interface Word {
  text: string;
  line: number;
  /** How many leading characters came from plain unquoted text (where NAME= must be). */
  plainPrefix: number;
  quotedSomething: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPERATORS: Record<string, string> = {
  ';': 'a command separator (;)',
  '&': 'a background or && operator (&)',
  '|': 'a pipe or || operator (|)',
  '<': 'a redirection (<)',
  '>': 'a redirection (>)',
  '(': 'a subshell or function ( )',
  ')': 'a subshell or function ( )',
};
const NEEDS_QUOTES = new Set(['~', '*', '?', '[', ']', '{', '}', '!']);
const AS_DATA = 'the file is read as data and never run; only NAME=value assignments are allowed';

/** Parse `text` (the content of `file`) into its assignments, in order. Throws InputError. */
export function parseShellVars(text: string, file: string): ShellAssignment[] {
  return new ShellVarReader(text, file).read();
}

class ShellVarReader {
  private pos = 0;
  private line = 1;
  private readonly out: ShellAssignment[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  read(): ShellAssignment[] {
    const nul = this.text.indexOf('\0');
    if (nul >= 0) this.fail(this.lineAt(nul), 'contains a NUL byte; this is not a text file');
    while (this.pos < this.text.length) this.command();
    return this.out;
  }

  /** One command: words up to the end of the line (or a comment), then checked for shape. */
  private command(): void {
    const words: Word[] = [];
    for (;;) {
      this.skipBlanks();
      const c = this.text[this.pos];
      if (c === undefined) break;
      if (c === '\n') {
        this.pos++;
        this.line++;
        break;
      }
      if (c === '#') {
        this.skipComment();
        continue;
      }
      words.push(this.word());
    }
    this.accept(words);
  }

  private accept(words: Word[]): void {
    if (words.length === 0) return;
    const [first] = words as [Word];
    const isExport = first.text === 'export' && !first.quotedSomething;
    const rest = isExport ? words.slice(1) : words;
    rest.forEach((word, index) => {
      const assignment = asAssignment(word);
      if (assignment) this.out.push(assignment);
      else if (NAME.test(word.text) && rest[index + 1]?.text.startsWith('=')) {
        this.fail(word.line, `has spaces around \`=\` after \`${word.text}\``, `Write ${word.text}="…" with no spaces.`);
      } else if (!(isExport && NAME.test(word.text) && !word.quotedSomething)) {
        this.fail(word.line, `\`${shorten(word.text)}\` is not a variable assignment; ${AS_DATA}`);
      } // else `export NAME`: nothing to read
    });
  }

  private word(): Word {
    const word: Word = { text: '', line: this.line, plainPrefix: 0, quotedSomething: false };
    let plain = true;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === ' ' || c === '\t' || c === '\n') return word;
      if (c === '\r') this.fail(this.line, 'has a carriage return (Windows line endings)', 'Convert the file to Unix line endings (e.g. `sed -i "s/\\r$//" FILE`).');
      if (c === "'") {
        plain = false;
        word.quotedSomething = true;
        word.text += this.singleQuoted();
      } else if (c === '"') {
        plain = false;
        word.quotedSomething = true;
        word.text += this.doubleQuoted();
      } else if (c === '\\') {
        const next = this.text[this.pos + 1];
        this.pos += 2;
        if (next === '\n') this.line++; // line continuation
        else if (next === undefined) return word;
        else {
          plain = false;
          word.quotedSomething = true;
          word.text += next;
        }
      } else {
        this.checkUnquoted(c);
        word.text += c;
        this.pos++;
        if (plain) word.plainPrefix = word.text.length;
      }
    }
  }

  private singleQuoted(): string {
    const start = this.line;
    const end = this.text.indexOf("'", this.pos + 1);
    if (end < 0) this.fail(start, 'has a single quote that is never closed');
    const body = this.text.slice(this.pos + 1, end);
    this.line += countNewlines(body);
    this.pos = end + 1;
    return body;
  }

  private doubleQuoted(): string {
    const start = this.line;
    let out = '';
    this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail(start, 'has a double quote that is never closed');
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === '$' || c === '`') this.failExpansion(c);
      if (c === '\\') {
        const next = this.text[this.pos + 1];
        if (next === '\n') {
          this.line++;
          this.pos += 2;
          continue;
        }
        if (next === '$' || next === '`' || next === '"' || next === '\\') {
          out += next;
          this.pos += 2;
          continue;
        }
      }
      if (c === '\n') this.line++;
      out += c;
      this.pos++;
    }
  }

  private checkUnquoted(c: string): void {
    if (c === '$' || c === '`') this.failExpansion(c);
    const operator = OPERATORS[c];
    if (operator) this.fail(this.line, `has ${operator}; ${AS_DATA}`);
    if (NEEDS_QUOTES.has(c)) this.fail(this.line, `has an unquoted \`${c}\``, 'Put the value in quotes, e.g. overlayroot="…".');
  }

  private failExpansion(c: string): never {
    const form = c === '`' ? '`…`' : this.text[this.pos + 1] === '(' ? '$(…)' : '$…';
    const what = form === '$…' ? 'variable expansion' : 'command substitution';
    this.fail(this.line, `has ${what} (${form}); ${AS_DATA}`, 'Write the value literally; to keep a `$` or a backquote, put the value in single quotes.');
  }

  private skipBlanks(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t') this.pos++;
      else if (c === '\\' && this.text[this.pos + 1] === '\n') {
        this.pos += 2;
        this.line++;
      } else return;
    }
  }

  private skipComment(): void {
    const end = this.text.indexOf('\n', this.pos);
    this.pos = end < 0 ? this.text.length : end;
  }

  private lineAt(index: number): number {
    return countNewlines(this.text.slice(0, index)) + 1;
  }

  private fail(line: number, problem: string, hint?: string): never {
    throw new InputError(`${this.file}:${line}`, problem, hint ? { hint } : undefined);
  }
}

function asAssignment(word: Word): ShellAssignment | undefined {
  const eq = word.text.indexOf('=');
  if (eq <= 0 || eq >= word.plainPrefix) return undefined;
  const name = word.text.slice(0, eq);
  if (!NAME.test(name)) return undefined;
  return { name, value: word.text.slice(eq + 1), line: word.line };
}

function countNewlines(text: string): number {
  let n = 0;
  for (const c of text) if (c === '\n') n++;
  return n;
}

function shorten(text: string): string {
  const oneLine = redactSecrets(text).replace(/\s+/g, ' ');
  return oneLine.length > 40 ? `${oneLine.slice(0, 37)}…` : oneLine;
}
