// What in a status report needs the administrator's attention, one sentence each. Pure: it reads
// only the report, so every rule is tested on hand-made reports.
import type { StatusReport } from './status.js';

/** Below this share of free space on the upper layer's backing store, writes are about to fail. */
const LOW_SPACE = 0.05;

export function describeProblems(report: Omit<StatusReport, 'problems'>): string[] {
  const problems: string[] = [];
  const boot = report.lastBoot;
  if (report.stateFile.status === 'unreadable') problems.push(`cannot read ${report.stateFile.path}: ${report.stateFile.problem ?? 'unknown error'}`);
  if (boot?.requested.mode === 'invalid') problems.push('at the last boot the overlayroot configuration could not be read');
  if (boot?.outcome === 'fallback' && boot.fallback) {
    problems.push(`the last boot did not set up the requested ${boot.requested.mode} overlay and fell back to ${boot.fallback.policy}: ${boot.fallback.reason}`);
  }
  if (boot?.outcome === 'failed') {
    problems.push(`the last boot could not set up any overlay${boot.fallback ? `: ${boot.fallback.reason}` : ''}; writes go to the root filesystem`);
  }
  for (const step of boot?.failedSteps ?? []) {
    if (step.status === 'undo-failed') problems.push(`at the last boot, undoing "${step.description}" failed: ${step.error ?? 'no detail'}`);
  }
  if ((boot?.outcome === 'configured' || boot?.outcome === 'fallback') && !report.active) {
    problems.push(`the last boot set up an overlay, but / is not one now (it is ${report.root.fstype} from ${report.root.source})`);
  }
  if (report.lower && !report.lower.readOnly) {
    problems.push(`the lower layer ${report.lower.mountPoint} is mounted read-write (expected only while oroot chroot runs)`);
  }
  problems.push(...cryptProblems(report));
  const space = report.upper?.space;
  if (space && space.totalBytes > 0 && space.availableBytes / space.totalBytes < LOW_SPACE) {
    const used = Math.round((1 - space.availableBytes / space.totalBytes) * 100);
    problems.push(`the upper layer's backing store ${report.upper!.mountPoint} is ${used}% full; writes to / fail when it is full`);
  }
  return problems;
}

function cryptProblems({ crypt, mode }: Omit<StatusReport, 'problems'>): string[] {
  if (!crypt) return [];
  const problems: string[] = [];
  if (crypt.live.active === false && mode === 'crypt') problems.push(`the encrypted volume /dev/mapper/${crypt.mapname} is not open`);
  if (crypt.live.active === 'unknown') problems.push(`cannot ask cryptsetup about /dev/mapper/${crypt.mapname}: ${crypt.live.problem}`);
  if (crypt.keyFile && !crypt.keyFile.present) problems.push(`the key was kept in ${crypt.keyFile.path}, but that file is gone`);
  if (crypt.keyFile?.mode !== undefined && (crypt.keyFile.mode & 0o077) !== 0) {
    problems.push(`the kept key ${crypt.keyFile.path} is readable by others (mode ${crypt.keyFile.mode.toString(8).padStart(4, '0')}); it must be 0400`);
  }
  return problems;
}
