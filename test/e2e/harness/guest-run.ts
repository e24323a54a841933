// The host side of the check script's scenarios (guest/scenario-*): the kernel command line words
// that select them, the files disk that carries what they need (keys, a benchmark script) into
// the guest and can carry something back to a later boot, and the facts they report.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../src/system/spawn.js';
import { ext4Disk } from './disks.js';
import { fact, factLines, type GuestReport } from './report.js';

export type ScenarioName = 'status' | 'keep-key' | 'recover' | 'chroot' | 'cryptsetup-bench' | 'prepare-runtime' | 'reprepare-runtime';

/** The label the check script's files_disk looks for, and where it mounts that disk in the guest. */
export const FILES_LABEL = 'OROOTE2E';
export const FILES_MOUNT = '/run/oroot-e2e-files';

/**
 * The command line words that make the check script run `names` in order after its checks, with
 * their parameters (`oroot_e2e.<key>=<value>`; never a secret: those travel on the files disk).
 */
export function scenarioWords(names: readonly ScenarioName[], parameters: Record<string, string | number> = {}): string[] {
  return [`oroot_e2e.run=${names.join(',')}`, ...Object.entries(parameters).map(([key, value]) => `oroot_e2e.${key}=${value}`)];
}

/**
 * An ext4 disk labelled OROOTE2E holding `files` (name → a host file to copy, mode kept, or the
 * contents). Key files keep their 0600, as an admin's would.
 */
export async function filesDisk(
  image: string,
  files: Record<string, { readonly copyOf: string } | { readonly contents: string }>,
  mib = 16,
): Promise<string> {
  const staging = mkdtempSync(path.join(os.tmpdir(), 'oroot-e2e-files-'));
  try {
    for (const [name, source] of Object.entries(files)) {
      if ('copyOf' in source) copyFileSync(source.copyOf, path.join(staging, name));
      else writeFileSync(path.join(staging, name), source.contents, { mode: 0o644 });
    }
    return await ext4Disk(image, { label: FILES_LABEL, mib, contents: staging });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Put a host file onto a files disk after a boot wrote to it (debugfs, no mount). */
export async function addToFilesDisk(image: string, name: string, hostFile: string): Promise<void> {
  await run(['debugfs', '-w', '-R', `write ${hostFile} ${name}`, image]);
  const check = await run(['debugfs', '-R', `stat ${name}`, image], { reject: false });
  if (/File not found/.test(check.stderr)) throw new Error(`debugfs could not write ${name} onto ${image}`);
}

/** What `report_run NAME …` reported: the command's exit status and output. */
export interface CommandFacts {
  readonly exit: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export function commandFacts(report: GuestReport, name: string): CommandFacts {
  const exit = fact(report, `${name}-exit`);
  return {
    exit: exit === '' ? undefined : Number(exit),
    stdout: factLines(report, `${name}-stdout`).join('\n'),
    stderr: factLines(report, `${name}-stderr`).join('\n'),
  };
}
