// What a derivation reports: whether the CRNG was ready, and per source its name, byte count,
// time and status. Never the bytes, and no fingerprint of them either (a hash of a secret
// source would let anyone test guesses of it).
import type { BootState, EntropySourceRecord } from '../overlayroot/state.js';
import { MIX_PREFIX } from './seedfiles.js';

export type EntropyReport = NonNullable<BootState['entropy']>;

/** Sources whose bytes went into the hash (seed mixing records describe writes, not inputs). */
export function hashedSources(sources: readonly EntropySourceRecord[]): EntropySourceRecord[] {
  return sources.filter((s) => s.status === 'ok' && !s.name.startsWith(MIX_PREFIX));
}

/** One line for logs: "kernel CRNG ready (waited 0.6 ms); hashed 6 sources, 31832 bytes; missing: seed:systemd". */
export function summarizeReport(report: EntropyReport): string {
  const hashed = hashedSources(report.sources);
  const bytes = hashed.reduce((sum, s) => sum + s.bytes, 0);
  const byStatus = (['missing', 'unreadable', 'failed'] as const)
    .map((status) => [status, report.sources.filter((s) => s.status === status).map((s) => s.name)] as const)
    .filter(([, names]) => names.length > 0)
    .map(([status, names]) => `; ${status}: ${names.join(', ')}`)
    .join('');
  return `kernel CRNG ${report.crngReady ? 'ready' : 'NOT ready'} (waited ${report.crngWaitMs} ms); hashed ${hashed.length} sources, ${bytes} bytes${byStatus}`;
}

/** A table for people: one row per source. */
export function formatReport(report: EntropyReport): string {
  const rows = report.sources.map((s) => [s.name, s.status, String(s.bytes), s.durationMs.toFixed(3), s.detail ?? '']);
  const header = ['source', 'status', 'bytes', 'ms', 'detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 2 || i === 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [
    `kernel CRNG: ${report.crngReady ? 'ready' : 'NOT ready'} (waited ${report.crngWaitMs} ms)`,
    '',
    line(header),
    ...rows.map(line),
    '',
    summarizeReport(report),
  ].join('\n');
}
