import { describe, expect, it } from 'vitest';
import { planBoot, planFallback } from '../../src/overlayroot/plan/planner.js';
import type { BootPlan, PlanStep } from '../../src/overlayroot/plan/types.js';
import { enabledConfig, machineFacts, rootMount } from '../helpers/facts.js';

const config = enabledConfig;

const kinds = (plan: BootPlan) => plan.steps.map((step) => step.kind);
const commands = (plan: BootPlan) => plan.steps.map((step) => step.command.join(' '));
const stepsOf = <K extends PlanStep['kind']>(plan: BootPlan, kind: K) => plan.steps.filter((s): s is Extract<PlanStep, { kind: K }> => s.kind === kind);

describe('tmpfs mode', () => {
  const plan = planBoot(config('tmpfs'), machineFacts());

  it('lays the root out exactly as overlayroot does', () => {
    expect(plan).toMatchObject({ version: 1, purpose: 'requested', mode: 'tmpfs', driver: 'overlay', rootmnt: '/root' });
    expect(plan.layout).toEqual({ rootRo: '/media/root-ro', rootRw: '/media/root-rw', upper: '/media/root-rw/overlay', work: '/media/root-rw/overlay-workdir/_' });
    expect(commands(plan)).toEqual([
      'mkdir -p -m 0755 /media/root-ro /media/root-rw',
      'mount -t tmpfs -o mode=0755 tmpfs-root /media/root-rw',
      'mkdir -p -m 0755 /media/root-rw/overlay /media/root-rw/overlay-workdir/_',
      'mount --move /root /media/root-ro',
      'rewrite-fstab /media/root-ro/etc/fstab > /media/root-rw/overlay/etc/fstab',
      'mkdir -p /media/root-rw/overlay/media/root-ro /media/root-rw/overlay/media/root-rw',
      'mount -t overlay -o lowerdir=/media/root-ro,upperdir=/media/root-rw/overlay,workdir=/media/root-rw/overlay-workdir/_ overlayroot /root',
      'mount --move /media/root-ro /root/media/root-ro',
      'mount --move /media/root-rw /root/media/root-rw',
    ]);
  });

  it('says how every step with a side effect is undone', () => {
    const undo = Object.fromEntries(plan.steps.map((s) => [s.command.join(' '), s.undo?.command?.join(' ') ?? s.undo?.description ?? null]));
    expect(undo['mount -t tmpfs -o mode=0755 tmpfs-root /media/root-rw']).toBe('umount /media/root-rw');
    expect(undo['mount --move /root /media/root-ro']).toBe('mount --move /media/root-ro /root');
    expect(undo['mkdir -p -m 0755 /media/root-ro /media/root-rw']).toBe('remove the directories this step created');
    expect(plan.steps.every((s) => s.undo !== null)).toBe(true);
    expect(plan.steps.every((s) => s.description.length > 10)).toBe(true);
  });

  it('passes size= to the tmpfs and dir= to the layout', () => {
    const sized = planBoot(config('tmpfs:size=25%,dir=/upper'), machineFacts());
    expect(stepsOf(sized, 'mount-tmpfs')[0]!.options).toEqual(['mode=0755', 'size=25%']);
    expect(sized.layout).toMatchObject({ upper: '/media/root-rw/upper', work: '/media/root-rw/upper-workdir/_' });
    expect(sized.notes.join('\n')).not.toContain('half of RAM');
    expect(plan.notes.join('\n')).toContain('half of RAM (1024 MiB here)');
  });

  it('gives the fstab rewriter the common options and the root to fabricate from', () => {
    const fstab = stepsOf(planBoot(config('tmpfs:swap=1,recurse=0'), machineFacts({ cmdline: 'root=/dev/vda1 ro quiet' })), 'write-fstab')[0]!;
    expect(fstab.options).toEqual({ dir: '/overlay', swap: true, recurse: false, driver: 'overlay', needsWorkdir: true, kernelReadOnly: true });
    expect(fstab.fabricateRoot).toEqual({ spec: '/dev/vda1', fstype: 'ext4', options: 'ro,relatime' });
  });
});

describe('the kernel command line and the lower layer', () => {
  it('`ro` remounts the overlay read-only as the very last step', () => {
    const plan = planBoot(config('tmpfs'), machineFacts({ cmdline: 'root=/dev/vda1 ro quiet' }));
    expect(plan.steps.at(-1)).toMatchObject({ kind: 'remount', target: '/root', readOnly: true, command: ['mount', '-o', 'remount,ro', '/root'] });
  });

  it('the last of ro/rw wins, as in initramfs-tools', () => {
    expect(kinds(planBoot(config('tmpfs'), machineFacts({ cmdline: 'ro rw' })))).not.toContain('remount');
    expect(planBoot(config('tmpfs'), machineFacts({ cmdline: 'rw ro' })).steps.at(-1)!.kind).toBe('remount');
  });

  it('a root mounted read-write (`rw`) is remounted read-only once moved: the lower always ends ro', () => {
    const plan = planBoot(config('tmpfs'), machineFacts({ cmdline: 'rw', root: rootMount({ readOnly: false, options: ['rw'] }) }));
    const move = kinds(plan).indexOf('move-mount');
    expect(plan.steps[move + 1]).toMatchObject({ kind: 'remount', target: '/media/root-ro', readOnly: true });
    expect(plan.steps[move + 1]!.undo?.command).toEqual(['mount', '-o', 'remount,rw', '/media/root-ro']);
  });

  it('refuses when nothing is mounted at $rootmnt', () => {
    expect(() => planBoot(config('tmpfs'), machineFacts({ root: undefined }))).toThrow(/nothing is mounted at \/root/);
  });
});

describe('overlay driver', () => {
  it('leaves a driver that is only a module to the kernel, which loads it at the overlay mount', () => {
    const plan = planBoot(config('tmpfs'), machineFacts({ overlayDrivers: { overlay: 'loadable', overlayfs: 'missing' } }));
    expect(plan.driver).toBe('overlay');
    expect(plan.steps.map((s) => s.command[0])).not.toContain('modprobe');
    expect(plan.steps.find((s) => s.kind === 'mount-overlay')?.command.slice(0, 3)).toEqual(['mount', '-t', 'overlay']);
  });

  it('auto prefers a loaded driver over a loadable one, overlay over overlayfs', () => {
    expect(planBoot(config('tmpfs'), machineFacts({ overlayDrivers: { overlay: 'loadable', overlayfs: 'loaded' } })).driver).toBe('overlayfs');
    expect(planBoot(config('tmpfs'), machineFacts({ overlayDrivers: { overlay: 'loadable', overlayfs: 'loadable' } })).driver).toBe('overlay');
  });

  it('refuses before any step when no driver exists, naming what it looked for', () => {
    const facts = machineFacts({ overlayDrivers: { overlay: 'missing', overlayfs: 'missing' } });
    expect(() => planBoot(config('tmpfs'), facts)).toThrow(/no overlay filesystem driver: overlay and overlayfs are neither/);
    expect(() => planBoot(config('tmpfs:driver=overlayfs'), machineFacts())).toThrow(/overlayfs is neither/);
  });

  it('leaves out the workdir on kernels before 3.18, as overlayroot does', () => {
    const plan = planBoot(config('tmpfs'), machineFacts({ kernelRelease: '3.13.0-170-generic' }));
    expect(plan.layout.work).toBeUndefined();
    expect(stepsOf(plan, 'mount-overlay')[0]!.command).toContain('lowerdir=/media/root-ro,upperdir=/media/root-rw/overlay');
    expect(stepsOf(plan, 'write-fstab')[0]!.options.needsWorkdir).toBe(false);
  });
});

describe('device mode', () => {
  it('waits for the device (at least the grace period), then mounts it as the backing store', () => {
    const plan = planBoot(config('/dev/vdb,timeout=30'), machineFacts());
    expect(plan.mode).toBe('device');
    expect(kinds(plan).slice(0, 4)).toEqual(['mkdir', 'wait-device', 'mount', 'mkdir']);
    expect(stepsOf(plan, 'wait-device')[0]).toMatchObject({ timeoutMs: 30_000, command: ['test', '-b', '/dev/vdb'] });
    expect(stepsOf(plan, 'mount')[0]!.command).toEqual(['mount', '/dev/vdb', '/media/root-rw']);
    expect(stepsOf(planBoot(config('device:dev=/dev/vdb'), machineFacts()), 'wait-device')[0]!.timeoutMs).toBe(1000);
  });

  it('finds LABEL= devices with blkid, without udev', () => {
    const wait = stepsOf(planBoot(config('device:dev=LABEL=data'), machineFacts()), 'wait-device')[0]!;
    expect(wait.command).toEqual(['blkid', '-c', '/dev/null', '-l', '-o', 'device', '-t', 'LABEL=data']);
    expect(wait.description).toContain('LABEL=data (/dev/disk/by-label/data)');
  });

  it('refuses the root device (by path or by label) as the backing store', () => {
    expect(() => planBoot(config('device:dev=/dev/vda1'), machineFacts())).toThrow(/mounted at \/root: it cannot also hold the upper layer/);
    expect(() => planBoot(config('crypt:dev=LABEL=rootfs'), machineFacts())).toThrow(/LABEL=rootfs is \/dev\/vda1, the filesystem mounted at \/root/);
  });
});

describe('crypt mode', () => {
  it('generated key: seed, derive, attach (format as ephemeral), mkfs, mount /dev/mapper/secure', () => {
    const plan = planBoot(config('crypt:dev=/dev/vdb'), machineFacts());
    expect(kinds(plan).slice(1, 8)).toEqual(['wait-device', 'seed-urandom', 'derive-key', 'crypt-attach', 'mkfs', 'mount', 'mkdir']);
    expect(stepsOf(plan, 'crypt-attach')[0]).toMatchObject({ keyOrigin: 'generated', profile: 'ephemeral', mkfs: 1, mapname: 'secure', formatLabel: 'oroot-ephemeral' });
    expect(stepsOf(plan, 'mkfs')[0]!.command).toEqual(['mkfs.ext4', '-t', 'ext4', '-q', '-F', '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1,nodiscard', '/dev/mapper/secure']);
    expect(stepsOf(plan, 'mount')[0]!.command).toEqual(['mount', '/dev/mapper/secure', '/media/root-rw']);
    expect(kinds(plan)).not.toContain('keep-key');
  });

  it('given key: loaded (never derived), labelled persistent, mapname and fstype honoured', () => {
    const plan = planBoot(config('crypt:dev=/dev/vdb,keyfile=/etc/oroot/upper.key,mapname=upper,fstype=ext2'), machineFacts());
    expect(kinds(plan)).toContain('load-key');
    expect(kinds(plan)).not.toContain('derive-key');
    expect(stepsOf(plan, 'load-key')[0]!.key).toEqual({ kind: 'keyfile', source: 'kernel cmdline', path: '/etc/oroot/upper.key', base: 'root', format: 'raw' });
    expect(stepsOf(plan, 'crypt-attach')[0]).toMatchObject({ keyOrigin: 'given', profile: 'persistent', formatLabel: 'oroot-persistent', mapname: 'upper' });
    expect(stepsOf(plan, 'mkfs')[0]!.command).toContain('ext2');
    expect(stepsOf(plan, 'mount')[0]!.command).toEqual(['mount', '/dev/mapper/upper', '/media/root-rw']);
  });

  it('keep_key=1 keeps the generated key in overlayroot\'s file, after the overlay is up', () => {
    const plan = planBoot(config('crypt:dev=/dev/vdb,keep_key=1'), machineFacts());
    const keep = kinds(plan).indexOf('keep-key');
    expect(keep).toBeGreaterThan(kinds(plan).indexOf('mount-overlay'));
    expect(plan.steps[keep]).toMatchObject({ path: '/run/initramfs/overlayroot.passwd' });
  });

  it('never puts a secret in the plan: a clear-text pass= shows only where it came from', () => {
    const plan = planBoot(config('crypt:dev=/dev/vdb,pass=hunter2-correct-horse'), machineFacts());
    const json = JSON.stringify(plan);
    expect(json).not.toContain('hunter2');
    expect(stepsOf(plan, 'load-key')[0]!.key).toEqual({ kind: 'passphrase', source: 'kernel cmdline' });
    expect(stepsOf(plan, 'load-key')[0]!.description).toContain('pass=<redacted>');
  });
});

describe('filesystems mounted below $rootmnt', () => {
  const usr = rootMount({ mountPoint: '/root/usr', source: '/dev/vda2', majorMinor: '254:2' });
  const dev = { mountPoint: '/root/dev', source: 'udev', fstype: 'devtmpfs', readOnly: false, options: ['rw'], majorMinor: '0:5' };

  it('gives a separate /usr an overlay of its own, with upper/work outside the root\'s upper tree', () => {
    const plan = planBoot(config('tmpfs'), machineFacts({ submounts: [usr] }));
    const overlays = stepsOf(plan, 'mount-overlay');
    expect(overlays.map((o) => [o.target, o.lower, o.upper, o.work])).toEqual([
      ['/root', '/media/root-ro', '/media/root-rw/overlay', '/media/root-rw/overlay-workdir/_'],
      ['/root/usr', '/media/root-ro/usr', '/media/root-rw/overlay-mounts/usr', '/media/root-rw/overlay-workdir/usr'],
    ]);
    expect(stepsOf(plan, 'mkdir')[1]!.paths).toContain('/media/root-rw/overlay-mounts/usr');
    // The /usr overlay comes after the root's and before the layers move into the new root.
    expect(kinds(plan).lastIndexOf('mount-overlay')).toBeLessThan(kinds(plan).lastIndexOf('move-mount') - 1);
  });

  it('remounts a read-write submount read-only under /media/root-ro', () => {
    const plan = planBoot(config('tmpfs'), machineFacts({ submounts: [{ ...usr, readOnly: false }] }));
    expect(stepsOf(plan, 'remount').map((r) => r.target)).toEqual(['/media/root-ro/usr']);
  });

  it('moves virtual filesystems into the new root unchanged', () => {
    const plan = planBoot(config('tmpfs'), machineFacts({ submounts: [dev] }));
    expect(commands(plan)).toContain('mount --move /media/root-ro/dev /root/dev');
  });

  it('refuses a filesystem overlayfs cannot layer, before any step', () => {
    const efi = rootMount({ mountPoint: '/root/boot/efi', source: '/dev/vda15', fstype: 'vfat', majorMinor: '254:15' });
    expect(() => planBoot(config('tmpfs'), machineFacts({ submounts: [efi] }))).toThrow(/\/dev\/vda15 \(vfat\) is mounted at \/boot\/efi .* overlayfs cannot use vfat/);
  });
});

describe('the fallback plan', () => {
  it('is the tmpfs plan with the configured common options', () => {
    const plan = planFallback('crypt', config('crypt:dev=/dev/vdb,dir=/x,size=1g').common, machineFacts());
    expect(plan).toMatchObject({ purpose: 'fallback', mode: 'tmpfs' });
    expect(plan.layout.upper).toBe('/media/root-rw/x');
    expect(stepsOf(plan, 'mount-tmpfs')[0]!.options).toContain('size=1g');
    expect(kinds(plan)).not.toContain('wait-device');
  });

  it('turns swap off when crypt was asked for, and says so; keeps it for device mode', () => {
    const fromCrypt = planFallback('crypt', config('crypt:dev=/dev/vdb,swap=1').common, machineFacts());
    expect(stepsOf(fromCrypt, 'write-fstab')[0]!.options.swap).toBe(false);
    expect(fromCrypt.notes[0]).toMatch(/swap=1 is turned off/);
    expect(stepsOf(planFallback('device', config('device:dev=/dev/vdb,swap=1').common, machineFacts()), 'write-fstab')[0]!.options.swap).toBe(true);
  });

  it('uses overlayroot\'s defaults when the configuration could not be read', () => {
    const plan = planFallback('invalid', undefined, machineFacts());
    expect(plan.layout.upper).toBe('/media/root-rw/overlay');
    expect(stepsOf(plan, 'write-fstab')[0]!.options).toMatchObject({ swap: false, recurse: true });
  });
});
