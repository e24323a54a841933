// What `oroot chroot` has to do, worked out from the mount table alone (pure, so it is tested on
// recorded tables): which overlay, its lower layer, the system directories to bind into it, and
// the read-only mounts to make writable for the session.
import path from 'node:path';
import { ExitCode, OrootError } from '../errors.js';
import { findMount, isMountPoint, isReadOnly, mountsUnder, overlayLayers, type MountEntry } from '../system/mounts.js';
import { OVERLAY_SOURCE } from './plan/layout.js';

export interface ChrootPlan {
  readonly overlay: MountEntry;
  /** Where the lower layer is mounted: the chroot's new root. */
  readonly lower: string;
  /** System directories bound into the lower (source = the same path in this root), in order. */
  readonly binds: readonly { readonly source: string; readonly target: string }[];
  /** A fresh tmpfs for the session's /tmp, so scratch files do not land in the lower layer. */
  readonly scratch: string | undefined;
  /** Read-only mounts of the lower layer to make writable, the lower itself first. */
  readonly remount: readonly string[];
  /** Mounts of the lower layer that are writable already (reported, left as they are). */
  readonly alreadyWritable: readonly string[];
}

/** What tools run in the chroot need: device nodes and ptys (apt, grub), proc, sys, run. */
const SYSTEM_DIRS = ['/dev', '/dev/pts', '/proc', '/sys', '/sys/firmware/efi/efivars', '/run'];
/** Only mounted on EFI machines; bound when present (grub-install writes EFI variables). */
const OPTIONAL_DIRS = new Set(['/sys/firmware/efi/efivars']);

export function planChroot(entries: readonly MountEntry[], overlayDir = '/'): ChrootPlan {
  const overlay = findMount(entries, overlayDir);
  const where = overlayDir === '/' ? '/' : overlayDir;
  if (!overlay) throw new OrootError(`${where} is not a mount point`, ExitCode.failure, { hint: 'Pass the directory where the overlay is mounted.' });
  if (overlay.fstype !== 'overlay' && overlay.fstype !== 'overlayfs') {
    throw new OrootError(`${where} is not an overlay (it is ${overlay.fstype} from ${overlay.source}): there is no lower layer to change-root into`, ExitCode.failure, {
      hint: overlayDir === '/' ? 'This system does not run on an oroot overlay root; edit files directly.' : undefined,
    });
  }
  if (overlayDir === '/' && overlay.source !== OVERLAY_SOURCE) {
    throw new OrootError(`/ is an overlay named ${overlay.source}, not ${OVERLAY_SOURCE}: it was not set up by oroot or overlayroot`, ExitCode.failure, {
      hint: `Use --overlay / only for oroot's own overlay; for another overlay, change-root into its lower directory yourself.`,
    });
  }
  const lower = overlayLayers(overlay).lower[0];
  if (!lower) throw new OrootError(`the overlay on ${where} has no lowerdir= in its mount options`);
  const lowerMount = findMount(entries, lower);
  if (!lowerMount) throw new OrootError(`the overlay's lower layer ${lower} is not a mount point here, so it cannot be made writable`);

  const binds = SYSTEM_DIRS.filter((dir) => !OPTIONAL_DIRS.has(dir) || isMountPoint(entries, dir))
    .map((dir) => ({ source: dir, target: path.posix.join(lower, dir) }))
    // Something is mounted there already (not by us): use it, and leave it alone afterwards.
    .filter((bind) => !isMountPoint(entries, bind.target));
  const scratchTarget = path.posix.join(lower, '/tmp');
  const layerMounts = [lowerMount, ...mountsUnder(entries, lower).filter((m) => m.source.startsWith('/dev/'))];
  return {
    overlay,
    lower,
    binds,
    scratch: isMountPoint(entries, scratchTarget) ? undefined : scratchTarget,
    remount: layerMounts.filter(isReadOnly).map((m) => m.mountPoint),
    alreadyWritable: layerMounts.filter((m) => !isReadOnly(m)).map((m) => m.mountPoint),
  };
}
