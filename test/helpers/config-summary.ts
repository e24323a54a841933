// A flat view of an OverlayConfig for table-driven tests: one field per setting, keys shown as a
// short string ("keyfile root:/etc/k raw"), so a corpus case lists only what it cares about.
import type { KeyRef, OverlayConfig } from '../../src/overlayroot/config/types.js';

export function summarize(config: OverlayConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { mode: config.mode, value: config.value, source: config.source, warnings: config.warnings };
  if (config.mode === 'disabled') return out;
  const { common } = config;
  Object.assign(out, {
    dir: common.dir,
    swap: common.swap,
    recurse: common.recurse,
    debug: common.debug,
    driver: common.driver,
    failure: common.failure,
    size: common.tmpfsSize ?? null,
  });
  const device = config.mode === 'device' ? config.device : config.mode === 'crypt' ? config.crypt : undefined;
  if (device) {
    Object.assign(out, { dev: device.device.spec, devKind: device.device.kind, devPath: device.device.path, timeout: device.timeoutSec });
  }
  if (config.mode === 'crypt') {
    const { crypt } = config;
    Object.assign(out, { mapname: crypt.mapname, fstype: crypt.fstype, mkfs: crypt.mkfs, profile: crypt.profile, keepKey: crypt.keepKey, key: describeKey(crypt.key) });
    if (crypt.key.kind === 'passphrase') out.passphrase = crypt.key.secret.reveal().toString('utf8');
  }
  return out;
}

export function describeKey(key: KeyRef): string {
  switch (key.kind) {
    case 'generated':
    case 'passphrase':
      return key.kind;
    case 'keyfile':
      return `keyfile ${key.base}:${key.path} ${key.format}`;
    case 'encrypted':
      return `encrypted masterkey ${key.masterKey.base}:${key.masterKey.path} ${key.masterKey.format}`;
  }
}
