// readConfig: every source, merged by precedence, the config disk searched when enabled, and
// the winning overlayroot= value validated into one OverlayConfig. Throws InputError naming the
// source on any invalid input; never runs anything from a config file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import type { Host } from '../../system/host.js';
import { parseOverlayrootValue } from './build.js';
import { DEFAULT_CFGDISK_WAIT_MS, withConfigDisk, CFGDISK_CONFIG_FILE, type MountedConfigDisk } from './cfgdisk.js';
import { forgetConfigDiskFiles, rememberConfigDiskFile } from './cfgdisk-store.js';
import { parseDeviceSpec } from './devspec.js';
import { BUILT_IN_LAYER, cmdlineLayer, fileLayer, mergeLayers, readFileLayer, type Layer, type Setting } from './sources.js';
import type { ConfigDiskOutcome, DeviceSpec, OverlayConfig } from './types.js';

export const DEFAULT_INITRAMFS_CONF = '/conf/conf.d/overlayroot';

export interface ReadConfigOptions {
  /** Where the real root is mounted: '/root' in the initramfs, '/' (or --root) on a running system. */
  readonly rootmnt: string;
  /** The kernel command line; default: read host.path('/proc/cmdline'). */
  readonly cmdline?: string;
  /** The initramfs conf.d file; default /conf/conf.d/overlayroot. */
  readonly initramfsConf?: string;
  /** 'skip' for offline planning: never search for the config disk. Default 'auto'. */
  readonly cfgdisk?: 'auto' | 'skip';
  /** How long to wait for the config disk to appear. Default 2000 ms. */
  readonly cfgdiskWaitMs?: number;
}

export async function readConfig(host: Host, options: ReadConfigOptions): Promise<OverlayConfig> {
  const initramfsConf = options.initramfsConf ?? DEFAULT_INITRAMFS_CONF;
  const rootFile = (name: string) => path.posix.join(options.rootmnt, 'etc', name);
  const fileLayers = [
    BUILT_IN_LAYER,
    await readFileLayer(host, initramfsConf, { origin: 'initramfs', dir: path.posix.dirname(initramfsConf) }),
    await readFileLayer(host, rootFile('overlayroot.conf'), { origin: 'root', dir: '/etc' }),
    await readFileLayer(host, rootFile('overlayroot.local.conf'), { origin: 'root', dir: '/etc' }),
  ].filter((layer): layer is Layer => layer !== undefined);
  const top = cmdlineLayer(options.cmdline ?? (await readCmdline(host)));

  // As in overlayroot, the config disk's own overlayroot_cfgdisk cannot redirect the search.
  const request = mergeLayers([...fileLayers, top]).overlayroot_cfgdisk;
  const warnings: string[] = [];
  const spec = configDiskSpec(request, warnings);
  if (!spec) return finish([...fileLayers, top], warnings);
  const outcome = { spec: spec.spec, source: request.source };
  if (options.cfgdisk === 'skip') return finish([...fileLayers, top], warnings, { ...outcome, status: 'skipped' });

  forgetConfigDiskFiles();
  const search = await withConfigDisk(
    host,
    spec,
    async (disk) => {
      const layer = disk.configText === undefined ? undefined : configDiskLayer(disk.configText, `${spec.spec}/${CFGDISK_CONFIG_FILE}`);
      if (!layer) warnings.push(`config disk ${spec.spec} (${disk.device}) has no ${CFGDISK_CONFIG_FILE}; ignoring it`);
      const status = layer ? 'used' : 'no-config';
      const config = finish([...fileLayers, ...(layer ? [layer] : []), top], warnings, { ...outcome, status, device: disk.device });
      await preloadConfigDiskKeys(config, disk);
      return config;
    },
    { source: request.source, waitMs: options.cfgdiskWaitMs ?? DEFAULT_CFGDISK_WAIT_MS },
  );
  if (search.status === 'used') return search.result;
  warnings.push(`config disk ${spec.spec} ${search.status === 'not-found' ? 'not found' : 'could not be mounted'}: ${search.detail}; going on without it`);
  return finish([...fileLayers, top], warnings, { ...outcome, status: search.status, detail: search.detail, ...(search.device ? { device: search.device } : {}) });
}

function finish(layers: readonly Layer[], extraWarnings: readonly string[], cfgdisk?: ConfigDiskOutcome): OverlayConfig {
  const merged = mergeLayers(layers);
  const { overlayroot } = merged;
  const config = parseOverlayrootValue(overlayroot.value, overlayroot.source, overlayroot.keys);
  return {
    ...config,
    warnings: [...layers.flatMap((layer) => layer.warnings), ...extraWarnings, ...config.warnings],
    origins: { ...config.origins, overlayroot_cfgdisk: merged.overlayroot_cfgdisk.source },
    ...(cfgdisk ? { cfgdisk } : {}),
  };
}

/** overlayroot_cfgdisk → the disk to search, or undefined when the search is off. */
function configDiskSpec(setting: Setting, warnings: string[]): DeviceSpec | undefined {
  const { value, source } = setting;
  if (value === '' || value === 'disabled') return undefined;
  if (/^(enabled?|yes|true|on|1)$/i.test(value)) {
    // overlayroot would look for /dev/enabled, which never exists.
    warnings.push(`${source}: overlayroot_cfgdisk=${value} names no disk; the config disk search stays off (write overlayroot_cfgdisk=LABEL=OROOTCFG)`);
    return undefined;
  }
  return parseDeviceSpec(value, source, 'overlayroot_cfgdisk');
}

function configDiskLayer(text: string, name: string): Layer {
  const layer = fileLayer(text, name, { origin: 'cfgdisk', dir: '/' });
  const { overlayroot_cfgdisk: ignored, ...settings } = layer.settings;
  if (!ignored) return layer;
  return { ...layer, settings, warnings: [...layer.warnings, `${ignored.source}: overlayroot_cfgdisk on the config disk itself has no effect`] };
}

/** Key files on the config disk must be read now: the disk is unmounted when readConfig returns. */
async function preloadConfigDiskKeys(config: OverlayConfig, disk: MountedConfigDisk): Promise<void> {
  if (config.mode !== 'crypt') return;
  const { key } = config.crypt;
  const files = key.kind === 'keyfile' ? [key] : key.kind === 'encrypted' ? [key.masterKey] : [];
  for (const file of files) {
    if (file.base !== 'cfgdisk') continue;
    const { bytes, mode } = await disk.readFile(file.path, `${file.path} on the config disk (${key.source})`);
    rememberConfigDiskFile(file.path, bytes, mode);
  }
}

async function readCmdline(host: Host): Promise<string> {
  try {
    return readFileSync(host.path('/proc/cmdline'), 'utf8');
  } catch (error) {
    throw new InputError('/proc/cmdline', `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
