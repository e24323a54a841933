// Key files that live on the config disk are read while the disk is mounted (it is unmounted
// before readConfig returns) and kept here, in this process only, until loadKey asks for them.
// Keyed by the path on the disk; forgetConfigDiskFiles() zeroes and drops them all.

interface StoredFile {
  readonly bytes: Buffer;
  /** The file's permission bits on the disk, for the "readable by others" warning. */
  readonly mode: number;
}

const files = new Map<string, StoredFile>();

export function rememberConfigDiskFile(pathOnDisk: string, bytes: Buffer, mode: number): void {
  files.get(pathOnDisk)?.bytes.fill(0);
  files.set(pathOnDisk, { bytes, mode });
}

/** A copy of the stored bytes (the caller may wipe it), or undefined. */
export function configDiskFile(pathOnDisk: string): StoredFile | undefined {
  const stored = files.get(pathOnDisk);
  return stored && { bytes: Buffer.from(stored.bytes), mode: stored.mode };
}

export function forgetConfigDiskFiles(): void {
  for (const { bytes } of files.values()) bytes.fill(0);
  files.clear();
}
