// The mount(2) call each mount step stands for: the same operation as the mount(8) command the
// plan prints (plan/commands.ts), for the boot stage to make without starting a process. Pure: a
// remount's flags depend on the mount as it is then, so they are completed at run time.
import { MS_MOVE, mountOptionsToFlags } from '../../system/mount-syscall.js';
import { deviceNode, overlayOptions, type RenderContext } from './commands.js';
import type { StepData } from './types.js';

export type MountCall =
  | { readonly call: 'mount'; readonly source: string | null; readonly target: string; readonly fstype: string | null; readonly flags: number; readonly data: string | null }
  | { readonly call: 'umount'; readonly target: string }
  /** Make `target` read-only or read-write, keeping its other per-mount flags. */
  | { readonly call: 'remount'; readonly target: string; readOnly: boolean };

export interface MountCallContext extends RenderContext {
  /** The filesystem type on a device, when this run knows it (it made the filesystem, or saw it). */
  readonly filesystemOf: (device: string) => string | undefined;
}

/**
 * The call for a mount step; undefined for other steps, and for a device whose filesystem type is
 * not known (mount(8) detects it: the step then runs the program).
 */
export function mountCall(step: StepData, context: MountCallContext): MountCall | undefined {
  const { map } = context;
  switch (step.kind) {
    case 'mount-tmpfs':
      return withOptions(step.source, map(step.target), 'tmpfs', step.options);
    case 'mount-overlay':
      return { call: 'mount', source: step.source, target: map(step.target), fstype: step.driver, flags: 0, data: overlayOptions(step, map) };
    case 'mount': {
      const device = deviceNode(step.source, context);
      const fstype = context.filesystemOf(device);
      return fstype === undefined ? undefined : withOptions(device, map(step.target), fstype, step.options);
    }
    case 'move-mount':
      return move(map(step.from), map(step.to));
    case 'remount':
      return { call: 'remount', target: map(step.target), readOnly: step.readOnly };
    default:
      return undefined;
  }
}

/** The call that undoes a mount step (as undoArgv does for the program). */
export function undoMountCall(step: StepData, context: RenderContext): MountCall | undefined {
  const { map } = context;
  switch (step.kind) {
    case 'mount-tmpfs':
    case 'mount':
    case 'mount-overlay':
      return { call: 'umount', target: map(step.target) };
    case 'move-mount':
      return move(map(step.to), map(step.from));
    case 'remount':
      return { call: 'remount', target: map(step.target), readOnly: !step.readOnly };
    default:
      return undefined;
  }
}

function withOptions(source: string, target: string, fstype: string, options: readonly string[]): MountCall {
  const { flags, data } = mountOptionsToFlags(options);
  return { call: 'mount', source, target, fstype, flags, data: data || null };
}

function move(from: string, to: string): MountCall {
  return { call: 'mount', source: from, target: to, fstype: null, flags: MS_MOVE, data: null };
}
