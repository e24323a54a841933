// The fake machine for the boot-stage integration tests: a root filesystem image (ext4, with a real
// /etc/fstab), a /usr image and an empty upper image on loop devices, and a temporary "initramfs"
// directory that is host.root (its proc/ holds the command line under test; proc/self and sys lead
// to the real ones, for the mount table and block devices; dev/kmsg is a file that collects the
// kernel-log lines). drive() runs boot-driver.mjs in a private mount namespace and returns its report.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BootState } from '../../src/overlayroot/state.js';
import { repoRoot } from './cli.js';
import { tempDir } from './machine.js';

export interface MountRow {
  target: string;
  options: string;
  fstype: string;
  source: string;
  superOptions: string;
}

export interface DriveOutput {
  before: MountRow[];
  after: MountRow[];
  result: {
    ok?: boolean;
    undoFailed?: boolean;
    error?: string;
    plan?: { kind: string; command: string }[];
    exitStatus?: number;
    state?: BootState;
  };
  probes: Record<string, string | string[] | number | null>;
  log: string[];
}

export interface DriveOptions {
  /** overlayroot= value for a plain executor run ('UPPER' stands for the upper loop device). */
  value?: string;
  /** Run the whole stage instead: the configuration comes from `cmdline`. */
  stage?: boolean;
  cmdline: string;
  rootOptions?: 'ro' | 'rw';
  withUsr?: boolean;
  persist?: boolean;
  dryRun?: boolean;
  inject?: { index: number; phase: 'before' | 'after' };
  /** Mount with mount(2) through the addon (build/oroot-sys.node), as the boot stage does,
   *  instead of running mount(8). */
  syscalls?: boolean;
}

/** The native addon `npm run build:native` makes. */
export const SYS_ADDON = path.join(repoRoot, 'build/oroot-sys.node');

export const FSTAB = [
  '# /etc/fstab: static file system information.',
  'LABEL=oroot-itest-root /               ext4  defaults,errors=remount-ro 0 1',
  'LABEL=oroot-itest-usr  /usr            ext4  defaults                   0 2',
  'LABEL=data             /srv/My\\040Data ext4  defaults,nofail            0 2',
  'proc                   /proc           proc  defaults                   0 0',
  '/swap.img              none            swap  sw                         0 0',
  '',
].join('\n');

export async function bootFixture() {
  const { dir, cleanup: removeDir } = tempDir('oroot-itest-');
  const hostRoot = path.join(dir, 'initramfs');
  const loops: string[] = [];
  const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const image = (name: string, label: string, files: Record<string, string>, mib: number): string => {
    const tree = path.join(dir, `${name}-tree`);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
      if (file.endsWith('/')) mkdirSync(path.join(tree, file), { recursive: true });
      else writeFileSync(path.join(tree, file), text);
    }
    const img = path.join(dir, `${name}.img`);
    sh(['mkfs.ext4', '-q', '-F', '-L', label, ...(Object.keys(files).length ? ['-d', tree] : []), img, `${mib}M`]);
    const loop = sh(['losetup', '--find', '--show', img]).trim();
    loops.push(loop);
    return loop;
  };

  const rootLoop = image('root', 'oroot-itest-root', { 'etc/fstab': FSTAB, 'etc/hostname': 'itest\n', 'oroot-itest-marker': 'the lower layer\n', 'usr/': '', 'var/lib/': '', 'srv/': '' }, 32);
  const usrLoop = image('usr', 'oroot-itest-usr', { 'oroot-itest-usr-marker': 'the /usr filesystem\n', 'bin/': '' }, 16);
  const upperLoop = image('upper', 'oroot-itest-up', {}, 32);

  const put = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(hostRoot, file)), { recursive: true });
    writeFileSync(path.join(hostRoot, file), text);
  };
  put('proc/filesystems', readFileSync('/proc/filesystems', 'utf8'));
  put('proc/meminfo', readFileSync('/proc/meminfo', 'utf8'));
  put('proc/sys/kernel/osrelease', readFileSync('/proc/sys/kernel/osrelease', 'utf8'));
  put('proc/cmdline', '');
  symlinkSync('/proc/self', path.join(hostRoot, 'proc/self'));
  symlinkSync('/sys', path.join(hostRoot, 'sys'));
  put('dev/kmsg', '');
  for (const loop of loops) symlinkSync(loop, path.join(hostRoot, loop));
  mkdirSync(path.join(hostRoot, 'root'));
  mkdirSync(path.join(hostRoot, 'run/initramfs'), { recursive: true });
  chmodSync(path.join(hostRoot, 'run/initramfs'), 0o700);
  const initramfsListing = readdirSync(hostRoot).sort();

  const debugfs = (loop: string, request: string): string | null => {
    try {
      const out = execFileSync('debugfs', ['-R', request, loop], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return out;
    } catch {
      return null;
    }
  };
  const fileOn = (loop: string, file: string): string | null => {
    const listing = debugfs(loop, `stat ${file}`);
    return listing && !/not found/i.test(listing) ? debugfs(loop, `cat ${file}`) : null;
  };

  return {
    hostRoot,
    rootLoop,
    usrLoop,
    upperLoop,
    fstab: FSTAB,
    initramfsListing,
    drive(options: DriveOptions): DriveOutput {
      put('proc/cmdline', `${options.cmdline}\n`);
      put('dev/kmsg', '');
      // Every boot starts from a fresh initramfs: drop what an earlier (successful) run created.
      rmSync(path.join(hostRoot, 'media'), { recursive: true, force: true });
      rmSync(path.join(hostRoot, 'run/initramfs'), { recursive: true, force: true });
      mkdirSync(path.join(hostRoot, 'run/initramfs'), { mode: 0o700 });
      const mounts = [[rootLoop, 'root', options.rootOptions ?? 'ro'], ...(options.withUsr ? [[usrLoop, 'root/usr', 'ro']] : [])];
      const input = {
        dist: path.join(repoRoot, 'dist'),
        hostRoot,
        mounts,
        run: options.stage ? 'stage' : 'execute',
        value: options.value?.replace('UPPER', upperLoop),
        inject: options.inject ?? null,
        persist: options.persist ?? false,
        dryRun: options.dryRun ?? false,
        sysAddon: options.syscalls ? SYS_ADDON : null,
      };
      const driver = path.join(repoRoot, 'test/helpers/boot-driver.mjs');
      let stdout: string;
      try {
        stdout = execFileSync('unshare', ['-m', '--propagation', 'private', process.execPath, driver, JSON.stringify(input)], {
          encoding: 'utf8',
          maxBuffer: 64 << 20,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (error) {
        const { stderr, stdout: out } = error as { stderr?: string; stdout?: string };
        throw new Error(`boot driver failed: ${stderr ?? ''}${out ?? ''}`);
      }
      return JSON.parse(stdout) as DriveOutput;
    },
    resetUpper() {
      sh(['mkfs.ext4', '-q', '-F', '-L', 'oroot-itest-up', upperLoop]);
    },
    upperListing(): string[] {
      const out = debugfs(upperLoop, 'ls -p /') ?? '';
      return out
        .split('\n')
        .map((line) => line.split('/')[5])
        .filter((name): name is string => !!name && name !== '.' && name !== '..')
        .sort();
    },
    upperFile: (file: string) => fileOn(upperLoop, file),
    rootFile: (file: string) => fileOn(rootLoop, file),
    stateFile: (): BootState => JSON.parse(readFileSync(path.join(hostRoot, 'run/initramfs/oroot.state.json'), 'utf8')) as BootState,
    cleanup() {
      for (const loop of loops) execFileSync('losetup', ['-d', loop]);
      removeDir();
    },
  };
}

export type BootFixture = Awaited<ReturnType<typeof bootFixture>>;

