// The Node-API addon built from native/oroot_sys.c (build/oroot-sys.node, installed as
// /usr/lib/oroot/oroot-sys.node): mount(2) and umount2(2) (see mount-syscall.ts), and a process
// runner without child_process (see nativeRunner in spawn.ts). Under emulation every `mount`
// process costs 0.1-0.15 s of the boot, and every child_process spawn ≈ 0.1 s on top of the
// program's own time.
//
// The addon is loaded with process.dlopen, not require: it works the same in the CommonJS boot
// bundle, the ES module CLI and a V8 startup snapshot's deserialized main. A native module cannot
// be part of a snapshot, so load it at run time, and before anything is mounted over its path.
import { constants } from 'node:os';
import type { MountSyscalls } from './mount-syscall.js';

/** What a child did. Its output is raw bytes: redaction is the caller's business. */
export interface NativeSpawnResult {
  /** The exit status; null when a signal ended the child. */
  readonly status: number | null;
  /** The name of the signal that ended the child ("SIGKILL"; "SIG34" for an unnamed one), or null. */
  readonly signal: string | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** The timeout passed and the child was sent SIGKILL. */
  readonly timedOut: boolean;
}

export interface NativeSys extends MountSyscalls {
  /**
   * Runs `file`, a path (no PATH search), with argv [file, ...args] and exactly `env`
   * ("NAME=value" strings); writes `input` to its stdin, then closes it (null: end of file at once);
   * reads stdout and stderr to their end and waits for the child. `timeoutMs` 0 means none;
   * otherwise the child is killed with SIGKILL when it runs longer. `cwd`: where the child starts
   * (default: this process's directory). Blocks the calling thread until the child has ended.
   *
   * A program that cannot be started throws an Error with `code` ("ENOENT", "EACCES",
   * "ENOEXEC"…), `errno` (positive) and `syscall` "posix_spawn"; a wrong argument, a TypeError.
   */
  spawn(
    file: string,
    args: readonly string[],
    env: readonly string[],
    input: Buffer | null,
    timeoutMs: number,
    cwd?: string | null,
  ): NativeSpawnResult;
}

export type LoadedNativeSys = { ok: true; sys: NativeSys } | { ok: false; reason: string };

/**
 * Never throws: a missing or broken addon is a reason, and the caller can fall back to mount(8)
 * and child_process. `addonPath` should be absolute: dlopen looks a bare name up in the library
 * search path.
 */
export function loadNativeSys(addonPath: string): LoadedNativeSys {
  const module = { exports: {} as Partial<NativeSys> };
  try {
    // RTLD_NOW: a symbol this Node.js lacks fails here, not at the first call.
    process.dlopen(module, addonPath, constants.dlopen.RTLD_NOW);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // dlerror's text usually starts with the path already.
    return { ok: false, reason: `cannot load ${message.startsWith(addonPath) ? message : `${addonPath}: ${message}`}` };
  }
  const { mount, umount, spawn } = module.exports;
  if (typeof mount !== 'function' || typeof umount !== 'function' || typeof spawn !== 'function') {
    return { ok: false, reason: `${addonPath} does not export mount, umount and spawn` };
  }
  return { ok: true, sys: { mount, umount, spawn } };
}
