// Steps that run one program (mount, umount, mkfs): the argv comes from the same renderer `oroot
// plan` prints, with machine paths mapped through host.path(). A mount step is made with mount(2)
// directly when the host can (the boot stage loads the addon for it: a process costs 0.1–0.15 s
// under emulation), and with the very command the plan shows otherwise.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { OrootError } from '../../errors.js';
import type { Host } from '../../system/host.js';
import { MS_RDONLY, MS_REMOUNT, mountFlagsOf } from '../../system/mount-syscall.js';
import { readMountTable } from '../../system/mounts.js';
import { quoteArg } from '../../system/spawn.js';
import { programArgv, undoArgv } from '../plan/commands.js';
import { mountCall, undoMountCall, type MountCall } from '../plan/mount-calls.js';
import type { PlanStep } from '../plan/types.js';
import type { Defer, RunState } from './types.js';

/** Mounting is quick; a hung mount (a dying disk) must not hang the boot for ever. */
const MOUNT_TIMEOUT_MS = 60_000;
/** mkfs of a large volume with lazy init still writes the group descriptors. */
const MKFS_TIMEOUT_MS = 300_000;

export async function runProgramStep(step: PlanStep, state: RunState, defer: Defer): Promise<void> {
  const argv = programArgv(step, state.render);
  if (!argv) throw new Error(`${step.kind} is not a program step`);
  const undo = undoArgv(step, state.render);
  const { host } = state;
  const call = host.mounts && mountCall(step, { ...state.render, filesystemOf: (device) => state.filesystems.get(device) });
  if (call) {
    host.log.debug(`  by mount(2), no process: ${describeCall(call)}`);
    await makeMountCall(host, call, argv);
    const undoCall = undoMountCall(step, state.render);
    if (undo && undoCall) defer(undo.join(' '), () => makeMountCall(host, undoCall, undo));
    return;
  }
  await host.run(argv, { timeoutMs: step.kind === 'mkfs' ? MKFS_TIMEOUT_MS : MOUNT_TIMEOUT_MS });
  if (undo) defer(undo.join(' '), async () => void (await host.run(undo, { timeoutMs: MOUNT_TIMEOUT_MS })));
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

/** `command` is the mount(8) equivalent, for the message when the call fails. */
async function makeMountCall(host: Host, call: MountCall, command: readonly string[]): Promise<void> {
  const mounts = host.mounts!;
  try {
    if (call.call === 'umount') mounts.umount(call.target);
    else if (call.call === 'mount') mounts.mount(call.source, call.target, call.fstype, call.flags, call.data);
    else mounts.mount(null, call.target, null, await remountFlags(host, call.target, call.readOnly), null);
  } catch (error) {
    throw mountCallError(error, command);
  }
}

function describeCall(call: MountCall): string {
  if (call.call === 'umount') return `umount2(${call.target})`;
  if (call.call === 'remount') return `remount ${call.target} ${call.readOnly ? 'read-only' : 'read-write'}`;
  return `mount(${[call.source, call.target, call.fstype, `0x${call.flags.toString(16)}`, call.data].map(String).join(', ')})`;
}

/** A remount sets the per-mount flags to exactly what it is given: keep all but read-only. */
async function remountFlags(host: Host, target: string, readOnly: boolean): Promise<number> {
  const entry = (await readMountTable(host)).filter((mount) => mount.mountPoint === target).pop();
  const kept = entry ? mountFlagsOf(entry) & ~MS_RDONLY : 0;
  return MS_REMOUNT | kept | (readOnly ? MS_RDONLY : 0);
}

/** What went wrong, as mount(8) would be described, with where to look for the kernel's reason. */
function mountCallError(error: unknown, command: readonly string[]): OrootError {
  const { code, message } = error as NodeJS.ErrnoException;
  const hint =
    code === 'ENODEV'
      ? 'The kernel has no such filesystem: its module is missing from the initramfs (update-initramfs -u) or the kernel lacks it.'
      : code === 'EINVAL'
        ? 'The filesystem refused the options or the source; the kernel log says why (dmesg).'
        : undefined;
  return new OrootError(`${command.map(quoteArg).join(' ')}: ${message}`, undefined, { cause: error, hint });
}
