// What is on a device, for the open-or-format decision. The LUKS header is read from the bytes
// (either copy: a LUKS2 volume whose primary header is damaged is still a volume to keep); any
// other signature comes from a low-level blkid probe, which needs no udev and no cache.
import { readLuksHeader } from '../../cryptsetup-wrap/header.js';
import { OrootError } from '../../errors.js';
import type { Host } from '../../system/host.js';
import { parseBlkidExport, type BlockDeviceFact } from '../facts-parse.js';
import type { DeviceContent } from '../plan/crypt-decision.js';

/** blkid's exit status when a low-level probe found nothing. */
const BLKID_NOTHING_FOUND = 2;
/** …and when it found several signatures that contradict each other. */
const BLKID_AMBIVALENT = 8;

export async function probeDeviceContent(host: Host, device: string): Promise<DeviceContent> {
  const header = await readLuksHeader(host, device);
  if (header.luks) return { kind: 'luks', version: String(header.version), label: header.label };
  const found = await lowLevelProbe(host, device);
  return found === undefined ? { kind: 'blank' } : { kind: 'other', signature: describeSignature(found) };
}

/** The filesystem type on a device (e.g. an opened volume), or undefined when it holds none. */
export async function filesystemOn(host: Host, device: string): Promise<string | undefined> {
  const found = await lowLevelProbe(host, device);
  return found === undefined ? undefined : found === AMBIVALENT ? 'ambivalent' : (found.type ?? found.pttype);
}

const AMBIVALENT = 'ambivalent';

async function lowLevelProbe(host: Host, device: string): Promise<BlockDeviceFact | typeof AMBIVALENT | undefined> {
  const result = await host.run(['blkid', '-p', '-o', 'export', host.path(device)], { reject: false, timeoutMs: 30_000 });
  if (result.exitCode === BLKID_NOTHING_FOUND) return undefined;
  // Several signatures: treat as data, never as blank.
  if (result.exitCode === BLKID_AMBIVALENT) return AMBIVALENT;
  const [found] = parseBlkidExport(result.stdout);
  if (result.exitCode === 0 && found && (found.type || found.pttype)) return found;
  throw new OrootError(`cannot tell what is on ${device}: ${result.command} exited with ${result.exitCode}${result.stderr ? `: ${result.stderr.trim()}` : ''}`);
}

function describeSignature(found: BlockDeviceFact | typeof AMBIVALENT): string {
  if (found === AMBIVALENT) return 'several conflicting signatures';
  const label = found.label ? ` labelled ${found.label}` : '';
  return found.type ? `${article(found.type)} ${found.type} ${found.type === 'swap' ? 'area' : 'signature'}${label}` : `${article(found.pttype ?? '')} ${found.pttype} partition table`;
}

/** "an ext4", "an xfs", "a btrfs", "a gpt": by how the name is spoken. */
function article(name: string): string {
  return /^(ext|xfs|iso|ntfs|f2fs|hfs|lvm|LVM|exfat|udf|atari|amiga)/.test(name) ? 'an' : 'a';
}
