// Which mount options go where when one fstab entry becomes a read-only lower mount plus an overlay.
//
// The overlay line inherits what decides WHETHER and WHEN it is mounted (nofail, noauto,
// nobootwait, _netdev, x-systemd.*) and the per-mount flags that restrict what the mounted tree
// allows (nosuid, nodev, noexec…): a /home or /tmp hardened with nodev,nosuid,noexec must not lose
// that because it is now an overlay. overlayroot copies only nobootwait, noauto and nofail.

/** Decide whether and when a mount happens. */
const SCHEDULING = new Set(['nofail', 'noauto', 'auto', 'nobootwait', '_netdev']);
/** Act on the block device, which the overlay line does not have (systemd ignores or misapplies them there). */
const DEVICE_ONLY_SYSTEMD = ['x-systemd.makefs', 'x-systemd.growfs', 'x-systemd.device-timeout', 'x-systemd.device-bound'];

/**
 * Per-mount (VFS) flags. mount(8) applies them with mount_setattr/MS_* flags, never through the
 * filesystem's own option parser, so they are also safe to re-apply when `/` is remounted.
 */
const VFS_FLAGS = new Set([
  'suid', 'nosuid', 'dev', 'nodev', 'exec', 'noexec', 'atime', 'noatime', 'diratime', 'nodiratime',
  'relatime', 'norelatime', 'strictatime', 'nostrictatime', 'symfollow', 'nosymfollow',
]);

export function vfsFlags(options: readonly string[]): string[] {
  return options.filter((option) => VFS_FLAGS.has(option));
}

/** What the overlay line of a layered filesystem takes over from the original entry. */
export function inheritedOptions(options: readonly string[]): string[] {
  return options.filter(
    (option) =>
      SCHEDULING.has(option) ||
      VFS_FLAGS.has(option) ||
      (option.startsWith('x-systemd.') && !DEVICE_ONLY_SYSTEMD.some((name) => option.startsWith(name))),
  );
}

/**
 * The original options made read-only. Every `rw` is removed, not just outvoted: in
 * "ro,defaults,rw" the last one wins, which overlayroot's plain "ro," prefix gets wrong.
 * x-systemd.growfs is dropped: growing a filesystem needs it writable.
 */
export function readOnlyOptions(options: readonly string[], extra: readonly string[] = []): string[] {
  const kept = options.filter((option) => option !== 'rw' && option !== 'ro' && !option.startsWith('x-systemd.growfs'));
  return ['ro', ...kept, ...extra];
}
