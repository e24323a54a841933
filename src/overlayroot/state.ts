// What the boot stage leaves behind for `oroot status`: a small JSON file, versioned like any
// other data oroot writes. It never contains secret material (key *storage* is described, the key
// is not).
import type { CryptProfileName, FailurePolicy, OverlayMode } from './config/types.js';

export const STATE_VERSION = 1;
/** /run/initramfs is created 0700 by initramfs-tools and moved into the real root's /run. */
export const STATE_FILE = '/run/initramfs/oroot.state.json';
export const LOG_FILE = '/run/initramfs/oroot.log';
/** overlayroot's location and format (128 lowercase hex characters, no newline), mode 0400. */
export const KEPT_KEY_FILE = '/run/initramfs/overlayroot.passwd';

export type StepStatus = 'done' | 'failed' | 'undone' | 'undo-failed' | 'skipped';

export interface StepRecord {
  readonly kind: string;
  /** Human description, e.g. "mount /dev/mapper/secure on /media/root-rw (ext4)". No secrets. */
  readonly description: string;
  readonly status: StepStatus;
  readonly durationMs: number;
  readonly error?: string;
}

export interface EntropySourceRecord {
  readonly name: string;
  readonly bytes: number;
  readonly durationMs: number;
  readonly status: 'ok' | 'missing' | 'unreadable' | 'skipped' | 'failed';
  readonly detail?: string;
}

export interface BootState {
  readonly version: typeof STATE_VERSION;
  readonly startedAt: string; // ISO 8601
  readonly durationMs: number;
  /** configured: the requested overlay is in place. fallback: the failure policy replaced it.
   *  disabled: no overlay was requested. failed: nothing could be set up (policy `open`). */
  readonly outcome: 'configured' | 'fallback' | 'disabled' | 'failed';
  /** 'invalid': the configuration could not be read (the failure policy's default, tmpfs, applied). */
  readonly requested: { readonly mode: OverlayMode | 'disabled' | 'invalid'; readonly source: string; readonly value: string };
  readonly applied: {
    readonly mode: OverlayMode | 'none';
    /** Backing store mounted on /media/root-rw: "tmpfs-root", "/dev/vdb", "/dev/mapper/secure". */
    readonly upper?: string;
    readonly backingDevice?: string;
    readonly fstype?: string;
    readonly crypt?: {
      readonly profile: CryptProfileName;
      readonly type: 'luks1' | 'luks2' | 'plain';
      readonly cipher: string;
      readonly keyBits: number;
      readonly mapname: string;
      /** generated-discarded | generated-kept:<path> | given:<form> (pass, keyfile, encrypted) */
      readonly keyStorage: string;
      readonly formatted: boolean;
    };
  };
  readonly fallback?: { readonly policy: FailurePolicy; readonly reason: string };
  readonly steps: readonly StepRecord[];
  readonly warnings: readonly string[];
  readonly entropy?: {
    readonly crngReady: boolean;
    readonly crngWaitMs: number;
    readonly sources: readonly EntropySourceRecord[];
  };
}
