// A rehearsal of the boot stage, run while the V8 startup snapshot is built
// (packaging/prepare-boot-runtime.cjs): the whole stage — configuration, probe, plan, execution,
// report — runs once per mode against a made-up machine in a temporary directory, with every
// program answered instead of run. V8 keeps the bytecode it compiled in the snapshot, so at boot
// the stage starts with its code already compiled: under emulation, compiling it there cost
// about as much as everything the stage does (docs/design.md, "Starting fast").
//
// The rehearsal touches nothing of the machine: every path goes through the host's root (the
// temporary directory), no program runs and nothing is mounted (the addon's calls are answered in
// JavaScript, through the boot's own runner), no device is opened (the crypt act's disk is a symlink
// that is only stat()ed, and the passphrase reads a file of the rehearsal instead). The machine is
// made under os.tmpdir(), which prepare-boot-runtime points at its own directory: the probe looks
// for an executable cryptsetup there, which a /tmp mounted noexec would deny. Programs named
// without a path are looked up in PATH as at boot, so the package's dependencies must be there.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHost } from '../../system/host.js';
import { createLogger } from '../../system/log.js';
import type { NativeSys } from '../../system/native.js';
import { nativeRunner } from '../../system/spawn.js';
import { forgetConfigDiskFiles } from '../config/cfgdisk-store.js';
import { realServices } from '../execute/services.js';
import { CRYPTSETUP_VERSION_RECORD } from '../facts.js';
import type { BootServices } from '../execute/types.js';
import { runBootStage } from './stage.js';

const ROOTMNT = '/root';
const KERNEL = '6.1.0-0-rehearsal';
/** Where the crypt act's passphrase reads "the head of the device" instead of a real disk. */
const DISK_HEAD = '/rehearsal/disk-head';

interface Act {
  readonly overlayroot: string;
  /** The act needs a block device at /dev/vdb (a stand-in, stat()ed only). */
  readonly disk: boolean;
}

const ACTS: readonly Act[] = [
  { overlayroot: 'tmpfs', disk: false },
  { overlayroot: 'device:dev=/dev/vdb', disk: true },
  { overlayroot: 'crypt:dev=/dev/vdb', disk: true },
];

/** The acts that ran (each ended with the overlay configured); throws when one did not. */
export async function rehearseBootStage(): Promise<string[]> {
  const blockDevice = anyBlockDevice();
  const performed: string[] = [];
  for (const act of ACTS) {
    if (act.disk && !blockDevice) continue;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oroot-rehearsal-'));
    try {
      buildMachine(dir, act, blockDevice);
      const sys = pretendSys(dir);
      const host = createHost({ root: dir, run: nativeRunner(sys), mounts: sys, log: createLogger([]) });
      const { state } = await runBootStage(host, { rootmnt: ROOTMNT, services: rehearsalServices() });
      if (state.outcome !== 'configured') throw new Error(`the rehearsal of overlayroot=${act.overlayroot} ended ${state.outcome}: ${state.fallback?.reason ?? ''}`);
      performed.push(act.overlayroot);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      forgetConfigDiskFiles();
    }
  }
  return performed;
}

/** The real services, but nothing reads a device: it is blank, and its head is a file. */
function rehearsalServices(): BootServices {
  const real = realServices();
  return {
    ...real,
    probeDevice: async () => ({ kind: 'blank' }),
    derivePassphrase: (host, options) => real.derivePassphrase(host, { ...options, device: DISK_HEAD }),
  };
}

/** What a freshly booted cloud instance shows the stage at init-bottom, in miniature. */
function buildMachine(dir: string, act: Act, blockDevice: string | undefined): void {
  const put = (machinePath: string, content: string | Buffer, mode = 0o644) => {
    const file = path.join(dir, machinePath);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content, { mode });
  };
  put('/proc/cmdline', `BOOT_IMAGE=/vmlinuz root=/dev/vda ro console=ttyS0 overlayroot=${act.overlayroot}\n`);
  put('/proc/sys/kernel/osrelease', `${KERNEL}\n`);
  put('/proc/sys/kernel/printk', '4\t4\t1\t7\n');
  put('/proc/sys/kernel/random/boot_id', '6f1c1e0e-2f65-4f7e-9a57-0d4b7f0c9d11\n');
  put('/proc/sys/kernel/random/uuid', '0b8f2a36-3c1e-4b8e-8f0f-3d8a0f5e7c21\n');
  put('/proc/filesystems', 'nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\n\text4\nnodev\toverlay\n');
  put('/proc/meminfo', 'MemTotal:        1004000 kB\nMemFree:          900000 kB\nMemAvailable:     880000 kB\n');
  // The root's device number is one no block device has (major 0), so the stand-in disk, whatever
  // real device it points at, is never taken for the mounted root.
  put('/proc/self/mountinfo', `1 0 0:1 / / rw - rootfs rootfs rw\n25 1 0:250 / ${dir}${ROOTMNT} ro,relatime - ext4 /dev/vda ro\n`);
  put(`/lib/modules/${KERNEL}/modules.dep`, 'kernel/fs/overlayfs/overlay.ko:\nkernel/drivers/md/dm-crypt.ko: kernel/drivers/md/dm-mod.ko\n');
  put('/dev/kmsg', '');
  put('/dev/random', randomBytes(64));
  put('/dev/urandom', randomBytes(8192));
  put(DISK_HEAD, Buffer.alloc(4096));
  put('/usr/sbin/cryptsetup', '', 0o755);
  put(CRYPTSETUP_VERSION_RECORD, 'cryptsetup 2.6.1 flags: UDEV BLKID KEYRING KERNEL_CAPI\n');
  put(`${ROOTMNT}/etc/fstab`, ['# <file system> <mount point> <type> <options> <dump> <pass>', 'LABEL=cloudimg-rootfs / ext4 discard,errors=remount-ro 0 1', 'LABEL=UEFI /boot/efi vfat umask=0077 0 1', '/swap.img none swap sw 0 0', ''].join('\n'));
  put(`${ROOTMNT}/etc/hostname`, 'rehearsal\n');
  mkdirSync(path.join(dir, '/run'), { recursive: true });
  if (act.disk && blockDevice) symlinkSync(blockDevice, path.join(dir, '/dev/vdb'));
}

/** A block device of this machine for the stand-in disk to point at (stat() only), if any. */
function anyBlockDevice(): string | undefined {
  try {
    return readdirSync('/dev')
      .map((name) => `/dev/${name}`)
      .find((node) => statSync(node, { throwIfNoEntry: false })?.isBlockDevice());
  } catch {
    return undefined;
  }
}

/**
 * Every program "succeeds" as it would on a blank disk: blkid finds nothing (its status 2), and
 * `cryptsetup open` leaves the mapping's node behind, as libdevmapper does without udev. Mounts
 * do nothing. The boot's own runner (nativeRunner) is used, with this in place of the addon.
 */
function pretendSys(dir: string): NativeSys {
  return {
    mount: () => undefined,
    umount: () => undefined,
    spawn(file, args) {
      const program = path.basename(file);
      if (program === 'cryptsetup' && args[0] === 'open') {
        const node = path.join(dir, '/dev/mapper', args[args.length - 1] ?? '');
        mkdirSync(path.dirname(node), { recursive: true });
        writeFileSync(node, '');
      }
      const status = program === 'blkid' && args.includes('-p') ? 2 : 0;
      return { status, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false };
    },
  };
}
