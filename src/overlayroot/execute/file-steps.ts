// Steps done in-process on files: directories, the rewritten fstab, the kept key. Everything the
// overlay needs in its upper layer is written there BEFORE the overlay is mounted (overlayfs does not
// allow changing a layer under a mounted overlay), and each write registers its exact undo.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { InternalError, OrootError } from '../../errors.js';
import { writeNewFile } from '../../system/files.js';
import type { PlanStep } from '../plan/types.js';
import { makeDirectories, makeUpperDirectories, statOrUndefined } from './dirs.js';
import type { Defer, RunState } from './types.js';

type Step<K extends PlanStep['kind']> = Extract<PlanStep, { kind: K }>;

export async function makeDirs(step: Step<'mkdir'>, state: RunState, defer: Defer): Promise<void> {
  for (const dir of step.paths) await makeDirectories(state.host, dir, step.mode, defer);
}

export async function makeDirsInUpper(step: Step<'mkdir-in-upper'>, state: RunState, defer: Defer): Promise<void> {
  for (const dir of step.paths) await makeUpperDirectories(state.host, step.lower, step.upper, dir, 'visible', defer);
}

export async function writeFstab(step: Step<'write-fstab'>, state: RunState, defer: Defer): Promise<void> {
  const { host, services } = state;
  const input = await readFile(host.path(step.input), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  // Without an fstab and with `ro`, the rewriter fabricates a `/` line from the root's mount, so the
  // real init can remount the root read-write (overlayroot 0.46).
  const rewrite = services.rewriteFstab(input, { ...step.options, root: step.fabricateRoot });
  for (const note of rewrite.notes) host.log.info(`fstab: ${note}`);
  if (rewrite.text === undefined) {
    host.log.info(`${step.input} does not exist and \`ro\` is not on the kernel command line: no fstab to write`);
    return;
  }

  await makeUpperDirectories(host, step.lower, step.upper, '/etc', 'in-upper', defer);
  const target = host.path(`${step.upper}/etc/fstab`);
  const lowerMode = (await statOrUndefined(host.path(step.input)))?.mode ?? 0o644;
  await replaceFile(target, rewrite.text, lowerMode & 0o777, `${step.upper}/etc/fstab`, defer);
  for (const dir of rewrite.directories) await makeDirectories(host, dir, 0o755, defer);
}

export async function keepKey(step: Step<'keep-key'>, state: RunState, defer: Defer): Promise<void> {
  const secret = state.secret;
  if (!secret) throw new InternalError('keep-key step without a key');
  await makeDirectories(state.host, path.posix.dirname(step.path), 0o700, defer);
  const file = state.host.path(step.path);
  await writeNewFile(file, secret.reveal(), { mode: 0o400, overwrite: true });
  defer(`rm ${step.path}`, () => rm(file, { force: true }));
  if (state.crypt) state.crypt = { ...state.crypt, keyStorage: `generated-kept:${step.path}` };
}

/** Write `file`, remembering what was there (a persistent upper layer keeps last boot's copy). */
async function replaceFile(file: string, text: string, mode: number, shown: string, defer: Defer): Promise<void> {
  const before = await statOrUndefined(file);
  if (before && !before.isFile()) throw new OrootError(`${shown} exists in the upper layer and is not a regular file; not replacing it`);
  const previous = before ? await readFile(file) : undefined;
  await writeNewFile(file, text, { mode, overwrite: true });
  defer(previous ? `restore ${shown}` : `rm ${shown}`, async () => {
    if (previous && before) await writeNewFile(file, previous, { mode: before.mode & 0o777, overwrite: true });
    else await rm(file, { force: true });
  });
}
