// File writes with the guarantees oroot promises: secret-bearing files are created new with
// mode 0600 (never by widening an existing file), and nothing is overwritten unless asked.
import { open, rename, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

export interface WriteNewFileOptions {
  /** Replace an existing file (atomically, through a temporary file beside it). Default false. */
  overwrite?: boolean;
  /** Mode of the new file. Default 0600: most of what oroot writes contains a seed or a key. */
  mode?: number;
  /** What to call the flag that allows overwriting, for the error message. */
  overwriteFlag?: string;
}

/**
 * Create `file` holding `data`. Refuses to touch an existing file unless `overwrite` is set, and
 * then replaces it by rename so a reader never sees half a file. The mode is set at creation
 * (O_CREAT|O_EXCL with the mode), so the content is never readable by others, not even briefly.
 */
export async function writeNewFile(file: string, data: Buffer | string, options: WriteNewFileOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o600;
  const target = options.overwrite ? `${path.dirname(file)}/.${path.basename(file)}.${process.pid}.tmp` : file;
  let handle;
  try {
    handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && !options.overwrite) {
      throw new UsageError(`${file} already exists; refusing to overwrite it`, {
        hint: options.overwriteFlag ? `Remove it first or pass ${options.overwriteFlag}.` : 'Remove it first.',
      });
    }
    throw error;
  }
  try {
    await handle.chmod(mode); // the umask may have narrowed it; never widens beyond `mode`
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(target, { force: true });
    throw error;
  }
  await handle.close();
  if (target !== file) await rename(target, file);
}
