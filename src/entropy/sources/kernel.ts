// boot_id and uuid: two UUIDs the kernel prints from its own CRNG (boot_id once per boot, uuid
// fresh on each read). overlayroot hashes them, so we do too; they are the same source as
// /dev/urandom, not extra entropy, and boot_id is world-readable for the whole uptime.
import type { Host } from '../../system/host.js';
import { readHead } from './read.js';

export const BOOT_ID = '/proc/sys/kernel/random/boot_id';
export const UUID = '/proc/sys/kernel/random/uuid';
/** overlayroot read each file with `head -c 4096`; the UUIDs are 37 bytes with the newline. */
const KERNEL_TEXT_LIMIT = 4096;

export function readKernelText(host: Host, machinePath: string): Buffer {
  return readHead(host.path(machinePath), KERNEL_TEXT_LIMIT);
}
