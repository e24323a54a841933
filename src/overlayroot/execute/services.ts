// The real services behind the executor: the config reader, the entropy module, the cryptsetup
// wrapper and the fstab rewriter. Imported statically: the boot stage ships as one bundled file,
// and between the move of the root and the overlay mount nothing can be loaded from the root disk.
import { closeVolume, formatVolume, openVolume, volumeStatus } from '../../cryptsetup-wrap/index.js';
import type { ResolvedProfile } from '../../cryptsetup-wrap/index.js';
import { derivePassphrase, seedUrandom } from '../../entropy/index.js';
import type { Host } from '../../system/host.js';
import { loadKey, readConfig } from '../config/index.js';
import { rewriteFstab } from '../fstab/index.js';
import { keyForProfile } from '../volume-key.js';
import { filesystemOn, probeDeviceContent } from './device-content.js';
import type { BootServices, CryptInfo } from './types.js';

export function realServices(): BootServices {
  return {
    readConfig: (host, { rootmnt }) => readConfig(host, { rootmnt }),
    loadKey: (host, key, options) => loadKey(host, key, options),
    seedUrandom: (host, options) => seedUrandom(host, options),
    // The plan seeds /dev/urandom in a step of its own just before.
    derivePassphrase: (host, options) => derivePassphrase(host, { ...options, mixSeeds: false }),
    probeDevice: probeDeviceContent,
    filesystemOn,
    formatVolume: (host, { device, key, step }) => formatVolume(host, { device, key, profile: step.resolved, label: step.formatLabel }),
    async openVolume(host, { device, key, step }) {
      const volumeKey = keyForProfile(key, step.resolved);
      try {
        await openVolume(host, { device, name: step.mapname, key: volumeKey, profile: step.resolved });
      } finally {
        if (volumeKey !== key) volumeKey.wipe();
      }
      return describeVolume(host, step.mapname, step.resolved);
    },
    closeVolume: (host, mapname) => closeVolume(host, mapname),
    rewriteFstab: (input, options) => rewriteFstab(input, options),
  };
}

/** What the state file records: the profile's settings, or cryptsetup's own report for compat. */
async function describeVolume(host: Host, mapname: string, profile: ResolvedProfile): Promise<Omit<CryptInfo, 'keyStorage' | 'formatted'>> {
  if (profile.cipher !== undefined && profile.keyBits !== undefined) {
    return { profile: profile.name, type: profile.type, cipher: profile.cipher, keyBits: profile.keyBits, mapname };
  }
  const status = await volumeStatus(host, mapname).catch(() => undefined);
  const type = status?.type.toLowerCase();
  return {
    profile: profile.name,
    type: type === 'luks1' || type === 'luks2' || type === 'plain' ? type : profile.type,
    cipher: status?.cipher ?? 'cryptsetup default',
    keyBits: status?.keyBits ?? 0,
    mapname,
  };
}
