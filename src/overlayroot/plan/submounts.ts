// Filesystems the initramfs mounted below $rootmnt before init-bottom (initramfs-tools mounts a
// separate /usr there). `mount --move` carries them to /media/root-ro, but overlayfs does not cross
// mounts in its lower layer, so overlayroot shows them empty in the new root (its weakness W10).
// We give each disk filesystem an overlay of its own, move virtual ones into the new root as they
// are, and refuse anything overlayfs cannot use as a lower layer — before any side effect.
import { PlanRefusedError } from './checks.js';
import type { MountFact } from '../facts-mounts.js';
import { relativeInside } from './layout.js';

/** Filesystems overlayfs accepts as a lower layer that are worth layering (disk-backed). */
const OVERLAYABLE = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'f2fs', 'jfs', 'reiserfs', 'squashfs', 'erofs', 'iso9660', 'udf', 'zfs', 'bcachefs']);

/** Filesystems with nothing on disk: moved into the new root unchanged. */
const VIRTUAL = new Set([
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'tmpfs', 'ramfs', 'securityfs', 'cgroup', 'cgroup2', 'debugfs', 'tracefs',
  'efivarfs', 'pstore', 'bpf', 'mqueue', 'hugetlbfs', 'configfs', 'fusectl', 'binfmt_misc', 'autofs', 'rpc_pipefs',
]);

export interface SubmountPlan {
  /** Path inside the root ("/usr"). */
  readonly relative: string;
  readonly fact: MountFact;
  readonly treatment: 'overlay' | 'move';
}

export function classifySubmounts(rootmnt: string, submounts: readonly MountFact[]): SubmountPlan[] {
  return submounts.map((fact) => {
    const relative = relativeInside(rootmnt, fact.mountPoint);
    if (relative === undefined) throw new Error(`${fact.mountPoint} is not below ${rootmnt}`);
    if (VIRTUAL.has(fact.fstype)) return { relative, fact, treatment: 'move' };
    if (OVERLAYABLE.has(fact.fstype)) return { relative, fact, treatment: 'overlay' };
    throw new PlanRefusedError(
      `${fact.source} (${fact.fstype}) is mounted at ${relative} inside the root filesystem, and overlayfs cannot use ${fact.fstype} as a lower layer`,
      `Do not mount ${relative} from the initramfs (remove it from the root's /etc/fstab or mark it noauto), or disable the overlay.`,
    );
  });
}
