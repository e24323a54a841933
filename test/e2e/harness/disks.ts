// Disk images for the guest and the checks the host makes on them after a boot: is a marker
// written in the guest readable in the raw bytes, does the image start with a LUKS2 header, did a
// boot change (reformat) a volume it must not touch.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, writeSync } from 'node:fs';
import { run } from '../../../src/system/spawn.js';

/** A sparse file of `mib` MiB of zeros: a brand-new, blank disk. */
export async function blankDisk(file: string, mib = 128): Promise<string> {
  await run(['truncate', '-s', `${mib}M`, file]);
  return file;
}

/** An ext4 disk, empty or holding `contents`' files (`mkfs.ext4 -d`, no mount needed). */
export async function ext4Disk(file: string, options: { label: string; mib: number; contents?: string }): Promise<string> {
  const from = options.contents ? ['-d', options.contents] : [];
  await run(['mkfs.ext4', '-q', '-F', '-L', options.label, ...from, file, `${options.mib}M`]);
  return file;
}

/** A copy of an image (sparse, a reflink where the filesystem can), to boot or change without touching the original. */
export async function copyImage(from: string, to: string): Promise<string> {
  await run(['cp', '--sparse=always', '--reflink=auto', from, to], { timeoutMs: 300_000 });
  return to;
}

/** A file's contents inside an ext4 image, read with debugfs (no mount); undefined when it is not there. */
export async function readFromExt4Image(image: string, file: string): Promise<string | undefined> {
  const result = await run(['debugfs', '-R', `cat ${file}`, image], { reject: false });
  return result.exitCode === 0 && !/File not found/.test(result.stderr) ? result.stdout : undefined;
}

/** SHA-256 of the whole image (streamed): equal before and after a boot = the boot wrote nothing. */
export async function imageHash(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** Whether `needle` occurs anywhere in the file's raw bytes (streamed; images are large). */
export async function containsBytes(file: string, needle: string | Buffer): Promise<boolean> {
  const pattern = Buffer.isBuffer(needle) ? needle : Buffer.from(needle);
  let carry = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 }) as AsyncIterable<Buffer>) {
    const window = Buffer.concat([carry, chunk]);
    if (window.includes(pattern)) return true;
    carry = window.subarray(Math.max(0, window.length - pattern.length + 1));
  }
  return false;
}

/** The LUKS version in the image's first header (1 or 2), or undefined when there is none. */
export function luksVersion(file: string): number | undefined {
  const header = readHead(file, 8);
  const magic = Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]); // "LUKS\xba\xbe"
  if (!header.subarray(0, 6).equals(magic)) return undefined;
  return header.readUInt16BE(6);
}

/** SHA-256 of the first `bytes` of the image: a LUKS header and keyslots change when reformatted. */
export function headHash(file: string, bytes = 16 << 20): string {
  return createHash('sha256').update(readHead(file, bytes)).digest('hex');
}

export function readHead(file: string, bytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * The host-side check of the crypt promise: the marker the guest wrote through the overlay must not
 * be readable on the disk, and the disk must carry a LUKS2 header. Returns the problems found.
 */
export async function plaintextProblems(file: string, marker: string): Promise<string[]> {
  const problems: string[] = [];
  if (await containsBytes(file, marker)) problems.push(`the marker ${marker} is readable in clear text in ${file}`);
  const version = luksVersion(file);
  if (version !== 2) problems.push(`${file} does not start with a LUKS2 header (found ${version ? `LUKS${version}` : 'none'})`);
  return problems;
}

/** Whether the image holds nothing but zeros (a blank disk nothing was written to). */
export async function isAllZeros(file: string): Promise<boolean> {
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 }) as AsyncIterable<Buffer>) {
    if (chunk.some((byte) => byte !== 0)) return false;
  }
  return true;
}

/** Overwrite `length` bytes at `offset` with random bytes (to damage a header on purpose). */
export function scribble(file: string, offset: number, length: number): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, randomBytes(length), 0, length, offset);
  } finally {
    closeSync(fd);
  }
}
