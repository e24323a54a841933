// Pure readers for the small machine files the probe looks at. Each takes the text and returns
// data, so the probe itself (facts.ts) is only I/O and every rule here is unit-tested. The readers
// the boot runs on every line of a file use string methods, not a regular expression per line:
// at boot the code runs cold, where each such call costs about a millisecond under emulation.

export interface CmdlineFacts {
  readonly tokens: readonly string[];
  /** How initramfs-tools mounted the root: read-only unless a later `rw` overrides (its default is ro). */
  readonly rootMountedReadOnly: boolean;
  /** The last of `ro`/`rw` on the command line was `ro`: overlayroot then remounts the overlay
   *  read-only at the end and the real init remounts it read-write from fstab. */
  readonly remountOverlayReadOnly: boolean;
}

export function parseCmdline(text: string): CmdlineFacts {
  const tokens = text.split(/\s+/).filter((token) => token !== '');
  let last: 'ro' | 'rw' | undefined;
  for (const token of tokens) if (token === 'ro' || token === 'rw') last = token;
  return { tokens, rootMountedReadOnly: last !== 'rw', remountOverlayReadOnly: last === 'ro' };
}

/** /proc/filesystems: "nodev\ttmpfs" or "\text4" per line → the names. */
export function parseFilesystems(text: string): string[] {
  return text
    .split('\n')
    .map((line) => lastWord(line.trim()))
    .filter((name) => name !== '');
}

function lastWord(line: string): string {
  return line.slice(Math.max(line.lastIndexOf(' '), line.lastIndexOf('\t')) + 1);
}

export interface MemoryFacts {
  readonly totalKiB: number;
  readonly availableKiB: number;
}

export function parseMeminfo(text: string): MemoryFacts {
  const lines = text.split('\n');
  const field = (name: string): number => {
    const line = lines.find((candidate) => candidate.startsWith(`${name}:`));
    return (line && Number.parseInt(line.slice(name.length + 1).trim(), 10)) || 0;
  };
  return { totalKiB: field('MemTotal'), availableKiB: field('MemAvailable') || field('MemFree') };
}

/** What blkid reports about one block device (`blkid -o export`: KEY=value blocks, blank-line separated). */
export interface BlockDeviceFact {
  readonly device: string;
  readonly type?: string;
  readonly label?: string;
  readonly uuid?: string;
  readonly partuuid?: string;
  readonly partlabel?: string;
  /** Partition-table type (gpt, dos) when the device holds one. */
  readonly pttype?: string;
  /** LUKS version and similar, when blkid reports it. */
  readonly version?: string;
}

export function parseBlkidExport(text: string): BlockDeviceFact[] {
  const devices: BlockDeviceFact[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) fields.set(line.slice(0, eq).trim(), unescapeBlkid(line.slice(eq + 1)));
    }
    const device = fields.get('DEVNAME');
    if (!device) continue;
    devices.push(
      dropUndefined({
        device,
        type: fields.get('TYPE'),
        label: fields.get('LABEL'),
        uuid: fields.get('UUID'),
        partuuid: fields.get('PARTUUID'),
        partlabel: fields.get('PARTLABEL'),
        pttype: fields.get('PTTYPE'),
        version: fields.get('VERSION'),
      }),
    );
  }
  return devices;
}

/** blkid -o export escapes shell specials with a backslash ("My\ Disk"). */
function unescapeBlkid(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** `cryptsetup --version` → "2.6.1" (also accepts "cryptsetup 2.7.0 flags: …"). */
export function parseCryptsetupVersion(text: string): string | undefined {
  return /cryptsetup\s+(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
}
