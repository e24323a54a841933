// A root laid out as the boot stage leaves it, built for real in a private mount namespace, for
// tests that run oroot with / being the overlay. Shell lines for `unshare -m … sh -c`; "$d" is an
// empty directory. Between the two parts the caller mounts the real root on "$d/root".
import type { BootState } from '../../src/overlayroot/state.js';

/** A busybox "initramfs" on a tmpfs in "$d". */
export const MAKE_INITRAMFS = `
  mount -t tmpfs -o mode=755 initramfs "$d"
  mkdir -p "$d/bin" "$d/root" "$d/media/root-ro" "$d/media/root-rw"
  cp "$(command -v busybox)" "$d/bin/busybox"`;

/** What the boot stage does from there, with the initramfs's own paths (so lowerdir=/media/root-ro),
 *  plus /proc, /sys and /dev in the new root "$d/root". */
export const LAY_OUT_OVERLAY_ROOT = `
  chroot "$d" /bin/busybox sh -euc '
    b=/bin/busybox
    $b mount -t tmpfs -o mode=755 tmpfs-root /media/root-rw
    $b mkdir -p /media/root-rw/overlay /media/root-rw/overlay-workdir/_
    $b mount --move /root /media/root-ro
    $b mount -t overlay -o lowerdir=/media/root-ro,upperdir=/media/root-rw/overlay,workdir=/media/root-rw/overlay-workdir/_ overlayroot /root
    $b mkdir -p /root/media/root-ro /root/media/root-rw
    $b mount --move /media/root-ro /root/media/root-ro
    $b mount --move /media/root-rw /root/media/root-rw'
  mount -t proc proc "$d/root/proc"; mount -t sysfs sysfs "$d/root/sys"; mount --bind /dev "$d/root/dev"`;

/** A state file as a successful tmpfs boot writes it. */
export function tmpfsBootState(overrides: Partial<BootState> = {}): BootState {
  return {
    version: 1,
    startedAt: '2026-11-24T07:00:00.000Z',
    durationMs: 1830,
    outcome: 'configured',
    requested: { mode: 'tmpfs', source: 'kernel cmdline', value: 'tmpfs' },
    applied: { mode: 'tmpfs', upper: 'tmpfs-root', fstype: 'tmpfs' },
    steps: [{ kind: 'mount-overlay', description: 'mount the overlay on /root', status: 'done', durationMs: 3 }],
    warnings: [],
    ...overrides,
  };
}
