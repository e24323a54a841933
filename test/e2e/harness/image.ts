// The base guest: a debootstrapped Debian 12 with the distribution's cloud kernel, Node.js 18 (the
// runtime the boot stage must run on), cryptsetup, e2fsprogs, initramfs-tools and systemd. Built
// once per recipe and cached (see cache.ts); every test system is a copy of it.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../../../src/system/spawn.js';
import { cached, cacheRoot, hashOf, progress } from './cache.js';

export const baseRecipe = {
  suite: 'bookworm',
  mirror: process.env.OROOT_E2E_MIRROR ?? 'http://deb.debian.org/debian',
  variant: 'minbase',
  packages: [
    'linux-image-cloud-amd64',
    'nodejs',
    'cryptsetup-bin',
    'e2fsprogs',
    'initramfs-tools',
    'systemd-sysv',
    'udev',
    'kmod',
    'busybox',
    'zstd',
  ],
  /** Bump when the build steps below change. */
  revision: 1,
} as const;

export interface BaseImage {
  /** The cache directory; the system itself is in `root`. */
  readonly dir: string;
  readonly root: string;
  readonly key: string;
  readonly kernelVersion: string;
}

export async function baseImage(): Promise<BaseImage> {
  const key = hashOf(JSON.stringify(baseRecipe));
  const dir = await cached('base', key, buildBase, 1);
  const { kernelVersion } = JSON.parse(readFileSync(path.join(dir, 'base.json'), 'utf8')) as { kernelVersion: string };
  return { dir, root: path.join(dir, 'root'), key, kernelVersion };
}

async function buildBase(dir: string): Promise<void> {
  const root = path.join(dir, 'root');
  progress(`building the base image with debootstrap (${baseRecipe.suite}, ${baseRecipe.mirror}); this takes a few minutes once`);
  const started = Date.now();
  // Shared by every base build; debootstrap refuses a --cache-dir that does not exist.
  const debs = path.join(cacheRoot, 'debs');
  mkdirSync(debs, { recursive: true });
  await run(
    [
      'debootstrap',
      `--variant=${baseRecipe.variant}`,
      `--include=${baseRecipe.packages.join(',')}`,
      `--cache-dir=${debs}`,
      baseRecipe.suite,
      root,
      baseRecipe.mirror,
    ],
    { timeoutMs: 30 * 60_000 },
  );
  // Documentation and translations only slow down every copy and image build.
  for (const sub of ['usr/share/doc', 'usr/share/man', 'usr/share/locale', 'usr/share/info', 'var/cache/apt/archives']) {
    for (const entry of readdirSync(path.join(root, sub))) {
      if (entry !== 'partial' && entry !== 'lock') rmSync(path.join(root, sub, entry), { recursive: true, force: true });
    }
  }
  writeFileSync(path.join(root, 'etc/hostname'), 'oroot-e2e\n');
  const kernels = readdirSync(path.join(root, 'boot')).filter((name) => name.startsWith('vmlinuz-'));
  if (kernels.length !== 1) throw new Error(`expected one kernel in the base image, found ${kernels.join(', ') || 'none'}`);
  const kernelVersion = kernels[0]!.slice('vmlinuz-'.length);
  writeFileSync(path.join(dir, 'base.json'), JSON.stringify({ kernelVersion, recipe: baseRecipe }, null, 2));
  progress(`base image ready in ${((Date.now() - started) / 1000).toFixed(0)} s (kernel ${kernelVersion})`);
}
