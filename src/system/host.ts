// The one place where oroot touches the machine. Every machine path goes through `host.path()`,
// so a test can point the whole program at a fixture tree (a temp dir holding etc/, proc/, dev/…)
// instead of monkeypatching fs. Programs are run through `host.run`, which a test may replace.
import path from 'node:path';
import type { MountSyscalls } from './mount-syscall.js';
import { run as spawnRun, type RunOptions, type RunResult } from './spawn.js';
import { type Logger, stderrLogger } from './log.js';

export interface Host {
  /** Prefix under which machine paths are resolved: '/' in production, a fixture dir in tests. */
  readonly root: string;
  /** Map an absolute machine path ("/proc/cmdline") to where it really is under `root`. */
  path(machinePath: string): string;
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** mount(2) and umount2(2), when loaded (the boot stage); without them mounts run mount(8). */
  readonly mounts?: MountSyscalls;
  readonly log: Logger;
}

export interface HostOptions {
  root?: string;
  run?: Host['run'];
  mounts?: MountSyscalls;
  log?: Logger;
}

export function createHost(options: HostOptions = {}): Host {
  const root = path.resolve(options.root ?? '/');
  return {
    root,
    path: (machinePath: string) => underRoot(root, machinePath),
    run: options.run ?? spawnRun,
    ...(options.mounts ? { mounts: options.mounts } : {}),
    log: options.log ?? stderrLogger(),
  };
}

/** Absolute, no empty, `.` or `..` component, no trailing slash: what normalize() leaves as it is.
 *  Checked first because the boot maps every path it touches, and normalize() is slow cold. */
const NORMAL_PATH = /^\/$|^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$/;

/** Join a machine path under a root without letting ".." escape it. */
export function underRoot(root: string, machinePath: string): string {
  const normalized = NORMAL_PATH.test(machinePath) ? machinePath : path.posix.normalize(`/${machinePath}`);
  return root === '/' ? normalized : path.join(root, normalized);
}

