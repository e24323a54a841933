// Small helpers for writing YAML text by hand. oroot emits its own stanzas as text (no YAML
// library on the default path: it keeps `oroot userdata` quick to start) and only ever emits
// plain keys, booleans and single-quoted strings, which read the same in YAML 1.1 and 1.2.

/** A single-quoted YAML scalar: always a string, whatever the text looks like. */
export function singleQuoted(text: string): string {
  if (/[\r\n]/.test(text)) throw new RangeError('singleQuoted: a line break cannot be written on one line');
  return `'${text.replaceAll("'", "''")}'`;
}

/** The line ending a text uses (CRLF if its first line ends so), to keep an edited file uniform. */
export function lineEndingOf(text: string): '\n' | '\r\n' {
  const newline = text.indexOf('\n');
  return newline > 0 && text[newline - 1] === '\r' ? '\r\n' : '\n';
}
