// Where things live, exactly as overlayroot lays them out (reference §5, §11): the real root is moved
// to /media/root-ro, the backing store is mounted on /media/root-rw, the root overlay's upper
// directory is <root-rw><dir> and its workdir <root-rw><dir>-workdir/_.
//
// Filesystems mounted under $rootmnt before init-bottom (a separate /usr) get an overlay each, with
// the same directories the rewritten fstab gives that mount point (fstab/layout.ts): outside the
// root's upper tree, so two overlays never share upper directories (overlayroot's weakness W8).
import path from 'node:path';
import { InputError } from '../../errors.js';

export const ROOT_RO = '/media/root-ro';
export const ROOT_RW = '/media/root-rw';
export const OVERLAY_SOURCE = 'overlayroot';
export const TMPFS_SOURCE = 'tmpfs-root';

export interface OverlayDirs {
  readonly upper: string;
  readonly work: string | undefined;
}

/** Join and collapse repeated slashes, as overlayroot's clean_path does ("/a//b/" → "/a/b"). */
export function cleanPath(...parts: string[]): string {
  const joined = parts.join('/').replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

export function rootOverlayDirs(dir: string, withWorkdir: boolean): OverlayDirs {
  checkDir(dir);
  return {
    upper: cleanPath(ROOT_RW, dir),
    work: withWorkdir ? cleanPath(ROOT_RW, `${cleanPath('/', dir)}-workdir`, '_') : undefined,
  };
}

/** overlayfs takes a workdir since Linux 3.18 (overlayroot's needs_workdir). */
export function kernelNeedsWorkdir(kernelRelease: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (!match) return true;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major > 3 || (major === 3 && minor >= 18);
}

/** `dir=` must leave the workdir outside the upper directory, and overlayfs option syntax gives
 *  ',', ':' and '\' special meaning, so paths with them cannot be passed. */
function checkDir(dir: string): void {
  const clean = cleanPath('/', dir);
  if (clean === '/') {
    throw new InputError('overlayroot dir=', `dir=${dir} puts the workdir inside the upper directory, which overlayfs refuses`, {
      hint: 'Use a subdirectory such as dir=/overlay (the default).',
    });
  }
  if (/[,:\\\s]/.test(clean) || clean.split('/').includes('..')) {
    throw new InputError('overlayroot dir=', `dir=${dir} contains a character overlayfs options cannot carry (, : \\ whitespace or ..)`, {
      hint: 'Use a plain path such as dir=/overlay.',
    });
  }
}

/** The path of `machinePath` relative to `base`, or undefined when it is not inside it. */
export function relativeInside(base: string, machinePath: string): string | undefined {
  const rel = path.posix.relative(base, machinePath);
  if (rel === '' ) return '/';
  if (rel.startsWith('..') || path.posix.isAbsolute(rel)) return undefined;
  return `/${rel}`;
}
