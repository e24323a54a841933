// File-system errors in words a user can act on, instead of a stack trace. Errors oroot raised
// itself pass through unchanged.
import { ExitCode, OrootError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENODEV: 'no such device (is the driver loaded?)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ERR_FS_EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
};

export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code && REASONS[code]) ?? (error as Error).message;
}

/** A failed write of `file` as an OrootError (exit 1) naming the file and the reason. */
export function writeError(file: string, error: unknown): OrootError {
  if (error instanceof OrootError) return error;
  return new OrootError(`cannot write ${file}: ${fsReason(error)}`, ExitCode.failure, { cause: error });
}
