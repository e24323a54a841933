// Facts about cryptsetup and the kernel, gathered once and returned as data: which binary, which
// version, what it can do, and the memory/kernel facts profileFor() decides flags from.
import { access, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { Host } from '../system/host.js';
import { DEFAULT_PATH } from '../system/spawn.js';
import { CryptsetupError, explainedError } from './errors.js';
import type { ProfileFacts } from './profiles.js';
import { parseVersion, versionAtLeast } from './version.js';
import { deviceMapperRegistered, pathExists } from './device.js';

export interface CryptsetupProbe {
  /** "2.6.1" */
  readonly version: string;
  /** The first line of `cryptsetup --version`, e.g. "cryptsetup 2.6.1 flags: UDEV BLKID KEYRING KERNEL_CAPI". */
  readonly versionText: string;
  /** Absolute machine path of the binary that every operation runs. */
  readonly path: string;
  /** Build flags printed by 2.5+ (UDEV, BLKID, KEYRING, KERNEL_CAPI …); empty for older releases. */
  readonly buildFlags: readonly string[];
  /** luksFormat's default type for this release. */
  readonly defaultType: 'luks1' | 'luks2';
  readonly supportsLuks2: boolean;
  /** --perf-no_read_workqueue / --perf-no_write_workqueue (the kernel must also be ≥ 5.9). */
  readonly supportsNoWorkqueue: boolean;
  /** Kernel side: device-mapper registered (/proc/misc) and dm_crypt loaded (/sys/module). */
  readonly kernel: { readonly deviceMapper: boolean; readonly dmCryptLoaded: boolean };
}

const located = new WeakMap<Host, Promise<string>>();

/** The cryptsetup binary's absolute path, looked up once per host in the standard PATH. */
export function cryptsetupPath(host: Host): Promise<string> {
  let found = located.get(host);
  if (!found) {
    found = locate(host, 'cryptsetup');
    located.set(host, found);
    found.catch(() => located.delete(host)); // installing it later must work without a restart
  }
  return found;
}

async function locate(host: Host, program: string): Promise<string> {
  for (const dir of DEFAULT_PATH.split(':')) {
    const candidate = `${dir}/${program}`;
    try {
      await access(host.path(candidate), constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw explainedError('not-installed', { operation: `find ${program} in ${DEFAULT_PATH}` });
}

export async function probeCryptsetup(host: Host): Promise<CryptsetupProbe> {
  const path = await cryptsetupPath(host);
  const result = await host.run([path, '--version'], { timeoutMs: 10_000 });
  const versionText = result.stdout.trim().split('\n')[0] ?? '';
  const parts = parseVersion(versionText);
  if (!parts) throw new CryptsetupError('unknown', `cannot read the version of ${path} from "${versionText}"`, undefined, { operation: '--version' }, result);
  const version = parts.join('.');
  const flagsText = /flags:\s*(.*)$/.exec(versionText)?.[1] ?? '';
  return {
    version,
    versionText,
    path,
    buildFlags: flagsText.split(/\s+/).filter(Boolean),
    defaultType: versionAtLeast(version, '2.1.0') ? 'luks2' : 'luks1',
    supportsLuks2: versionAtLeast(version, '2.0.0'),
    supportsNoWorkqueue: versionAtLeast(version, '2.3.4'),
    kernel: {
      deviceMapper: await deviceMapperRegistered(host),
      dmCryptLoaded: await pathExists(host, '/sys/module/dm_crypt'),
    },
  };
}

/** The facts profileFor() needs, read from /proc and the probe. */
export async function readProfileFacts(host: Host, probe?: CryptsetupProbe): Promise<ProfileFacts> {
  const meminfo = await readOptional(host, '/proc/meminfo');
  const memTotalKiB = /^MemTotal:\s+(\d+)\s+kB/m.exec(meminfo)?.[1];
  if (!memTotalKiB) throw new CryptsetupError('unknown', 'cannot read MemTotal from /proc/meminfo', 'Is /proc mounted?', { operation: 'probe' });
  return {
    memoryBytes: Number(memTotalKiB) * 1024,
    kernelRelease: (await readOptional(host, '/proc/sys/kernel/osrelease')).trim(),
    cryptsetupVersion: (probe ?? (await probeCryptsetup(host))).version,
  };
}

async function readOptional(host: Host, machinePath: string): Promise<string> {
  try {
    return await readFile(host.path(machinePath), 'utf8');
  } catch {
    return '';
  }
}
