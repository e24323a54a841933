// `cryptsetup status <name>` as typed data. The output is a first line
// "/dev/mapper/<name> is active[ and is in use]." followed by "  key: value" lines
// (type, cipher, keysize, device, loop, sector size, offset, size, mode, flags); an inactive
// name prints "… is inactive." and exits 4.

export interface VolumeStatus {
  readonly name: string;
  readonly path: string;
  /** Something holds the mapping open (a mount, another mapping). */
  readonly inUse: boolean;
  /** "LUKS2", "LUKS1", "PLAIN" as cryptsetup prints it. */
  readonly type: string;
  readonly cipher: string;
  readonly keyBits: number | undefined;
  /** The backing device (a loop device for an image file). */
  readonly device: string;
  /** The image file behind a loop device, when there is one. */
  readonly loopFile: string | undefined;
  readonly sectorSize: number | undefined;
  readonly offsetSectors: number | undefined;
  readonly sizeSectors: number | undefined;
  readonly readOnly: boolean;
  /** dm-crypt flags such as no_read_workqueue, discards. */
  readonly flags: readonly string[];
}

/** Parse the output; undefined when it says the mapping is inactive. */
export function parseStatus(name: string, text: string): VolumeStatus | undefined {
  const lines = text.split('\n');
  const head = /^(\S+) is (active|inactive)( and is in use)?/.exec(lines[0] ?? '');
  if (!head || head[2] === 'inactive') return undefined;
  const fields = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const field = /^\s+([a-z][a-z ]*?):\s*(.*)$/.exec(line);
    if (field) fields.set(field[1]!, field[2]!.trim());
  }
  const leadingNumber = (key: string): number | undefined => {
    const match = /^\d+/.exec(fields.get(key) ?? '');
    return match ? Number(match[0]) : undefined;
  };
  return {
    name,
    path: head[1]!,
    inUse: head[3] !== undefined,
    type: fields.get('type') ?? 'unknown',
    cipher: fields.get('cipher') ?? 'unknown',
    keyBits: leadingNumber('keysize'),
    device: fields.get('device') ?? 'unknown',
    loopFile: fields.get('loop'),
    sectorSize: leadingNumber('sector size'),
    offsetSectors: leadingNumber('offset'),
    sizeSectors: leadingNumber('size'),
    readOnly: fields.get('mode') === 'readonly',
    flags: (fields.get('flags') ?? '').split(/\s+/).filter(Boolean),
  };
}

/** "… is inactive." / "Device … is not active." — the mapping does not exist. */
export function saysInactive(text: string): boolean {
  return /is inactive|is not active|Device .* not found/i.test(text);
}
