// The kernel command line as the kernel itself splits it (its next_arg() parser): words
// separated by whitespace, double quotes group spaces ("a b" or name="a b"), and the quotes
// around a value or a whole word are removed. Tokens are data; nothing here is ever evaluated.

export interface CmdlineToken {
  readonly name: string;
  /** undefined for a bare word without "=" (e.g. `ro`, `quiet`). */
  readonly value: string | undefined;
}

/**
 * Exactly the characters of the regular expression class \s, compared by code: at boot the code
 * runs cold, where a regular expression call per character costs tens of milliseconds.
 */
function isSpace(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

/** Split /proc/cmdline into tokens, in order. Never throws. */
export function tokenizeCmdline(cmdline: string): CmdlineToken[] {
  const tokens: CmdlineToken[] = [];
  let pos = 0;
  while (pos < cmdline.length) {
    while (isSpace(cmdline[pos])) pos++;
    if (pos >= cmdline.length) break;
    let start = pos;
    let inQuote = false;
    let quoted = false;
    if (cmdline[pos] === '"') {
      start = ++pos;
      inQuote = true;
      quoted = true;
    }
    let equals = -1;
    while (pos < cmdline.length && (inQuote || !isSpace(cmdline[pos]))) {
      if (equals < 0 && pos > start && cmdline[pos] === '=') equals = pos; // as the kernel: a leading '=' is not a separator
      if (cmdline[pos] === '"') inQuote = !inQuote;
      pos++;
    }
    let end = pos;
    if (equals < 0) {
      if (quoted && end > start && cmdline[end - 1] === '"') end--;
      tokens.push({ name: cmdline.slice(start, end), value: undefined });
    } else {
      let valueStart = equals + 1;
      if (cmdline[valueStart] === '"') {
        valueStart++;
        if (end > valueStart && cmdline[end - 1] === '"') end--;
      } else if (quoted && end > start && cmdline[end - 1] === '"') end--;
      tokens.push({ name: cmdline.slice(start, equals), value: cmdline.slice(valueStart, Math.max(end, valueStart)) });
    }
  }
  return tokens;
}

export interface CmdlineVariables {
  /** Assignments to the variables asked for, in order (the last one wins). */
  readonly assignments: readonly { name: string; value: string }[];
  readonly warnings: readonly string[];
}

/** Pick the assignments to `names` out of a kernel command line. */
export function cmdlineVariables(cmdline: string, names: readonly string[]): CmdlineVariables {
  const assignments: { name: string; value: string }[] = [];
  const warnings: string[] = [];
  for (const token of tokenizeCmdline(cmdline)) {
    if (!names.includes(token.name)) continue;
    if (token.value === undefined) {
      // overlayroot warns and ignores a bare word: it neither enables nor disables.
      warnings.push(`kernel cmdline: \`${token.name}\` without a value is ignored (write ${token.name}=tmpfs to enable, ${token.name}= to disable)`);
    } else assignments.push({ name: token.name, value: token.value });
  }
  return { assignments, warnings };
}
