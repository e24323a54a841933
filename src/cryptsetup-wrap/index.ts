// The public face of the cryptsetup wrapper: what the boot stage and the admin commands call.
// Keys are Secrets and reach cryptsetup only on stdin; failures are CryptsetupErrors with a reason.
export {
  profileFor,
  argon2MemoryCapKiB,
  CRYPT_PROFILES,
  type CryptProfile,
  type ResolvedProfile,
  type ProfileFacts,
  type PbkdfChoice,
} from './profiles.js';
export { probeCryptsetup, readProfileFacts, cryptsetupPath, type CryptsetupProbe } from './probe.js';
export { readLuksHeader, parseLuksHeader, type LuksHeaderProbe } from './header.js';
export { parseLuks1Text, parseLuks2Json, type LuksHeaderInfo, type LuksKeyslot, type KeyslotPbkdf } from './dump.js';
export { parseStatus, type VolumeStatus } from './status.js';
export {
  isLuks,
  luksDump,
  formatVolume,
  openVolume,
  closeVolume,
  volumeStatus,
  testKey,
  unlockedSlot,
  DEFAULT_NODE_WAIT_MS,
  type FormatOptions,
  type OpenOptions,
} from './volume.js';
export { addKey, removeKey, type AddKeyOptions, type RemoveKeyOptions } from './keyslots.js';
export { CryptsetupError, type CryptsetupFailureReason } from './errors.js';
export { DEVICE_MAPPER_ENV } from './runner.js';
export { profileCommands, guestBenchScript, GUEST_FACTS, type ProfileCommands } from './bench-script.js';
export type { CryptProfileName } from '../overlayroot/config/types.js';
