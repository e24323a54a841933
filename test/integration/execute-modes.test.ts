// tmpfs and device modes executed FOR REAL, as root, each run in a private mount namespace so the
// host's mounts are never touched: a fake root (an ext4 image with a real /etc/fstab on a loop
// device) is mounted read-only at <initramfs>/root, host.root is that temporary "initramfs", and
// the stage moves, layers and mounts exactly as it would at boot. Then: after an injected failure
// at every step, nothing may be left mounted and the root must be as it was.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, requireTool } from '../helpers/machine.js';
import { bootFixture, type BootFixture, type DriveOutput } from '../helpers/boot-fixture.js';

let fx: BootFixture;
beforeAll(async () => {
  requireRoot();
  for (const tool of ['unshare', 'mount', 'losetup', 'mkfs.ext4', 'debugfs']) requireTool(tool);
  fx = await bootFixture();
});
afterAll(() => fx?.cleanup());

const mountAt = (out: DriveOutput, machinePath: string) => out.after.filter((m) => m.target === `${fx.hostRoot}${machinePath}`).at(-1);

// The boot stage mounts with mount(2) through its addon; without the addon, with mount(8). Both
// must leave the same machine behind.
const MOUNT_PATHS = [
  ['mount(8)', false],
  ['mount(2), as at boot', true],
] as const;

describe.each(MOUNT_PATHS)('tmpfs mode, mounting with %s', (_path, syscalls) => {
  let out: DriveOutput;
  beforeAll(() => {
    out = fx.drive({ value: 'tmpfs', cmdline: 'root=LABEL=oroot-itest-root ro quiet', syscalls });
  });

  it('mounts the overlay named overlayroot on $rootmnt over the moved root, upper on tmpfs-root', () => {
    expect(out.result.ok).toBe(true);
    const overlay = mountAt(out, '/root')!;
    expect(overlay).toMatchObject({ source: 'overlayroot', fstype: 'overlay' });
    expect(overlay.superOptions).toContain(
      `lowerdir=${fx.hostRoot}/media/root-ro,upperdir=${fx.hostRoot}/media/root-rw/overlay,workdir=${fx.hostRoot}/media/root-rw/overlay-workdir/_`,
    );
    expect(mountAt(out, '/root/media/root-rw')).toMatchObject({ source: 'tmpfs-root', fstype: 'tmpfs' });
    expect(mountAt(out, '/root/media/root-rw')!.superOptions).toContain('mode=755');
    expect(mountAt(out, '/root/media/root-ro')).toMatchObject({ source: fx.rootLoop, fstype: 'ext4' });
    // Both layers were moved into the new root: nothing is left in the initramfs.
    expect(mountAt(out, '/media/root-ro')).toBeUndefined();
    expect(mountAt(out, '/media/root-rw')).toBeUndefined();
  });

  it('leaves the lower read-only, and with `ro` on the command line the overlay too (until the real init remounts it)', () => {
    expect(mountAt(out, '/root/media/root-ro')!.options.split(',')).toContain('ro');
    expect(out.probes.lowerWrite).toBe('EROFS');
    expect(mountAt(out, '/root')!.options.split(',')).toContain('ro');
    expect(out.probes.rootWrite).toBe('EROFS');
    expect(out.probes.marker).toBe('the lower layer\n');
  });

  it('creates the upper and work directories, and rewrites fstab into the upper layer only', () => {
    expect(out.probes.upper).toEqual(['overlay', 'overlay-mounts', 'overlay-workdir']);
    // The directories the rewritten fstab's overlay lines need (the real init mounts those); /usr's
    // overlay is the stage's own job, done only when the initramfs mounted /usr (see below).
    expect(out.probes.upperMounts).toEqual(['srv-My%20Data']);
    expect(out.probes.upperEtc).toEqual(['fstab']);
    expect(out.probes.fstab).toMatch(/^overlayroot \/ overlay defaults 0 0$/m);
    expect(out.probes.fstab).toContain('/media/root-ro/srv/My\\040Data /srv/My\\040Data overlay lowerdir=/media/root-ro/srv/My\\040Data,');
    expect(fx.rootFile('/etc/fstab')).toBe(fx.fstab); // the lower's fstab is untouched
  });

  it('logs every step as it runs it', () => {
    expect(out.log.filter((line) => /^info: step \d+\/\d+: /.test(line))).toHaveLength(out.result.plan!.length);
  });

  it(syscalls ? 'made every mount with mount(2), no process' : 'ran mount(8) for every mount', () => {
    const mountSteps = out.result.plan!.filter((step) => step.command.startsWith('mount ')).length;
    expect(mountSteps).toBeGreaterThanOrEqual(5);
    expect(out.log.filter((line) => line.includes('by mount(2), no process'))).toHaveLength(syscalls ? mountSteps : 0);
  });
});

describe.each(MOUNT_PATHS)('tmpfs mode on a root mounted read-write (`rw`), mounting with %s', (_path, syscalls) => {
  it('remounts the lower read-only before layering, and the overlay stays writable', () => {
    const out = fx.drive({ value: 'tmpfs:size=16m', cmdline: 'root=LABEL=oroot-itest-root rw', rootOptions: 'rw', syscalls });
    expect(out.result.ok).toBe(true);
    expect(out.probes.lowerWrite).toBe('EROFS');
    expect(out.probes.rootWrite).toBe('ok');
    expect(mountAt(out, '/root/media/root-rw')!.superOptions).toContain('size=16384k');
  });
});

describe('device mode', () => {
  it('puts the upper layer on the device, where a file written through the overlay lands', () => {
    fx.resetUpper();
    const out = fx.drive({ value: `device:dev=${fx.upperLoop}`, cmdline: 'root=LABEL=oroot-itest-root', persist: true });
    expect(out.result.ok).toBe(true);
    expect(mountAt(out, '/root/media/root-rw')).toMatchObject({ source: fx.upperLoop, fstype: 'ext4' });
    expect(mountAt(out, '/root')!.superOptions).toContain(`upperdir=${fx.hostRoot}/media/root-rw/overlay`);
    expect(out.probes.lowerWrite).toBe('EROFS');
    expect(out.probes.rootWrite).toBe('ok');
    // After the namespace is gone: the file is on the upper device, not on the root image.
    expect(fx.upperFile('/overlay/oroot-itest-persisted')).toBe('persisted through the overlay\n');
    expect(fx.rootFile('/oroot-itest-persisted')).toBeNull();
  });

  it('finds the device by LABEL= with blkid (there is no udev here)', () => {
    fx.resetUpper();
    const out = fx.drive({ value: 'device:dev=LABEL=oroot-itest-up', cmdline: 'root=LABEL=oroot-itest-root' });
    expect(out.result.ok).toBe(true);
    expect(mountAt(out, '/root/media/root-rw')!.source).toBe(fx.upperLoop);
  });
});

describe.each(MOUNT_PATHS)('a separate /usr mounted under $rootmnt, mounting with %s', (_path, syscalls) => {
  it('gets an overlay of its own, so its files are visible and writable in the new root', () => {
    const out = fx.drive({ value: 'tmpfs', cmdline: 'root=LABEL=oroot-itest-root', withUsr: true, syscalls });
    expect(out.result.ok).toBe(true);
    const usr = mountAt(out, '/root/usr')!;
    expect(usr).toMatchObject({ fstype: 'overlay', source: '/media/root-ro/usr' });
    expect(usr.superOptions).toContain(`lowerdir=${fx.hostRoot}/media/root-ro/usr,upperdir=${fx.hostRoot}/media/root-rw/overlay-mounts/usr`);
    expect(out.probes.usrMarker).toBe('the /usr filesystem\n');
    expect(out.probes.usrWrite).toBe('ok');
    expect(out.probes.lowerUsrWrite).toBe('EROFS');
    expect(mountAt(out, '/root/media/root-ro/usr')).toMatchObject({ source: fx.usrLoop, fstype: 'ext4' });
    expect(out.probes.upperMounts).toEqual(['srv-My%20Data', 'usr']);
    // What is mounted is what the rewritten fstab says about /usr.
    expect(out.probes.fstab).toContain('upperdir=/media/root-rw/overlay-mounts/usr,workdir=/media/root-rw/overlay-workdir/usr');
  });
});

// Undo: inject a failure before and after every step; nothing may be left behind.
const cases: [string, Parameters<BootFixture['drive']>[0]][] = [
  ['tmpfs, root mounted rw, `ro` remount at the end', { value: 'tmpfs', cmdline: 'rw ro', rootOptions: 'rw' }],
  ['device', { value: 'device:dev=UPPER', cmdline: 'root=LABEL=oroot-itest-root' }],
  ['tmpfs with a separate /usr', { value: 'tmpfs', cmdline: 'root=LABEL=oroot-itest-root', withUsr: true }],
  ['tmpfs, root mounted rw, `ro` remount at the end, with mount(2)', { value: 'tmpfs', cmdline: 'rw ro', rootOptions: 'rw', syscalls: true }],
  ['tmpfs with a separate /usr, with mount(2)', { value: 'tmpfs', cmdline: 'root=LABEL=oroot-itest-root', withUsr: true, syscalls: true }],
];

describe.each(cases)('undo after a failure at every step: %s', (_name, options) => {
  it('before and after each step: no mount left behind, $rootmnt and the initramfs as they were', () => {
    const steps = fx.drive({ ...options, dryRun: true }).result.plan!.length;
    expect(steps).toBeGreaterThanOrEqual(9);
    for (let index = 0; index < steps; index++) {
      for (const phase of ['before', 'after'] as const) {
        const at = `failure at step ${index} (${phase})`;
        fx.resetUpper();
        const out = fx.drive({ ...options, inject: { index, phase } });
        expect(out.result.ok, at).toBe(false);
        expect(out.result.undoFailed, at).toBe(false);
        expect(out.result.error, at).toContain(`injected ${at}`);
        expect(out.after, at).toEqual(out.before);
        expect(out.probes.marker, at).toBe('the lower layer\n');
        expect(out.probes.initramfs, at).toEqual(fx.initramfsListing);
        expect(out.probes.rootWrite, at).toBe(options.rootOptions === 'rw' ? 'ok' : 'EROFS');
        if (options.value?.startsWith('device')) expect(fx.upperListing(), at).toEqual(['lost+found']);
      }
    }
  });
});

describe('the boot stage with its failure policy, for real', () => {
  it('a missing device falls back to a tmpfs overlay, loudly, exit 0', () => {
    const out = fx.drive({ stage: true, cmdline: 'root=LABEL=oroot-itest-root overlayroot=device:dev=/dev/vdz quiet' });
    expect(out.result.exitStatus).toBe(0);
    expect(out.result.state!.outcome).toBe('fallback');
    expect(mountAt(out, '/root')).toMatchObject({ source: 'overlayroot', fstype: 'overlay' });
    expect(mountAt(out, '/root/media/root-rw')).toMatchObject({ source: 'tmpfs-root' });
    expect(out.probes.kmsg).toMatch(/^<2>oroot: could not set up the device overlay: \/dev\/vdz did not appear within 1 s/m);
    expect(out.probes.kmsg).toContain('<2>oroot: a tmpfs overlay is in place instead (failure policy tmpfs)');
    expect(fx.stateFile()).toMatchObject({ outcome: 'fallback', applied: { mode: 'tmpfs', upper: 'tmpfs-root' }, fallback: { policy: 'tmpfs' } });
  });

  it('failure=halt leaves $rootmnt exactly as it found it and exits 3', () => {
    const out = fx.drive({ stage: true, cmdline: 'root=LABEL=oroot-itest-root overlayroot=device:dev=/dev/vdz,failure=halt' });
    expect(out.result.exitStatus).toBe(3);
    expect(out.after).toEqual(out.before);
    expect(out.probes.kmsg).toContain('<2>oroot: failure policy halt: stopping the boot');
  });

  it('an invalid configuration boots the tmpfs overlay with defaults, naming the mistake', () => {
    const out = fx.drive({ stage: true, cmdline: 'root=LABEL=oroot-itest-root overlayroot=tmpfs:recurce=0' });
    expect(out.result.exitStatus).toBe(0);
    expect(out.result.state).toMatchObject({ outcome: 'fallback', requested: { mode: 'invalid' } });
    expect(out.probes.kmsg).toMatch(/<2>oroot: could not set up the configured overlay: invalid configuration: kernel cmdline: .*recurce.*did you mean `recurse`/);
    expect(mountAt(out, '/root')!.source).toBe('overlayroot');
  });

  it('disabled: touches nothing', () => {
    const out = fx.drive({ stage: true, cmdline: 'root=LABEL=oroot-itest-root overlayroot=disabled' });
    expect(out.result.exitStatus).toBe(0);
    expect(out.after).toEqual(out.before);
    expect(fx.stateFile()).toMatchObject({ outcome: 'disabled' });
  });
});

describe('the fixture itself', () => {
  it('can tell a leftover mount from none (the undo check is not vacuous)', () => {
    const out = fx.drive({ value: 'tmpfs', cmdline: 'root=LABEL=oroot-itest-root' });
    expect(out.after).not.toEqual(out.before);
    expect(execFileSync('findmnt', ['-rn', '-o', 'TARGET']).toString()).not.toContain(fx.hostRoot);
  });
});
