import { describe, expect, it } from 'vitest';
import { formatReport, hashedSources, summarizeReport, type EntropyReport } from '../../src/entropy/report.js';

const report: EntropyReport = {
  crngReady: true,
  crngWaitMs: 0.5,
  sources: [
    { name: 'mix:systemd', bytes: 512, durationMs: 0.1, status: 'ok', detail: '/root/var/lib/systemd/random-seed: mixed into /dev/urandom, not credited' },
    { name: 'stat:/dev', bytes: 12_107, durationMs: 3.25, status: 'ok', detail: '109 entries, 0 vanished or unreadable' },
    { name: 'seed:systemd', bytes: 512, durationMs: 0.02, status: 'ok' },
    { name: 'seed:sysvinit', bytes: 0, durationMs: 0.01, status: 'missing', detail: '/root/var/lib/urandom/random-seed: ENOENT' },
    { name: 'csprng', bytes: 4096, durationMs: 0.2, status: 'ok', detail: '/dev/urandom' },
    { name: 'device', bytes: 0, durationMs: 0.05, status: 'unreadable', detail: '/dev/vdb: EACCES' },
    { name: 'hwrng', bytes: 0, durationMs: 0, status: 'skipped', detail: 'not requested' },
  ],
};

describe('entropy report', () => {
  it('counts only hashed sources, not the seed writes', () => {
    expect(hashedSources(report.sources).map((s) => s.name)).toEqual(['stat:/dev', 'seed:systemd', 'csprng']);
  });

  it('summarises in one line, naming what was missing or unreadable but not what was skipped', () => {
    expect(summarizeReport(report)).toBe(
      'kernel CRNG ready (waited 0.5 ms); hashed 3 sources, 16715 bytes; missing: seed:sysvinit; unreadable: device',
    );
  });

  it('prints one aligned row per source with status, bytes and milliseconds', () => {
    const lines = formatReport(report).split('\n');
    expect(lines[0]).toBe('kernel CRNG: ready (waited 0.5 ms)');
    expect(lines[2]).toMatch(/^source\s+status\s+bytes\s+ms\s+detail$/);
    expect(lines).toContain('stat:/dev      ok          12107  3.250  109 entries, 0 vanished or unreadable');
    expect(lines).toContain('hwrng          skipped         0  0.000  not requested');
    expect(lines.at(-1)).toBe(summarizeReport(report));
  });

  it('says plainly when the CRNG was not ready', () => {
    expect(summarizeReport({ ...report, crngReady: false })).toMatch(/^kernel CRNG NOT ready/);
  });
});
