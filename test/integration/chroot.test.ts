// `oroot chroot` for real, as root, in a private mount namespace (test/helpers/chroot-driver.mjs):
// an ext4 lower on a loop device mounted read-only, a second ext4 filesystem read-only below it, an
// overlay `overlayroot` on top. Each session's exit code must come back, its changes must land in
// the lower layer, and afterwards the lower must be read-only again with nothing bound in it —
// after a normal exit, a killed command, SIGTERM to oroot, a command that ignores SIGTERM, a refused
// second session, and a stale session killed before it could clean up. Last, without --overlay:
// oroot runs chrooted in a root laid out as the boot stage leaves it, with / being the overlay.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers/cli.js';
import { requireRoot, requireTool, tempDir } from '../helpers/machine.js';
import { LAY_OUT_OVERLAY_ROOT, MAKE_INITRAMFS } from '../helpers/overlay-root.js';

interface Observed {
  mountsInLower: string[];
  lowerOptions: string[];
  lowerWrite: string;
  homeWrite: string;
  lockLeft: boolean;
}
interface Session {
  code: number | null;
  stdout: string;
  stderr: string;
  after: Observed;
}

const restored: Observed = { mountsInLower: ['home'], lowerOptions: ['ro'], lowerWrite: 'EROFS', homeWrite: 'EROFS', lockLeft: false };
let out: Record<string, Session> & { concurrent: { first: Session; second: Session; firstDone: boolean; after: Observed }; staleBefore: Observed; exit7: Session & { inLower: boolean; inUpper: boolean } };
let work: ReturnType<typeof tempDir>;

beforeAll(() => {
  requireRoot();
  for (const tool of ['unshare', 'mount', 'losetup', 'mkfs.ext4', 'busybox', 'chroot']) requireTool(tool);
  work = tempDir('oroot-chroot-');
  const driver = path.resolve(import.meta.dirname, '../helpers/chroot-driver.mjs');
  const stdout = execFileSync('unshare', ['-m', '--propagation', 'private', process.execPath, driver, work.dir, cliPath], { encoding: 'utf8', timeout: 180_000 });
  out = JSON.parse(stdout) as typeof out;
});
afterAll(() => work?.cleanup());

describe('oroot chroot', () => {
  it('returns the command’s exit code, with /dev, /proc and the lower’s own files usable inside', () => {
    expect(out.exit7.code).toBe(7);
    expect(out.exit7.stdout).toBe('lower\n');
  });

  it('writes to the lower layer and the filesystem mounted below it, not to the upper layer', () => {
    expect(out.exit7.inLower).toBe(true);
    expect(out.exit7.inUpper).toBe(false);
  });

  it('leaves the lower read-only with nothing bound in it after a normal exit', () => {
    expect(out.exit7.after).toEqual(restored);
    expect(out.exit7.stderr).toMatch(/is read-only again/);
  });

  it('reports 128+9 and restores everything when the command is killed with SIGKILL', () => {
    expect(out.killedChild!.code).toBe(137);
    expect(out.killedChild!.after).toEqual(restored);
  });

  it('passes SIGTERM sent to oroot on to the command, then restores everything', () => {
    expect(out.terminated!.code).toBe(143);
    expect(out.terminated!.stderr).toMatch(/SIGTERM: ending the command/);
    expect(out.terminated!.after).toEqual(restored);
  });

  it('kills a command that ignores SIGTERM after --kill-after, then restores everything', () => {
    expect(out.stubborn!.code).toBe(137);
    expect(out.stubborn!.after).toEqual(restored);
  });

  it('refuses a second concurrent session without disturbing the first', () => {
    const { first, second, firstDone, after } = out.concurrent;
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/another oroot chroot session \(pid \d+\) is working on .*; refusing a second one/);
    expect(first.code).toBe(0);
    expect(firstDone).toBe(true);
    expect(after).toEqual(restored);
  });

  it('says loudly and exactly what could not be restored, and exits 1 although the command succeeded', () => {
    const busy = out.busy!;
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/^oroot: error: \S+\/lower is still mounted READ-WRITE \(mount: \S+: mount point is busy\)\.$/m);
    expect(busy.stderr).toMatch(/^Stop what keeps files open for writing there \(fuser -vm \S+\/lower\), then run: mount -o remount,ro \S+\/lower$/m);
    expect((busy as Session & { during: Observed }).during).toMatchObject({ mountsInLower: ['home'], lowerOptions: ['rw'], lockLeft: false });
    expect(busy.after).toEqual(restored);
  });

  it('undoes what a session killed with SIGKILL left (a bind, a writable lower) before starting', () => {
    expect(out.staleBefore).toMatchObject({ mountsInLower: ['home', 'proc'], lowerOptions: ['rw'], lockLeft: true });
    expect(out.stale!.stderr).toMatch(/session 999999999 ended without cleaning up/);
    expect(out.stale!.code).toBe(0);
    expect(out.stale!.after).toEqual(restored);
  });
});

describe('oroot chroot on the overlay at /', () => {
  let result: Record<string, string>;
  let root: ReturnType<typeof tempDir>;

  beforeAll(() => {
    root = tempDir('oroot-chroot-root-');
    const tree = path.join(root.dir, 'tree');
    for (const dir of ['bin', 'dev', 'proc', 'sys', 'run', 'tmp', 'usr', 'media/root-ro', 'media/root-rw']) mkdirSync(path.join(tree, dir), { recursive: true });
    copyFileSync(requireTool('busybox'), path.join(tree, 'bin/busybox'));
    for (const applet of ['sh', 'touch']) symlinkSync('busybox', path.join(tree, 'bin', applet));
    // This machine's /usr is bound into the new root for node and util-linux; its /lib is in /usr.
    symlinkSync('usr/lib', path.join(tree, 'lib'));
    symlinkSync('usr/lib64', path.join(tree, 'lib64'));
    execFileSync('truncate', ['-s', '16M', path.join(root.dir, 'root.img')]);
    execFileSync('mkfs.ext4', ['-q', '-d', tree, path.join(root.dir, 'root.img')]);
    mkdirSync(path.join(root.dir, 'ns'));
    const script = `
      set -eu
      d="$1"; image="$2"; node="$3"; cli="$4"; repo="$5"
      ${MAKE_INITRAMFS}
      dev=$(losetup --find --show "$image"); mount -o ro "$dev" "$d/root"; losetup -d "$dev"
      ${LAY_OUT_OVERLAY_ROOT}
      r="$d/root"
      mount --bind /dev/pts "$r/dev/pts"
      for dir in /usr "$repo"; do mkdir -p "$r$dir"; mount --bind "$dir" "$r$dir"; mount -o remount,bind,ro "$r$dir"; done
      code=0; chroot "$r" "$node" "$cli" chroot -- sh -c 'touch /changed; exit 7' 2>"$d/stderr" || code=$?
      echo "code=$code"
      echo "stderr=$(tr '\n' '|' <"$d/stderr")"
      echo "in-lower=$(test -e "$r/media/root-ro/changed" && echo yes || echo no)"
      echo "in-upper=$(test -e "$r/media/root-rw/overlay/changed" && echo yes || echo no)"
      echo "lower=$(findmnt -n -o OPTIONS --mountpoint "$r/media/root-ro" | cut -d, -f1)"
      echo "mounts-in-lower=$(findmnt -n -o TARGET -R "$r/media/root-ro" | tail -n +2 | wc -l)"`;
    const stdout = execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', path.join(root.dir, 'ns'), path.join(root.dir, 'root.img'), process.execPath, cliPath, repoRoot], { encoding: 'utf8' });
    result = Object.fromEntries(stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  });
  afterAll(() => root?.cleanup());

  it('finds the overlay named overlayroot and its lower /media/root-ro by itself', () => {
    expect(result.stderr).toContain('change-rooting into /media/root-ro');
  });

  it('returns the exit code, writes to the lower only, and restores it read-only with no bind left', () => {
    expect(result).toMatchObject({ code: '7', 'in-lower': 'yes', 'in-upper': 'no', lower: 'ro', 'mounts-in-lower': '0' });
  });
});
