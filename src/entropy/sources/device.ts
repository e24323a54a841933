// The first 4096 bytes of the backing device, as overlayroot mixes them. Often all zeros (a
// fresh volume) or a public LUKS header (a reused one); useful only if someone wrote random
// bytes there on purpose. The device was already found by the caller; missing here is reported.
import type { Host } from '../../system/host.js';
import { readHead } from './read.js';

export const DEVICE_HEAD_BYTES = 4096;

export function readDeviceHead(host: Host, device: string): Buffer {
  return readHead(host.path(device), DEVICE_HEAD_BYTES);
}
