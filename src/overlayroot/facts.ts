// The probe: what the planner needs to know about the machine, gathered once, through `host`, as
// data. Nothing here changes the machine.
import { readFileSync } from 'node:fs';
import type { Host } from '../system/host.js';
import type { DeviceSpec, OverlayConfig, OverlayMode } from './config/types.js';
import {
  type BlockDeviceFact,
  type CmdlineFacts,
  type MemoryFacts,
  parseBlkidExport,
  parseCmdline,
  parseCryptsetupVersion,
  parseFilesystems,
  parseMeminfo,
} from './facts-parse.js';
import { readMounts, type MountFact } from './facts-mounts.js';

export type { BlockDeviceFact, CmdlineFacts, MemoryFacts, MountFact };

/** loaded: in /proc/filesystems. loadable: modprobe can load it (modules.dep/modules.builtin). */
export type DriverAvailability = 'loaded' | 'loadable' | 'missing';

export interface MachineFacts {
  /** Where the initramfs mounted the real root (initramfs-tools' $rootmnt, usually /root). */
  readonly rootmnt: string;
  readonly kernelRelease: string;
  readonly filesystems: readonly string[];
  readonly overlayDrivers: { readonly overlay: DriverAvailability; readonly overlayfs: DriverAvailability };
  readonly memory: MemoryFacts;
  readonly cmdline: CmdlineFacts;
  /** The mount at $rootmnt; undefined when nothing is mounted there. */
  readonly root: MountFact | undefined;
  /** Mounts below $rootmnt (a separate /usr…), parents before children. */
  readonly submounts: readonly MountFact[];
  /** Probed only for crypt mode. */
  readonly cryptsetupVersion: string | undefined;
  /** Probed only when the backing device is named by a tag (LABEL=, UUID=…): every block device
   *  blkid recognises, so the planner can tell whether the tag names the root's own device. */
  readonly blockDevices: readonly BlockDeviceFact[];
}

export interface ProbeOptions {
  rootmnt: string;
  /** The mode about to be planned: cryptsetup's version is probed only for crypt. */
  mode: OverlayMode | 'disabled';
  /** The configured backing device: blkid runs only when it is named by a tag. */
  device?: DeviceSpec;
  /** Use this kernel command line instead of /proc/cmdline (`oroot plan --cmdline`). */
  cmdline?: string;
}

export async function probeFacts(host: Host, options: ProbeOptions): Promise<MachineFacts> {
  const needsDevices = options.device !== undefined && options.device.kind !== 'path';
  const [kernelRelease, filesystemsText, meminfo, cmdlineText, mounts, cryptsetupVersion, blockDevices] = await Promise.all([
    readText(host, '/proc/sys/kernel/osrelease').then((text) => text.trim()),
    readText(host, '/proc/filesystems'),
    readText(host, '/proc/meminfo'),
    options.cmdline ?? readText(host, '/proc/cmdline'),
    readMounts(host, options.rootmnt),
    options.mode === 'crypt' ? probeCryptsetupVersion(host) : undefined,
    needsDevices ? probeBlockDevices(host) : [],
  ]);
  const filesystems = parseFilesystems(filesystemsText);
  const modules = await readModuleIndex(host, kernelRelease);
  const overlayDrivers = {
    overlay: driverAvailability('overlay', filesystems, modules),
    overlayfs: driverAvailability('overlayfs', filesystems, modules),
  };
  return {
    rootmnt: options.rootmnt,
    kernelRelease,
    filesystems,
    overlayDrivers,
    memory: parseMeminfo(meminfo),
    cmdline: parseCmdline(cmdlineText),
    root: mounts.root,
    submounts: mounts.submounts,
    cryptsetupVersion,
    blockDevices,
  };
}

/** The backing device a configuration names (device and crypt modes). */
export function backingDevice(config: OverlayConfig): DeviceSpec | undefined {
  if (config.mode === 'device') return config.device.device;
  if (config.mode === 'crypt') return config.crypt.device;
  return undefined;
}

/** Synchronous: small files of /proc and the initramfs, where an asynchronous read costs more than
 *  the read itself (a round trip through libuv's thread pool, slow under emulation at boot). */
async function readText(host: Host, machinePath: string): Promise<string> {
  try {
    return readFileSync(host.path(machinePath), 'utf8');
  } catch (error) {
    host.log.debug(`cannot read ${machinePath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return '';
  }
}

/** modules.dep and modules.builtin are what modprobe itself consults; reading them costs no spawn. */
async function readModuleIndex(host: Host, kernelRelease: string): Promise<string> {
  if (!kernelRelease) return '';
  const dir = `/lib/modules/${kernelRelease}`;
  const [dep, builtin] = await Promise.all([readText(host, `${dir}/modules.dep`), readText(host, `${dir}/modules.builtin`)]);
  return `${dep}\n${builtin}`;
}

function driverAvailability(name: string, filesystems: readonly string[], moduleIndex: string): DriverAvailability {
  if (filesystems.includes(name)) return 'loaded';
  const modulePath = new RegExp(`(^|/)${name}\\.ko(\\.[a-z]+)?(:|$)`, 'm');
  return modulePath.test(moduleIndex) ? 'loadable' : 'missing';
}

/** Written by the initramfs hook: `cryptsetup --version` of the very binary it copied in. */
export const CRYPTSETUP_VERSION_RECORD = '/conf/oroot-cryptsetup-version';

/** The build-time record in an initramfs (one process less at boot); `cryptsetup --version` elsewhere. */
async function probeCryptsetupVersion(host: Host): Promise<string | undefined> {
  const recorded = parseCryptsetupVersion(await readText(host, CRYPTSETUP_VERSION_RECORD));
  if (recorded) return recorded;
  const result = await host.run(['cryptsetup', '--version'], { reject: false });
  return result.failed ? undefined : parseCryptsetupVersion(result.stdout);
}

/** Low-level probe of every device (`-c /dev/null`: no cache, so a stale entry cannot mislead). */
async function probeBlockDevices(host: Host): Promise<BlockDeviceFact[]> {
  const result = await host.run(['blkid', '-c', '/dev/null', '-o', 'export'], { reject: false });
  return parseBlkidExport(result.stdout);
}
