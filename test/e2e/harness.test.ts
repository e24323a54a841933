// The harness proves itself first: the package, the guest image and the initramfs our hook builds,
// a real boot that reaches the check script, and that both the guest's and the host's checks
// can fail.
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/system/spawn.js';
import { requireTool } from '../helpers/machine.js';
import { blankDisk, containsBytes, ext4Disk, plaintextProblems } from './harness/disks.js';
import { bootGuest } from './harness/qemu.js';
import { factLines } from './harness/report.js';
import { expectationWords, explain, newMarker, scenarioSuite } from './harness/scenario.js';
import { builtPackage } from './harness/system.js';
import { tryHookWithout } from './harness/hookcheck.js';

beforeAll(() => {
  for (const tool of ['qemu-system-x86_64', 'debootstrap', 'dpkg-deb', 'mkfs.ext4', 'unmkinitramfs', 'debugfs']) requireTool(tool);
});
const suite = scenarioSuite();

describe('the package', () => {
  it('ships the bundle, the wrapper, the hook, the boot script and the man page, and declares its relations', async () => {
    const deb = await builtPackage();
    const contents = (await run(['dpkg-deb', '--contents', deb])).stdout;
    for (const file of [
      './usr/lib/oroot/oroot.mjs',
      './usr/lib/oroot/systeminformation.cjs',
      './usr/lib/oroot/oroot-boot.cjs',
      './usr/lib/oroot/prepare-boot-runtime.cjs',
      './usr/lib/oroot/oroot-sys.node',
      './usr/bin/oroot',
      './usr/share/initramfs-tools/hooks/oroot',
      './usr/share/initramfs-tools/scripts/init-bottom/oroot',
      './usr/share/man/man8/oroot.8.gz',
      './usr/share/doc/oroot/copyright',
    ]) {
      expect(contents).toContain(file);
    }
    expect(contents).toMatch(/-rwxr-xr-x root\/root .* \.\/usr\/share\/initramfs-tools\/hooks\/oroot/);
    const field = async (name: string) => (await run(['dpkg-deb', '--field', deb, name])).stdout.trim();
    expect(await field('Depends')).toMatch(/nodejs \(>= 18\).*cryptsetup-bin.*e2fsprogs.*initramfs-tools/);
    expect(await field('Conflicts')).toBe('overlayroot');
    const control = path.join(suite.dir, 'control');
    await run(['dpkg-deb', '--control', deb, control]);
    for (const script of ['postinst', 'postrm']) {
      expect(readFileSync(path.join(control, script), 'utf8')).toMatch(/dpkg-trigger --no-await update-initramfs/);
    }
    // The boot runtime snapshot: made at configure and whenever /usr/bin/node changes, removed first on removal.
    expect(contents).toMatch(/-rwxr-xr-x root\/root .* \.\/usr\/lib\/oroot\/prepare-boot-runtime\.cjs/);
    expect(readFileSync(path.join(control, 'triggers'), 'utf8')).toBe('interest-noawait /usr/bin/node\n');
    const postinst = readFileSync(path.join(control, 'postinst'), 'utf8');
    expect(postinst).toMatch(/configure\)\n\tprepare_boot_runtime\n/);
    expect(postinst).toMatch(/triggered\)\n\tprepare_boot_runtime\n/);
    expect(readFileSync(path.join(control, 'prerm'), 'utf8')).toMatch(/rm -rf \/usr\/lib\/oroot\/boot-runtime /);
  });
});

describe('the initramfs built inside the guest by our hook', () => {
  let tree: string;
  beforeAll(async () => {
    tree = path.join(suite.dir, 'initrd');
    await run(['unmkinitramfs', suite.system.initrd, tree], { timeoutMs: 120_000 });
    // unmkinitramfs puts an early (microcode) archive in early/ and the rest in main/ when present.
    if (existsSync(path.join(tree, 'main'))) tree = path.join(tree, 'main');
  });

  it('was built by update-initramfs through the dpkg trigger of the package install', () => {
    expect(suite.system.installLog).toMatch(/Setting up oroot/);
    expect(suite.system.installLog).toMatch(/update-initramfs: Generating \/boot\/initrd\.img-/);
  });

  it('runs e2fsprogs mkfs.ext4, cryptsetup and util-linux mount with its own loader and libraries', async () => {
    const inInitrd = (program: string, ...args: string[]) =>
      run(
        [path.join(tree, 'usr/lib64/ld-linux-x86-64.so.2'), '--inhibit-cache', '--library-path', path.join(tree, 'usr/lib/x86_64-linux-gnu'), path.join(tree, program), ...args],
        { reject: false },
      );
    expect((await inInitrd('usr/sbin/mkfs.ext4', '-V')).stderr).toMatch(/mke2fs 1\.4\d/);
    expect((await inInitrd('usr/sbin/mke2fs', '-V')).stderr).toMatch(/mke2fs 1\.4\d/);
    expect((await inInitrd('usr/sbin/cryptsetup', '--version')).stdout).toMatch(/cryptsetup 2\./);
    expect((await inInitrd('usr/bin/mount', '--version')).stdout).toMatch(/util-linux/);
    expect((await inInitrd('usr/sbin/wipefs', '--version')).stdout).toMatch(/util-linux/);
    expect((await inInitrd('usr/sbin/blkid', '--version')).stdout).toMatch(/util-linux|libblkid/);
  });

  it('holds the kernel modules for overlayfs, dm-crypt and the ciphers', () => {
    const modules = listFiles(path.join(tree, 'usr/lib/modules', suite.system.kernelVersion)).map((file) => path.basename(file).replace(/\.ko.*$/, ''));
    for (const module of ['overlay', 'dm-mod', 'dm-crypt', 'xts', 'ecb', 'essiv', 'sha512_generic', 'algif_skcipher', 'af_alg', 'aesni-intel']) {
      expect(modules).toContain(module);
    }
  });

  it('records the cryptsetup version and points /usr/share/nodejs at the root, so the boot starts no process for either', async () => {
    const recorded = readFileSync(path.join(tree, 'conf/oroot-cryptsetup-version'), 'utf8');
    const copied = await run([path.join(tree, 'usr/lib64/ld-linux-x86-64.so.2'), '--inhibit-cache', '--library-path', path.join(tree, 'usr/lib/x86_64-linux-gnu'), path.join(tree, 'usr/sbin/cryptsetup'), '--version']);
    expect(recorded).toMatch(/^cryptsetup 2\.\d+\.\d+/);
    expect(recorded).toBe(copied.stdout);
    expect(readlinkSync(path.join(tree, 'usr/share/nodejs'))).toBe('/root/usr/share/nodejs');
  });

  it('orders the boot script before udev, and carries no node', () => {
    const order = readFileSync(path.join(tree, 'scripts/init-bottom/ORDER'), 'utf8');
    const scripts = [...order.matchAll(/\/scripts\/init-bottom\/(\S+)/g)].map((match) => match[1]);
    expect(scripts).toContain('oroot');
    expect(scripts.indexOf('oroot')).toBeLessThan(scripts.indexOf('udev'));
    const names = listFiles(tree).map((file) => path.basename(file));
    expect(names.filter((name) => name === 'node' || name.startsWith('libnode'))).toEqual([]);
  });

  it('fails update-initramfs with a clear message when a piece is missing', async () => {
    const result = await tryHookWithout(suite.system, '/usr/sbin/mke2fs');
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/E: oroot: mke2fs is not installed \(install the e2fsprogs package\)/);
  });
});

describe('a boot under QEMU', () => {
  it('reaches the check script through our initramfs when no overlay is configured', async () => {
    const marker = newMarker();
    const boot = await bootGuest({ system: suite.system, cmdline: [...expectationWords({ marker, expect: 'none' })] });
    expect(boot.report.verdict, explain(boot)).toBe('PASS');
    expect(factLines(boot.report, 'kmsg').join('\n')).toMatch(/oroot: stage finished with status \d+/);
  });

  it('can fail: the guest reports FAIL and the host finds a marker written in clear text', async () => {
    const marker = newMarker();
    const disk = await ext4Disk(path.join(suite.dir, 'plain.img'), { label: 'plain', mib: 64 });
    const boot = await bootGuest({
      system: suite.system,
      disks: [{ file: disk }],
      cmdline: ['overlayroot=disabled', ...expectationWords({ marker, expect: 'overlay', upper: '/dev/mapper/secure', plaintext: '/dev/vdb' })],
    });
    expect(boot.report.verdict, explain(boot)).toBe('FAIL');
    expect(boot.report.reasons).toMatch(/\/ is '.*', not the overlay 'overlayroot'/);
    expect(await containsBytes(disk, marker)).toBe(true);
    const problems = await plaintextProblems(disk, marker);
    expect(problems).toEqual([expect.stringMatching(/readable in clear text/), expect.stringMatching(/does not start with a LUKS2 header/)]);
    // And the same check passes on a disk that never saw the marker but is not LUKS either.
    const blank = await blankDisk(path.join(suite.dir, 'blank.img'), 16);
    expect(await plaintextProblems(blank, marker)).toEqual([expect.stringMatching(/LUKS2/)]);
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.join(entry.parentPath, entry.name));
}
