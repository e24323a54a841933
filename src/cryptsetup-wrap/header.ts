// Is there a LUKS header on a device? Read from the bytes themselves, with no cryptsetup and no
// udev database, so the boot can decide "format or open" before anything else runs.
//
// Both LUKS versions start with the magic "LUKS\xba\xbe" and a big-endian u16 version at offset 6,
// and keep the volume UUID (40 bytes, NUL padded) at offset 168. LUKS2 adds a label at 24 and a
// second copy of its binary header, with the magic "SKUL\xba\xbe", at an offset equal to the
// primary's size (16 KiB … 4 MiB). cryptsetup falls back to that copy when the primary is
// damaged, so a device with only the secondary is still a LUKS volume whose data can be opened.
import { open } from 'node:fs/promises';
import type { Host } from '../system/host.js';

export const LUKS_MAGIC = Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]); // "LUKS\xba\xbe"
export const LUKS2_SECONDARY_MAGIC = Buffer.from([0x53, 0x4b, 0x55, 0x4c, 0xba, 0xbe]); // "SKUL\xba\xbe"
/** Where a LUKS2 secondary header may start: the sizes cryptsetup allows for the primary. */
export const LUKS2_SECONDARY_OFFSETS: readonly number[] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096].map((kib) => kib * 1024);

const HEADER_BYTES = 512; // everything we read lies in the first 256 bytes of either header
const UUID_OFFSET = 168;
const UUID_BYTES = 40;
const LABEL_OFFSET = 24;
const LABEL_BYTES = 48;

export type LuksHeaderProbe =
  | { readonly luks: false }
  | {
      readonly luks: true;
      readonly version: 1 | 2;
      readonly uuid: string;
      /** LUKS2 only; undefined when empty. */
      readonly label?: string;
      /** False when only the LUKS2 secondary header is intact (cryptsetup can still open it and
       *  `cryptsetup repair` restores the primary). */
      readonly primaryIntact: boolean;
      /** Byte offset of the header that was read. */
      readonly headerOffset: number;
    };

/** Parse a header found at `offset`; `magic` tells which copy it should be. */
export function parseLuksHeader(bytes: Buffer, offset = 0, magic: Buffer = LUKS_MAGIC): LuksHeaderProbe {
  if (bytes.length < UUID_OFFSET + UUID_BYTES || !bytes.subarray(0, 6).equals(magic)) return { luks: false };
  const version = bytes.readUInt16BE(6);
  if (version !== 1 && version !== 2) return { luks: false };
  if (magic === LUKS2_SECONDARY_MAGIC && version !== 2) return { luks: false };
  const label = version === 2 ? cString(bytes, LABEL_OFFSET, LABEL_BYTES) : '';
  return {
    luks: true,
    version,
    uuid: cString(bytes, UUID_OFFSET, UUID_BYTES),
    ...(label ? { label } : {}),
    primaryIntact: magic === LUKS_MAGIC,
    headerOffset: offset,
  };
}

/** Read the LUKS header of `device` (a machine path; a block device or an image file). */
export async function readLuksHeader(host: Host, device: string): Promise<LuksHeaderProbe> {
  const handle = await open(host.path(device), 'r');
  try {
    const readAt = async (offset: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, offset);
      return buffer.subarray(0, bytesRead);
    };
    const primary = parseLuksHeader(await readAt(0));
    if (primary.luks) return primary;
    for (const offset of LUKS2_SECONDARY_OFFSETS) {
      const secondary = parseLuksHeader(await readAt(offset), offset, LUKS2_SECONDARY_MAGIC);
      if (secondary.luks) return secondary;
    }
    return { luks: false };
  } finally {
    await handle.close();
  }
}

function cString(bytes: Buffer, offset: number, length: number): string {
  const field = bytes.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('latin1');
}
