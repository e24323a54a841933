// The check script's report (guest/oroot-e2e-check) as data: one `key: value` line per fact
// between `OROOT-E2E BEGIN` and `OROOT-E2E END`, and the verdict line.
import type { BootState } from '../../../src/overlayroot/state.js';

export interface MountEntry {
  readonly source: string;
  readonly target: string;
  readonly fstype: string;
  readonly options: readonly string[];
}

export interface GuestReport {
  /** `missing` when the check script never reported (a panic, a hang, a boot that went elsewhere). */
  readonly verdict: 'PASS' | 'FAIL' | 'missing';
  readonly reasons: string;
  /** Every value of every key, in order. */
  readonly facts: ReadonlyMap<string, readonly string[]>;
  readonly mounts: readonly MountEntry[];
  readonly state: BootState | undefined;
  readonly raw: string;
}

export function parseReport(text: string): GuestReport {
  // A serial console ends lines with CR LF.
  const lines = text.replace(/\r/g, '');
  const begin = lines.lastIndexOf('OROOT-E2E BEGIN');
  const body = begin >= 0 ? lines.slice(begin) : '';
  const facts = new Map<string, string[]>();
  let verdict: GuestReport['verdict'] = 'missing';
  let reasons = '';
  for (const line of body.split('\n').slice(1)) {
    if (line.startsWith('OROOT-E2E END')) break;
    const verdictLine = /^OROOT-E2E (PASS|FAIL) ?(.*)$/.exec(line);
    if (verdictLine) {
      verdict = verdictLine[1] as 'PASS' | 'FAIL';
      reasons = verdictLine[2] ?? '';
      continue;
    }
    const colon = line.indexOf(': ');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    facts.set(key, [...(facts.get(key) ?? []), line.slice(colon + 2)]);
  }
  const stateText = facts.get('state')?.[0];
  return {
    verdict,
    reasons,
    facts,
    mounts: (facts.get('mount') ?? []).map(parseMountLine),
    state: stateText ? (JSON.parse(stateText) as BootState) : undefined,
    raw: body,
  };
}

/** The one value of a fact (the last, when repeated); '' when absent. */
export function fact(report: GuestReport, key: string): string {
  return report.facts.get(key)?.at(-1) ?? '';
}

export function factLines(report: GuestReport, key: string): readonly string[] {
  return report.facts.get(key) ?? [];
}

/** The mount on `target` that is visible (the last one in /proc/mounts order). */
export function mountOn(report: GuestReport, target: string): MountEntry | undefined {
  return report.mounts.filter((entry) => entry.target === target).at(-1);
}

function parseMountLine(line: string): MountEntry {
  const [source = '', target = '', fstype = '', options = ''] = line.split(' ').map(unescapeOctal);
  return { source, target, fstype, options: options.split(',') };
}

function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
