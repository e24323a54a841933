// The stat walk: metadata of every top-level entry of /dev, /proc and /sys, following symbolic
// links, as `stat -L /dev/* /proc/* /sys/*` shows it. What varies between boots is mostly the
// nanosecond part of timestamps and the process ids in /proc; it is low-entropy, kept for
// overlayroot parity and as cheap diversification (see docs/entropy.md).
//
// Encoding (documented in docs/entropy.md so a test can rebuild it): entries sorted by name
// (code-point order), names starting with "." skipped (as the shell glob does), and for each entry
//   u16be nameLength, name, then 13 fields as u64be (negative times in two's complement):
//   dev ino mode nlink uid gid rdev size blocks atimeNs mtimeNs ctimeNs birthtimeNs
// Entries that vanish or fail to stat are normal in /proc: skipped and counted, never fatal.
import { readdirSync, statSync, type BigIntStats } from 'node:fs';

export const STAT_FIELDS = [
  'dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blocks',
  'atimeNs', 'mtimeNs', 'ctimeNs', 'birthtimeNs',
] as const satisfies readonly (keyof BigIntStats)[];

const ENTRY_FIXED_BYTES = 2 + STAT_FIELDS.length * 8;

export interface StatWalk {
  data: Buffer;
  entries: number;
  /** Entries listed but gone or unreadable by the time we stat them. */
  skipped: number;
}

/** Walk one directory (already mapped through host.path). Throws only if the directory itself cannot be listed. */
export function statWalk(directory: string): StatWalk {
  const base = directory.endsWith('/') ? directory : `${directory}/`;
  // String names (not Buffers) and one DataView: this runs once per boot with a cold JIT, where
  // Buffer paths and Buffer#writeBigUInt64BE cost several times more than the syscalls.
  const names = readdirSync(base).filter((name) => !name.startsWith('.')).sort();
  const out = Buffer.alloc(names.reduce((sum, name) => sum + ENTRY_FIXED_BYTES + Buffer.byteLength(name), 0));
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let offset = 0;
  let entries = 0;
  for (const name of names) {
    let stats: BigIntStats;
    try {
      stats = statSync(base + name, { bigint: true });
    } catch {
      continue; // vanished (a process exited) or a dangling link: counted below
    }
    offset = encodeEntry(out, view, offset, name, stats);
    entries += 1;
  }
  return { data: out.subarray(0, offset), entries, skipped: names.length - entries };
}

/** Write one entry at `offset`; returns the offset after it. setBigUint64 wraps negatives (two's complement). */
function encodeEntry(out: Buffer, view: DataView, offset: number, name: string, stats: BigIntStats): number {
  const nameLength = out.write(name, offset + 2, 'utf8');
  view.setUint16(offset, nameLength);
  let at = offset + 2 + nameLength;
  for (const field of STAT_FIELDS) {
    view.setBigUint64(at, stats[field]);
    at += 8;
  }
  return at;
}
