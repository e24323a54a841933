// The exact argv of each step, built from its data. The planner renders it with machine paths for
// people to read; the executor renders the SAME function with host.path() and the device that
// wait-device resolved, so what runs is what the plan printed (identical when host.root is '/').
import type { DeviceSpec } from '../config/types.js';
import type { StepData } from './types.js';

export interface RenderContext {
  /** Machine path → real path (host.path in the executor, identity in the plan). */
  readonly map: (machinePath: string) => string;
  /** The backing device wait-device found; the plan shows the spec's node instead. */
  readonly resolvedDevice?: string;
}

export const planContext: RenderContext = { map: (machinePath) => machinePath };

/** e2fsprogs mkfs: lazy init so formatting costs a fraction of a second, no discard on a fresh
 *  dm-crypt mapping, no reserved blocks (nobody but the overlay writes there). */
export const MKFS_EXTENDED = 'lazy_itable_init=1,lazy_journal_init=1,nodiscard';

export function deviceNode(source: string | DeviceSpec, context: RenderContext): string {
  if (typeof source === 'string') return context.map(source);
  return context.map(context.resolvedDevice ?? source.path);
}

/** The overlayfs option string; workdir only on kernels that take one. */
export function overlayOptions(step: Extract<StepData, { kind: 'mount-overlay' }>, map: RenderContext['map']): string {
  const options = [`lowerdir=${map(step.lower)}`, `upperdir=${map(step.upper)}`];
  if (step.work !== undefined) options.push(`workdir=${map(step.work)}`);
  return options.join(',');
}

/** argv of the steps that run a program; undefined for the ones done in-process. */
export function programArgv(step: StepData, context: RenderContext): string[] | undefined {
  const { map } = context;
  switch (step.kind) {
    case 'mount-tmpfs':
      return ['mount', '-t', 'tmpfs', '-o', step.options.join(','), step.source, map(step.target)];
    case 'mkfs':
      return ['mkfs.ext4', '-t', step.fstype, '-q', '-F', '-m', '0', '-E', MKFS_EXTENDED, map(step.device)];
    case 'mount':
      return ['mount', ...(step.options.length > 0 ? ['-o', step.options.join(',')] : []), deviceNode(step.source, context), map(step.target)];
    case 'move-mount':
      return ['mount', '--move', map(step.from), map(step.to)];
    case 'remount':
      return ['mount', '-o', step.readOnly ? 'remount,ro' : 'remount,rw', map(step.target)];
    case 'mount-overlay':
      return ['mount', '-t', step.driver, '-o', overlayOptions(step, map), step.source, map(step.target)];
    default:
      return undefined;
  }
}

/** How a step is undone: the argv (for program steps) and whether there is anything to undo. */
export function undoArgv(step: StepData, context: RenderContext): string[] | undefined {
  const { map } = context;
  switch (step.kind) {
    case 'mount-tmpfs':
    case 'mount':
    case 'mount-overlay':
      return ['umount', map(step.target)];
    case 'move-mount':
      return ['mount', '--move', map(step.to), map(step.from)];
    case 'remount':
      return ['mount', '-o', step.readOnly ? 'remount,rw' : 'remount,ro', map(step.target)];
    default:
      return undefined;
  }
}
