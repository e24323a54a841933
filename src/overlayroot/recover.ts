// Recovery of an encrypted upper layer from outside the instance: open the volume (a device, or a
// disk image: cryptsetup attaches a read-only loop device for it and detaches it on close) READ-ONLY
// with its key, mount its filesystem read-only for inspection, and later unmount and close it.
// The key is tested first (no device-mapper needed), so a wrong key gets its own clear message.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, OrootError, UsageError } from '../errors.js';
import type { Host } from '../system/host.js';
import type { Secret } from '../system/secret.js';
import { closeVolume, openVolume, profileFor, readLuksHeader, readProfileFacts, unlockedSlot } from '../cryptsetup-wrap/index.js';
import { filesystemOn } from './execute/device-content.js';
import { readMachineMounts } from './facts-mounts.js';
import { keyForProfile } from './volume-key.js';

export const DEFAULT_RECOVER_NAME = 'oroot-recover';

export interface RecoverOpenOptions {
  /** Block device or image file holding the volume. */
  readonly source: string;
  /** Existing empty directory to mount the filesystem on, read-only. */
  readonly mountpoint: string;
  readonly key: Secret;
  /** Mapping name (/dev/mapper/NAME); default oroot-recover. */
  readonly name?: string;
  /** The volume was made with profile=plain (no header): open it as plain dm-crypt. */
  readonly plain?: boolean;
}

export interface RecoverOpened {
  readonly source: string;
  readonly mapper: string;
  readonly mountpoint: string;
  readonly type: 'LUKS1' | 'LUKS2' | 'plain';
  /** The key slot the key unlocked (LUKS). */
  readonly slot: number | undefined;
  readonly fstype: string;
  /** Top-level directories that look like upper layers (dir= of the overlayroot value). */
  readonly upperDirs: readonly string[];
}

export async function openForInspection(host: Host, options: RecoverOpenOptions): Promise<RecoverOpened> {
  const source = path.posix.resolve(options.source);
  const mountpoint = path.posix.resolve(options.mountpoint);
  const name = options.name ?? DEFAULT_RECOVER_NAME;
  const isImage = await checkSource(host, source);
  await checkMountpoint(host, mountpoint);
  if (await exists(host, `/dev/mapper/${name}`)) {
    throw new UsageError(`/dev/mapper/${name} exists already`, { hint: `Close it first (oroot recover --close DIR), or choose another --name.` });
  }

  const header = await readLuksHeader(host, source);
  if (header.luks && options.plain) throw new UsageError(`${source} has a LUKS${header.version} header: leave out --plain`);
  if (!header.luks && !options.plain) {
    throw new InputError(source, 'holds no LUKS header', {
      hint: 'A volume made with profile=plain has none: pass --plain with the key that boot kept. Otherwise check you named the right device or image.',
    });
  }
  let slot: number | undefined;
  if (header.luks) {
    slot = await unlockedSlot(host, source, options.key);
    if (slot === undefined) {
      throw new InputError(`key for ${source}`, 'does not open this volume: no key slot accepts it', {
        hint: 'Use the key the instance used: its keyfile=/pass_enc= key for a persistent volume, or /run/initramfs/overlayroot.passwd (keep_key=1) for an ephemeral one.',
      });
    }
  }

  if (isImage) await ensureLoopDevices(host, source);
  const profile = profileFor(header.luks ? 'persistent' : 'plain', await readProfileFacts(host));
  const key = keyForProfile(options.key, profile);
  let mapper: string;
  try {
    mapper = await openVolume(host, { device: source, name, key, profile, readOnly: true });
  } finally {
    if (key !== options.key) key.wipe();
  }
  try {
    const fstype = (await filesystemOn(host, mapper)) ?? 'unknown';
    // A read-only device cannot replay an ext3/4 journal: noload mounts it as it is.
    const mountOptions = ['ro', ...(/^ext[34]$/.test(fstype) ? ['noload'] : [])].join(',');
    await host.run(['mount', '-o', mountOptions, host.path(mapper), host.path(mountpoint)], { timeoutMs: 60_000 });
    return {
      source,
      mapper,
      mountpoint,
      type: header.luks ? (`LUKS${header.version}` as const) : 'plain',
      slot,
      fstype,
      upperDirs: await upperDirs(host, mountpoint),
    };
  } catch (error) {
    await closeVolume(host, name).catch(() => undefined); // never leave a mapping behind
    throw error;
  }
}

export interface RecoverClosed {
  readonly mountpoint: string;
  readonly mapper: string;
}

/** Unmount what openForInspection mounted at `mountpoint` and close its mapping. */
export async function closeInspection(host: Host, mountpointArg: string): Promise<RecoverClosed> {
  const mountpoint = path.posix.resolve(mountpointArg);
  const entry = (await readMachineMounts(host)).filter((m) => m.mountPoint === mountpoint).at(-1);
  if (!entry) throw new UsageError(`nothing is mounted at ${mountpoint}`, { hint: 'Give the directory `oroot recover SOURCE DIR` mounted.' });
  const name = await mapperName(host, entry.source);
  if (!name) throw new UsageError(`${mountpoint} holds ${entry.source}, not an opened volume; not touching it`);
  await host.run(['umount', host.path(mountpoint)], { timeoutMs: 60_000 });
  await closeVolume(host, name);
  return { mountpoint, mapper: `/dev/mapper/${name}` };
}

/** Whether the source is an image file (true) or a block device (false); anything else is refused. */
async function checkSource(host: Host, source: string): Promise<boolean> {
  const info = await stat(host.path(source)).catch(() => undefined);
  if (!info) throw new UsageError(`${source} does not exist`);
  if (!info.isBlockDevice() && !info.isFile()) throw new UsageError(`${source} is neither a block device nor an image file`);
  return info.isFile();
}

/**
 * cryptsetup opens an image through a loop device it asks /dev/loop-control for. Where the loop
 * driver is a module and nothing created that node to load it on first use (a rescue shell, an
 * initramfs, anything without systemd's static device nodes), cryptsetup only says "Attaching
 * loopback device failed": load the module first, and say plainly when there is no loop support.
 */
async function ensureLoopDevices(host: Host, source: string): Promise<void> {
  const LOOP_CONTROL = '/dev/loop-control';
  if (await exists(host, LOOP_CONTROL)) return;
  const modprobe = await host.run(['modprobe', '-q', 'loop'], { reject: false });
  if (await exists(host, LOOP_CONTROL)) return;
  const why = modprobe.failed ? `modprobe loop failed${modprobe.stderr.trim() ? `: ${modprobe.stderr.trim().split('\n')[0]}` : ''}` : 'modprobe loop did not create it';
  throw new OrootError(`${source} is an image file, opened through a loop device, but ${LOOP_CONTROL} is missing (${why})`, undefined, {
    hint: 'Install the kernel modules of the running kernel (the loop driver), or attach the image yourself (losetup --find --show --read-only IMAGE) and recover that loop device.',
  });
}

async function checkMountpoint(host: Host, mountpoint: string): Promise<void> {
  const info = await stat(host.path(mountpoint)).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`${mountpoint} is not a directory`, { hint: `Create it first: mkdir -p ${mountpoint}` });
  if ((await readMachineMounts(host)).some((m) => m.mountPoint === mountpoint)) throw new UsageError(`something is already mounted at ${mountpoint}`);
}

/** /dev/mapper/NAME or /dev/dm-N (as mountinfo may show it) → NAME. */
async function mapperName(host: Host, source: string): Promise<string | undefined> {
  const mapper = /^\/dev\/mapper\/([^/]+)$/.exec(source);
  if (mapper) return mapper[1];
  const dm = /^\/dev\/(dm-\d+)$/.exec(source);
  if (!dm) return undefined;
  return (await readFile(host.path(`/sys/block/${dm[1]}/dm/name`), 'utf8').catch(() => '')).trim() || undefined;
}

async function upperDirs(host: Host, mountpoint: string): Promise<string[]> {
  const entries = await readdir(host.path(mountpoint), { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && !e.name.endsWith('-workdir') && !e.name.endsWith('-mounts') && e.name !== 'lost+found')
    .map((e) => path.posix.join(mountpoint, e.name));
}


async function exists(host: Host, machinePath: string): Promise<boolean> {
  return (await stat(host.path(machinePath)).catch(() => undefined)) !== undefined;
}
