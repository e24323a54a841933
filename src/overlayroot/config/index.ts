// The configuration reader's public API. The boot stage and `oroot plan` call readConfig and
// loadKey; `oroot cfgdisk` validates with parseOverlayrootValue before it builds anything.
export { parseOverlayrootValue, BUILT_IN } from './build.js';
export { readConfig, DEFAULT_INITRAMFS_CONF, type ReadConfigOptions } from './read.js';
export { loadKey, type LoadKeyOptions } from './keys.js';
export { forgetConfigDiskFiles } from './cfgdisk-store.js';
export { CFGDISK_MOUNT_DIR, CFGDISK_CONFIG_FILE, DEFAULT_CFGDISK_WAIT_MS } from './cfgdisk.js';
export { parseDeviceSpec, encodeUdevName } from './devspec.js';
export { tokenizeCmdline } from './cmdline.js';
export { parseShellVars } from './shellvars.js';
export { CMDLINE_KEYS, type KeyPathContext } from './keyref.js';
export { OPTIONS, IGNORED_OPTIONS, DEFAULTS, optionsFor } from './options.js';
export { redactSecrets, REDACTED } from './redact.js';
export type * from './types.js';
