// Steps that run one program (modprobe, mount, umount, mkfs): the argv comes from the same
// renderer `oroot plan` prints, with machine paths mapped through host.path().
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { programArgv, undoArgv } from '../plan/commands.js';
import type { PlanStep } from '../plan/types.js';
import type { Defer, RunState } from './types.js';

/** Mounting is quick; a hung mount (a dying disk) must not hang the boot for ever. */
const MOUNT_TIMEOUT_MS = 60_000;
/** mkfs of a large volume with lazy init still writes the group descriptors. */
const MKFS_TIMEOUT_MS = 300_000;

export async function runProgramStep(step: PlanStep, state: RunState, defer: Defer): Promise<void> {
  const argv = programArgv(step, state.render);
  if (!argv) throw new Error(`${step.kind} is not a program step`);
  await state.host.run(argv, { timeoutMs: step.kind === 'mkfs' ? MKFS_TIMEOUT_MS : MOUNT_TIMEOUT_MS });
  const undo = undoArgv(step, state.render);
  if (undo) defer(undo.join(' '), async () => void (await state.host.run(undo, { timeoutMs: MOUNT_TIMEOUT_MS })));
}

/**
 * Mount an overlay. overlayfs creates `work/` (and `index/`) inside the workdir; after the undo's
 * umount those are removed again (only what was not there before: a persistent upper layer keeps
 * its own), so the directory step before can remove the workdir it created.
 */
export async function mountOverlay(step: Extract<PlanStep, { kind: 'mount-overlay' }>, state: RunState, defer: Defer): Promise<void> {
  const workdir = step.work === undefined ? undefined : state.host.path(step.work);
  const before = new Set(workdir ? await readdir(workdir).catch(() => []) : []);
  await runProgramStep(step, state, (description, umount) =>
    defer(description, async () => {
      await umount();
      if (!workdir) return;
      for (const entry of await readdir(workdir).catch(() => [])) {
        if (!before.has(entry)) await rm(path.join(workdir, entry), { recursive: true, force: true });
      }
    }),
  );
}
