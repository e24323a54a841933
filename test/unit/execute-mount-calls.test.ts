// Mount steps made with mount(2) (the boot stage's addon) instead of mount(8): the same operation
// the plan prints, each undone by its own call, a device of unknown filesystem type still left to
// mount(8), and a failure that reads like the command it stands for.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executePlan } from '../../src/overlayroot/execute/executor.js';
import { mountCall, undoMountCall } from '../../src/overlayroot/plan/mount-calls.js';
import { planBoot } from '../../src/overlayroot/plan/planner.js';
import { MS_MOVE, MS_NOSUID, MS_RDONLY, MS_RELATIME, MS_REMOUNT, type MountSyscalls } from '../../src/system/mount-syscall.js';
import { createHost } from '../../src/system/host.js';
import { enabledConfig, machineFacts, rootMount } from '../helpers/facts.js';
import { tempDir } from '../helpers/machine.js';
import { fakeBlockDevice, fakeServices, scriptedHost } from '../helpers/scripted-host.js';

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir('oroot-mount2-'));
  mkdirSync(path.join(root, 'media/root-ro/etc'), { recursive: true });
  writeFileSync(path.join(root, 'media/root-ro/etc/fstab'), 'LABEL=rootfs / ext4 defaults 0 1\n');
  // The mount table the remount reads its current flags from: the overlay at /root, nosuid.
  mkdirSync(path.join(root, 'proc/self'), { recursive: true });
  writeFileSync(path.join(root, 'proc/self/mountinfo'), `40 1 0:40 / ${root}/root rw,nosuid,relatime - overlay overlayroot rw,lowerdir=x\n`);
  fakeBlockDevice(root, '/dev/vdb');
});
afterEach(() => cleanup());

type Call = [string, ...unknown[]];

/** A mount(2) stand-in that records every call and can refuse one, as the kernel would. */
function recordingMounts(refuse?: { target: string; code: string; message: string }): MountSyscalls & { calls: Call[] } {
  const calls: Call[] = [];
  const check = (target: string) => {
    if (refuse && target === path.join(root, refuse.target)) throw Object.assign(new Error(refuse.message), { code: refuse.code, syscall: 'mount' });
  };
  return {
    calls,
    mount(source, target, fstype, flags, data) {
      calls.push(['mount', source, path.relative(root, target), fstype, flags, data?.replaceAll(root, '') ?? null]);
      check(target);
    },
    umount(target) {
      calls.push(['umount', path.relative(root, target)]);
    },
  };
}

function hostWith(mounts: MountSyscalls) {
  const scripted = scriptedHost(root);
  return { ...scripted, host: { ...scripted.host, mounts } };
}

const facts = machineFacts({ cmdline: 'root=/dev/vda1 ro' });

describe('tmpfs mode with mount(2)', () => {
  it('makes every mount with a call and starts no process', async () => {
    const mounts = recordingMounts();
    const { host, commands } = hostWith(mounts);
    const result = await executePlan(host, planBoot(enabledConfig('tmpfs:size=64m'), facts), { services: fakeServices() });
    expect(result.ok).toBe(true);
    expect(commands()).toEqual([]);
    expect(mounts.calls).toEqual([
      ['mount', 'tmpfs-root', 'media/root-rw', 'tmpfs', 0, 'mode=0755,size=64m'],
      ['mount', path.join(root, 'root'), 'media/root-ro', null, MS_MOVE, null],
      ['mount', 'overlayroot', 'root', 'overlay', 0, 'lowerdir=/media/root-ro,upperdir=/media/root-rw/overlay,workdir=/media/root-rw/overlay-workdir/_'],
      ['mount', path.join(root, 'media/root-ro'), 'root/media/root-ro', null, MS_MOVE, null],
      ['mount', path.join(root, 'media/root-rw'), 'root/media/root-rw', null, MS_MOVE, null],
      // `ro` on the command line; the overlay's nosuid and relatime are kept.
      ['mount', null, 'root', null, MS_REMOUNT | MS_NOSUID | MS_RELATIME | MS_RDONLY, null],
    ]);
  });

  it('after a refused overlay mount, undoes with calls in reverse and says what failed like mount(8) would', async () => {
    const mounts = recordingMounts({ target: 'root', code: 'EINVAL', message: 'mount(2): Invalid argument' });
    const { host } = hostWith(mounts);
    const result = await executePlan(host, planBoot(enabledConfig('tmpfs'), facts), { services: fakeServices() });
    expect(result.ok).toBe(false);
    expect(result.error!.message).toBe(
      `mount -t overlay -o lowerdir=${root}/media/root-ro,upperdir=${root}/media/root-rw/overlay,workdir=${root}/media/root-rw/overlay-workdir/_ overlayroot ${root}/root: mount(2): Invalid argument`,
    );
    expect(result.error!.hint).toMatch(/kernel log says why \(dmesg\)/);
    expect(mounts.calls.slice(-2)).toEqual([
      ['mount', path.join(root, 'media/root-ro'), 'root', null, MS_MOVE, null],
      ['umount', 'media/root-rw'],
    ]);
  });
});

describe('backing devices', () => {
  it('crypt: the volume this boot formatted is mounted with its filesystem type, no mount process', async () => {
    const mounts = recordingMounts();
    const { host, commands } = hostWith(mounts);
    const config = enabledConfig('crypt:dev=/dev/vdb');
    const key = config.mode === 'crypt' ? config.crypt.key : undefined;
    const result = await executePlan(host, planBoot(config, facts), { services: fakeServices(), key });
    expect(result.ok).toBe(true);
    expect(commands().filter((c) => c.startsWith('mount'))).toEqual([]);
    expect(mounts.calls[0]).toEqual(['mount', path.join(root, 'dev/mapper/secure'), 'media/root-rw', 'ext4', 0, null]);
  });

  it('device: a disk whose filesystem nobody looked at is left to mount(8), which detects it', async () => {
    const mounts = recordingMounts();
    const { host, commands } = hostWith(mounts);
    const result = await executePlan(host, planBoot(enabledConfig('device:dev=/dev/vdb'), facts), { services: fakeServices() });
    expect(result.ok).toBe(true);
    expect(commands().filter((c) => c.startsWith('mount'))).toEqual([`mount ${root}/dev/vdb ${root}/media/root-rw`]);
    expect(mounts.calls.some(([, , target]) => target === 'media/root-rw')).toBe(false);
    expect(mounts.calls.length).toBeGreaterThanOrEqual(4);
  });
});

describe('mountCall and undoMountCall', () => {
  const plan = planBoot(enabledConfig('tmpfs'), machineFacts({ cmdline: 'root=/dev/vda1 rw', root: rootMount({ readOnly: false }) }));
  const context = { map: (p: string) => p, filesystemOf: () => undefined };
  const step = (kind: string) => plan.steps.find((s) => s.kind === kind)!;

  it('undo reverses a move and unmounts what a mount made', () => {
    expect(undoMountCall(step('move-mount'), context)).toEqual({ call: 'mount', source: '/media/root-ro', target: '/root', fstype: null, flags: MS_MOVE, data: null });
    expect(undoMountCall(step('mount-tmpfs'), context)).toEqual({ call: 'umount', target: '/media/root-rw' });
    expect(undoMountCall(step('remount'), context)).toEqual({ call: 'remount', target: '/media/root-ro', readOnly: false });
  });

  it('is undefined for steps that are not mounts', () => {
    expect(mountCall(step('mkdir'), context)).toBeUndefined();
    expect(mountCall(step('write-fstab'), context)).toBeUndefined();
  });

  it('createHost has no mount(2) unless it is given one', () => {
    expect(createHost({ root }).mounts).toBeUndefined();
    expect(createHost({ root, mounts: recordingMounts() }).mounts).toBeDefined();
  });
});
