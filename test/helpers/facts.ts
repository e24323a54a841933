// Configurations and machine facts for planner and executor tests: a Debian cloud instance at init-bottom (root on
// /dev/vda1 mounted read-only at /root, overlay built in, a blank /dev/vdb), with overrides.
import { parseOverlayrootValue } from '../../src/overlayroot/config/build.js';
import type { MachineFacts, MountFact } from '../../src/overlayroot/facts.js';
import { parseCmdline } from '../../src/overlayroot/facts-parse.js';
import type { EnabledConfig } from '../../src/overlayroot/plan/planner.js';

/** An enabled configuration from an overlayroot= value, as the config reader validates it. */
export function enabledConfig(value: string): EnabledConfig {
  const parsed = parseOverlayrootValue(value, 'kernel cmdline');
  if (parsed.mode === 'disabled') throw new Error(`${value} is disabled`);
  return parsed;
}

export function rootMount(overrides: Partial<MountFact> = {}): MountFact {
  return { mountPoint: '/root', source: '/dev/vda1', fstype: 'ext4', readOnly: true, options: ['ro', 'relatime'], majorMinor: '254:1', ...overrides };
}

export function machineFacts(overrides: Omit<Partial<MachineFacts>, 'cmdline'> & { cmdline?: MachineFacts['cmdline'] | string } = {}): MachineFacts {
  const { cmdline, ...rest } = overrides;
  return {
    rootmnt: '/root',
    kernelRelease: '6.1.0-28-cloud-amd64',
    filesystems: ['sysfs', 'tmpfs', 'proc', 'ext4', 'overlay'],
    overlayDrivers: { overlay: 'loaded', overlayfs: 'missing' },
    memory: { totalKiB: 2048 * 1024, availableKiB: 1800 * 1024 },
    root: rootMount(),
    submounts: [],
    cryptsetupVersion: '2.6.1',
    blockDevices: [
      { device: '/dev/vda1', type: 'ext4', label: 'rootfs', uuid: '1111-2222' },
      { device: '/dev/vdb', type: 'ext4', label: 'data', uuid: 'aaaa-bbbb' },
    ],
    ...rest,
    cmdline: typeof cmdline === 'string' ? parseCmdline(cmdline) : (cmdline ?? parseCmdline('root=/dev/vda1 console=ttyS0')),
  };
}
