// What the overlay root does with each fstab entry. One table names every filesystem type that is
// NOT layered and why; everything else that is mounted from a disk gets a read-only lower mount
// under /media/root-ro and an overlay on top (when recurse is on).
import path from 'node:path';
import { ROOT_RO, ROOT_RW } from '../plan/layout.js';
import type { FstabEntry } from './parse.js';

/**
 * Filesystem families left as they are: the tag overlayroot writes, the reason, and whether the
 * reason is worth a note in the boot log (it is when the filesystem stays writable).
 */
const FAMILIES = {
  virtual: {
    tag: 'fs-virtual',
    why: 'it holds nothing on disk',
    noted: false,
    types: [
      'proc', 'sys', 'sysfs', 'dev', 'udev', 'devtmpfs', 'devpts', 'tmpfs', 'ramfs', 'cgroup', 'cgroup2', 'securityfs',
      'efivarfs', 'debugfs', 'tracefs', 'configfs', 'pstore', 'bpf', 'hugetlbfs', 'mqueue', 'fusectl', 'binfmt_misc',
      'autofs', 'rpc_pipefs', 'nfsd', 'selinuxfs', 'none',
    ],
  },
  stacked: {
    tag: 'fs-virtual',
    why: 'its layers are directories of the tree, which is layered already',
    noted: false,
    types: ['overlay', 'overlayfs', 'aufs'],
  },
  network: {
    tag: 'fs-network',
    noted: true,
    why: 'its data lives on a server, not on this machine’s disks',
    types: [
      // systemd's list of network filesystems, plus host-shared folders and common FUSE clients.
      'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'afs', 'ceph', 'gfs', 'gfs2', 'ncp', 'ncpfs', 'ocfs2', 'orangefs', 'pvfs2',
      'davfs', 'glusterfs', 'lustre', 'sshfs', '9p', 'virtiofs',
      'fuse.sshfs', 'fuse.s3fs', 'fuse.glusterfs', 'fuse.rclone', 'fuse.gcsfuse', 'fuse.ceph',
    ],
  },
  caseInsensitive: {
    tag: 'fs-unsupported',
    why: 'overlayfs cannot use it as a layer (it compares names case-insensitively); it stays writable',
    noted: true,
    types: ['vfat', 'fat', 'msdos', 'umsdos', 'exfat', 'ntfs', 'ntfs3', 'hfs', 'hfsplus'],
  },
  fuse: {
    tag: 'fs-unsupported',
    why: 'a FUSE filesystem is served by a daemon that starts after the overlay is set up; it stays writable',
    noted: true,
    types: ['fuse', 'fuseblk', 'ntfs-3g'],
  },
  readOnly: {
    tag: 'fs-readonly',
    why: 'this filesystem type cannot be written to, so there is nothing to protect',
    noted: false,
    types: ['iso9660', 'squashfs', 'erofs', 'cramfs', 'romfs'],
  },
} as const;

export type Family = keyof typeof FAMILIES;

const familyOfType = new Map<string, Family>(
  (Object.keys(FAMILIES) as Family[]).flatMap((family) => FAMILIES[family].types.map((type) => [type, family] as const)),
);

export function familyOf(vfstype: string): Family | undefined {
  return familyOfType.get(vfstype) ?? (vfstype.startsWith('fuse.') ? 'fuse' : undefined);
}

export type Treatment =
  /** The root: the initramfs already put the overlay there; the line only serves remounts. */
  | { readonly kind: 'root' }
  /** /usr: initramfs-tools mounts it before init-bottom and the boot stage layers it; as `/`. */
  | { readonly kind: 'early' }
  | { readonly kind: 'layer' }
  | { readonly kind: 'swap' }
  /** Left exactly as written, with `# overlayroot:<tag>` appended; `noted` when the boot log should say why. */
  | { readonly kind: 'keep'; readonly tag: string; readonly why: string; readonly noted: boolean }
  /** Cannot be layered safely: mounted read-only where it is. */
  | { readonly kind: 'read-only'; readonly tag: string; readonly why: string }
  | { readonly kind: 'invalid'; readonly why: string };

/** overlayfs options split on ',' and ':' and unescape '\'; libmount gives '"' a meaning. */
const UNSAFE_PATH = /[,:\\"\n]/;
export function classifyEntry(entry: FstabEntry): Treatment {
  const { file, vfstype, options } = entry;
  if (vfstype === 'swap') return { kind: 'swap' };
  if (!file.startsWith('/')) return { kind: 'invalid', why: `the mount point ${JSON.stringify(file)} is not an absolute path` };
  const mountPoint = normalizeMountPoint(file);
  if (mountPoint === '/') return { kind: 'root' };
  if (isInside(mountPoint, ROOT_RO) || isInside(mountPoint, ROOT_RW)) {
    return { kind: 'keep', tag: 'layer-mount', why: `it is a mount on the overlay's own layers (was this fstab already rewritten?)`, noted: true };
  }
  if (options.includes('bind') || options.includes('rbind')) {
    return { kind: 'keep', tag: 'bind-mount', why: 'a bind mount shows a directory of the tree, which is layered already', noted: false };
  }
  const family = familyOf(vfstype);
  if (family) {
    const { tag, why, noted } = FAMILIES[family];
    return { kind: 'keep', tag, why, noted };
  }
  // Layered by the boot stage whatever its options say, so its line must be remount-safe like /'s.
  if (mountPoint === '/usr') return { kind: 'early' };
  if (options.lastIndexOf('ro') > options.lastIndexOf('rw')) {
    return { kind: 'keep', tag: 'fs-readonly', why: 'it is mounted read-only already', noted: false };
  }
  if (UNSAFE_PATH.test(mountPoint)) {
    return { kind: 'read-only', tag: 'path-unsupported', why: 'its mount point contains a character overlayfs options cannot carry (, : \\ " or a newline)' };
  }
  return { kind: 'layer' };
}

/** "/home/" and "/home//" are "/home". */
export function normalizeMountPoint(file: string): string {
  return path.posix.normalize(file).replace(/(.)\/$/, '$1');
}

function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`);
}
