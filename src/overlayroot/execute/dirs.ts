// Directory work done in-process. Like `mkdir -p`, but it never follows a symlink (a root
// filesystem's /media → /run/media must not send us into the initramfs), and it registers every
// directory it creates so undo removes exactly those, deepest first. The calls are synchronous:
// a few per directory, each quick, where at boot, under emulation, an asynchronous one costs a
// round trip through libuv's thread pool.
import { chownSync, lstatSync, mkdirSync, rmdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import { OrootError } from '../../errors.js';
import type { Host } from '../../system/host.js';
import type { Defer } from './types.js';

/** mkdir -p of a machine path with `mode` for the directories it creates. */
export async function makeDirectories(host: Host, machinePath: string, mode: number, defer: Defer): Promise<void> {
  let current = '/';
  for (const part of components(machinePath)) {
    current = path.posix.join(current, part);
    await makeOne(host.path(current), current, defer, (real) => mkdirSync(real, mode));
  }
}

/**
 * Create `relative` (a path in the merged root, e.g. /media/root-ro) in the upper directory, each
 * missing component with the owner and mode of the lower layer's directory when it has one, so the
 * merged root looks as the lower does. A lower component that is not a directory is an error.
 * `need: 'visible'` creates nothing when the lower has the directory already (it shows through);
 * `need: 'in-upper'` creates it in the upper regardless, for writing a file there.
 */
export async function makeUpperDirectories(host: Host, lower: string, upper: string, relative: string, need: 'visible' | 'in-upper', defer: Defer): Promise<void> {
  const inLower = await statOrUndefined(host.path(path.posix.join(lower, relative)));
  if (need === 'visible' && inLower?.isDirectory()) return;
  let current = '/';
  for (const part of components(relative)) {
    current = path.posix.join(current, part);
    const lowerStats = await statOrUndefined(host.path(path.posix.join(lower, current)));
    if (lowerStats && !lowerStats.isDirectory()) {
      throw new OrootError(`cannot create ${current} in the new root: it is ${lowerStats.isSymbolicLink() ? 'a symbolic link' : 'not a directory'} on the root filesystem`, undefined, {
        hint: `Make ${current} a directory on the root filesystem (oroot chroot), or disable the overlay.`,
      });
    }
    await makeOne(host.path(path.posix.join(upper, current)), `${upper}${current}`, defer, (real) => {
      mkdirSync(real, lowerStats ? lowerStats.mode & 0o7777 : 0o755);
      if (lowerStats) chownSync(real, lowerStats.uid, lowerStats.gid);
    });
  }
}

async function makeOne(real: string, shown: string, defer: Defer, create: (real: string) => void): Promise<void> {
  const stats = await statOrUndefined(real);
  if (stats?.isDirectory()) return;
  if (stats) throw new OrootError(`${shown} exists and is not a directory`);
  create(real);
  defer(`rmdir ${shown}`, async () => rmdirSync(real));
}

function components(machinePath: string): string[] {
  return machinePath.split('/').filter((part) => part !== '' && part !== '.');
}

export async function statOrUndefined(real: string): Promise<Stats | undefined> {
  return lstatSync(real, { throwIfNoEntry: false });
}
