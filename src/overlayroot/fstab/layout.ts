// Where the overlay of a filesystem other than `/` keeps its layers on the backing store.
//
// overlayroot puts the upper directory of /home at <dir>/home, inside the root overlay's own upper
// directory, so one mounted overlay's upper layer is changed underneath another (its weakness W8);
// /var and /var/lib nest the same way, and so do their workdirs (<dir>-workdir/var/lib lies inside
// the workdir of /var, next to the work/ and index/ directories overlayfs keeps there). Here every
// such overlay gets directories of its own in two flat trees:
//   upper  <root-rw><dir>-mounts/<name>
//   work   <root-rw><dir>-workdir/<name>      (next to the root overlay's <dir>-workdir/_)
// where <name> is the mount point escaped into one path component (mountDirName). Flat names never
// nest whatever the mount points are, and never equal "_". For a mount point one level deep with
// a plain name (/home, /srv) the workdir is the very path overlayroot uses.
import { cleanPath, rootOverlayDirs, type OverlayDirs } from '../plan/layout.js';

/**
 * A mount point as one directory name: '/' separators become '-', and every byte outside
 * [A-Za-z0-9_.] (including '-' itself, and a leading '.' or '_') becomes %XX. Like systemd's unit
 * name escaping, with '%' instead of '\x', which overlayfs options would take as an escape.
 * "/home" → "home", "/var/lib" → "var-lib", "/srv/my-data" → "srv-my%2ddata".
 */
export function mountDirName(mountPoint: string): string {
  const trimmed = cleanPath('/', mountPoint).replace(/^\//, '');
  if (trimmed === '') return '-';
  return trimmed
    .split('/')
    .map((part) => escapePart(part))
    .join('-');
}

function escapePart(part: string): string {
  let out = '';
  for (const [index, byte] of [...Buffer.from(part, 'utf8')].entries()) {
    const char = String.fromCharCode(byte);
    const plain = /[A-Za-z0-9_.]/.test(char) && !(index === 0 && (char === '.' || char === '_'));
    out += plain ? char : `%${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Upper and work directories of the overlay for the filesystem mounted at `mountPoint`. */
export function nestedOverlayDirs(dir: string, mountPoint: string, needsWorkdir: boolean): OverlayDirs {
  const base = rootOverlayDirs(dir, needsWorkdir).upper; // validates `dir`
  return {
    upper: cleanPath(`${base}-mounts`, mountDirName(mountPoint)),
    work: needsWorkdir ? cleanPath(`${base}-workdir`, mountDirName(mountPoint)) : undefined,
  };
}
