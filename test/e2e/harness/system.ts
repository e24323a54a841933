// A bootable guest system: the base image plus what a variant installs, turned into the three
// files QEMU boots (kernel, initrd, an ext4 root image made with `mkfs.ext4 -d`, no loop mount).
//   oroot        the freshly built .deb installed with dpkg inside the guest, whose trigger runs
//                update-initramfs there: the initrd is built by our hook, for real; then one boot
//                of the finished image makes the boot stage's runtime snapshot on the guest's CPU
//   no-runtime   the same, with Node.js removed from the root image afterwards
//   plain        neither oroot nor overlayroot (the bench's size baseline)
//   overlayroot  Debian's overlayroot package (the bench's anchor)
// Systems are cached by a hash of the base, the .deb and the guest files.
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../../../src/system/spawn.js';
import { guestDir, repoRoot } from './paths.js';
import { cached, hashOf, progress } from './cache.js';
import { baseImage, type BaseImage } from './image.js';
import { scenarioWords } from './guest-run.js';
import { bootGuest } from './qemu.js';
import { fact, factLines } from './report.js';

export type SystemVariant = 'oroot' | 'no-runtime' | 'plain' | 'overlayroot';

export interface GuestSystem {
  readonly variant: SystemVariant;
  readonly dir: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly rootImage: string;
  readonly kernelVersion: string;
  /** Output of the install inside the guest (dpkg, update-initramfs, the hook's messages). */
  readonly installLog: string;
}

/** Bump when the steps below change. */
const SYSTEM_REVISION = 4;
const CHECK_SCRIPT = '/usr/local/sbin/oroot-e2e-check';
const REPORT_UNIT = 'oroot-e2e-report.service';
/** Where the check script finds the scenarios (guest/scenario-*) that oroot_e2e.run= selects. */
const SCENARIO_DIR = '/usr/local/lib/oroot-e2e';

let packagePath: Promise<string> | undefined;

/** Build the .deb once per process with `npm run package`, exactly as a user would. */
export function builtPackage(): Promise<string> {
  packagePath ??= (async () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    await run(['npm', 'run', 'package'], { cwd: repoRoot, timeoutMs: 120_000 });
    const arch = (await run(['dpkg', '--print-architecture'])).stdout.trim();
    return path.join(repoRoot, 'build', `oroot_${version}_${arch}.deb`);
  })();
  return packagePath;
}

export interface SystemOptions {
  /** bench/boot: add initramfs scripts that log when init-bottom starts and ends, and its memory. */
  readonly timing?: boolean;
}

export async function guestSystem(variant: SystemVariant = 'oroot', options: SystemOptions = {}): Promise<GuestSystem> {
  const base = await baseImage();
  if (variant === 'no-runtime') return withoutRuntime(await guestSystem('oroot', options));
  const deb = variant === 'oroot' ? readFileSync(await builtPackage()) : Buffer.alloc(0);
  const guestFiles = readdirSync(guestDir).map((name) => readFileSync(path.join(guestDir, name)));
  const timing = options.timing ?? false;
  const key = hashOf(base.key, variant, String(timing), String(SYSTEM_REVISION), deb, ...guestFiles);
  const kind = `system-${variant}${timing ? '-timing' : ''}`;
  const dir = await cached(kind, key, async (tmp) => {
    progress(`preparing the ${kind} guest system`);
    const root = path.join(tmp, 'root');
    await run(['cp', '-a', '--reflink=auto', base.root, root], { timeoutMs: 600_000 });
    installGuestFiles(root);
    if (timing) installTimingScripts(root);
    const log = await customize(variant, root, deb, timing);
    writeFileSync(path.join(tmp, 'install.log'), log);
    await exportBootFiles(base, root, tmp);
    await makeRootImage(root, path.join(tmp, 'root.img'));
    await run(['rm', '-rf', root], { timeoutMs: 600_000 });
    if (variant === 'oroot') await prepareRuntimeInGuest(describe(variant, tmp, base.kernelVersion));
  });
  return describe(variant, dir, base.kernelVersion);
}

/**
 * The postinst made the runtime snapshot in the chroot, with the host's CPU; V8 refuses a snapshot
 * made on a CPU with other features (the guest's, under QEMU), and the boot would always start the
 * plain bundle. One boot with the image read-write makes it again there, as installing the package
 * on the instance itself does; its output is added to install.log.
 */
async function prepareRuntimeInGuest(system: GuestSystem): Promise<void> {
  const boot = await bootGuest({ system, writableRoot: system.rootImage, cmdline: scenarioWords(['prepare-runtime']) });
  const status = fact(boot.report, 'prepare-runtime-exit');
  const output = [...factLines(boot.report, 'prepare-runtime-stdout'), ...factLines(boot.report, 'prepare-runtime-stderr')].join('\n');
  if (boot.report.verdict !== 'PASS' || status !== '0') {
    throw new Error(`preparing the boot runtime in the guest failed (exit ${status || 'none'}, verdict ${boot.report.verdict} ${boot.report.reasons}):\n${output}\n${boot.console.split('\n').slice(-30).join('\n')}`);
  }
  appendFileSync(path.join(system.dir, 'install.log'), `$ (guest boot) /usr/lib/oroot/prepare-boot-runtime.cjs\n${output}\n`);
}

function describe(variant: SystemVariant, dir: string, kernelVersion: string): GuestSystem {
  return {
    variant,
    dir,
    kernel: path.join(dir, 'vmlinuz'),
    initrd: path.join(dir, 'initrd.img'),
    rootImage: path.join(dir, 'root.img'),
    kernelVersion,
    installLog: readFileSync(path.join(dir, 'install.log'), 'utf8'),
  };
}

/** The check script and its scenarios, its systemd unit (enabled; it only runs when the cmdline asks) and an fstab. */
function installGuestFiles(root: string): void {
  copyFileSync(path.join(guestDir, 'oroot-e2e-check'), path.join(root, CHECK_SCRIPT));
  chmodSync(path.join(root, CHECK_SCRIPT), 0o755);
  mkdirSync(path.join(root, SCENARIO_DIR), { recursive: true });
  for (const name of readdirSync(guestDir).filter((file) => file.startsWith('scenario-'))) {
    copyFileSync(path.join(guestDir, name), path.join(root, SCENARIO_DIR, name));
  }
  copyFileSync(path.join(guestDir, REPORT_UNIT), path.join(root, 'etc/systemd/system', REPORT_UNIT));
  const wants = path.join(root, 'etc/systemd/system/multi-user.target.wants');
  mkdirSync(wants, { recursive: true });
  symlinkSync(`/etc/systemd/system/${REPORT_UNIT}`, path.join(wants, REPORT_UNIT));
  writeFileSync(path.join(root, 'etc/fstab'), '# <file system> <mount point> <type> <options> <dump> <pass>\n/dev/vda / ext4 defaults,errors=remount-ro 0 1\n');
}

function installTimingScripts(root: string): void {
  for (const [name, stage] of [['oroot-bench-begin', 'local-bottom'], ['oroot-bench-end', 'init-bottom']] as const) {
    const dir = path.join(root, 'etc/initramfs-tools/scripts', stage);
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(guestDir, name), path.join(dir, name));
    chmodSync(path.join(dir, name), 0o755);
  }
}

async function customize(variant: SystemVariant, root: string, deb: Buffer, timing: boolean): Promise<string> {
  if (variant === 'plain') return timing ? inChroot(root, ['update-initramfs', '-u']) : 'nothing installed\n';
  if (variant === 'oroot') {
    writeFileSync(path.join(root, 'tmp/oroot.deb'), deb);
    const out = await inChroot(root, ['dpkg', '-i', '/tmp/oroot.deb']);
    rmSync(path.join(root, 'tmp/oroot.deb'));
    return out;
  }
  // The anchor. Its initramfs gets busybox's mke2fs, which cannot format the crypt volume on
  // Debian 12 ("mke2fs: invalid option -- 't'"); a small hook puts e2fsprogs' in its place. Local
  // hooks run after busybox's, so the busybox link has to go first (docs/testing.md, bench/boot).
  const hook = path.join(root, 'etc/initramfs-tools/hooks/bench-e2fsprogs');
  writeFileSync(
    hook,
    [
      '#!/bin/sh',
      '[ "$1" = prereqs ] && exit 0',
      '. /usr/share/initramfs-tools/hook-functions',
      'rm -f "$DESTDIR/usr/sbin/mke2fs" "$DESTDIR/usr/sbin/mkfs.ext4"',
      'copy_exec /sbin/mke2fs /sbin',
      'copy_exec /sbin/mkfs.ext4 /sbin',
      '',
    ].join('\n'),
  );
  chmodSync(hook, 0o755);
  let out = await inChroot(root, ['apt-get', 'update', '-q']);
  out += await inChroot(root, ['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'overlayroot']);
  out += await inChroot(root, ['update-initramfs', '-u']);
  await inChroot(root, ['apt-get', 'clean']);
  return out;
}

/** Run a command inside the guest tree with /proc mounted; return stdout and stderr. */
async function inChroot(root: string, argv: readonly string[]): Promise<string> {
  const proc = path.join(root, 'proc');
  await run(['mount', '-t', 'proc', 'proc', proc]);
  try {
    const result = await run(['chroot', root, ...argv], {
      env: { DEBIAN_FRONTEND: 'noninteractive' },
      timeoutMs: 900_000,
    });
    return `$ ${argv.join(' ')}\n${result.stdout}${result.stderr}`;
  } finally {
    await run(['umount', proc], { reject: false });
  }
}

async function exportBootFiles(base: BaseImage, root: string, dir: string): Promise<void> {
  copyFileSync(path.join(root, 'boot', `vmlinuz-${base.kernelVersion}`), path.join(dir, 'vmlinuz'));
  copyFileSync(path.join(root, 'boot', `initrd.img-${base.kernelVersion}`), path.join(dir, 'initrd.img'));
}

async function makeRootImage(root: string, image: string): Promise<void> {
  const used = await run(['du', '-sm', root]);
  const sizeMiB = Math.ceil(Number.parseInt(used.stdout, 10) * 1.25) + 256;
  await run(['mkfs.ext4', '-q', '-F', '-L', 'oroot-e2e-root', '-d', root, image, `${sizeMiB}M`], { timeoutMs: 600_000 });
}

/** The oroot system with Node.js deleted from its root image (debugfs, no mount). */
async function withoutRuntime(system: GuestSystem): Promise<GuestSystem> {
  const dir = await cached('system-no-runtime', hashOf(system.dir), async (tmp) => {
    for (const file of ['vmlinuz', 'initrd.img', 'install.log']) copyFileSync(path.join(system.dir, file), path.join(tmp, file));
    const image = path.join(tmp, 'root.img');
    await run(['cp', '--sparse=always', system.rootImage, image]);
    await run(['debugfs', '-w', '-R', 'rm /usr/bin/node', image]);
    const check = await run(['debugfs', '-R', 'stat /usr/bin/node', image], { reject: false });
    if (!/File not found/.test(check.stderr + check.stdout)) throw new Error('could not remove /usr/bin/node from the root image');
  });
  return describe('no-runtime', dir, system.kernelVersion);
}
