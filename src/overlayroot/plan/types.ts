// The boot plan: versioned data that says, step by step, what the boot stage will do. The planner
// (plan/planner.ts) builds it from the configuration and the machine facts without touching
// anything; `oroot plan` prints it; the executor runs the very same value. A step never holds a
// secret: keys appear as where they come from ("generated", "keyfile /etc/oroot.key"), never as bytes.
import type { ResolvedProfile } from '../../cryptsetup-wrap/profiles.js';
import type { RewriteOptions } from '../fstab/rewrite.js';
import type { CryptProfileName, DeviceSpec, KeyFileBase, OverlayMode, SourceName } from '../config/types.js';

export const PLAN_VERSION = 1;

/** A key reference with nothing secret in it (a clear-text `pass=` becomes its origin only). */
export type PlanKeyRef =
  | { readonly kind: 'generated'; readonly source: SourceName }
  | { readonly kind: 'passphrase'; readonly source: SourceName }
  | { readonly kind: 'keyfile'; readonly source: SourceName; readonly path: string; readonly base: KeyFileBase; readonly format: 'raw' | 'base64' }
  | { readonly kind: 'encrypted'; readonly source: SourceName; readonly masterKeyPath: string; readonly base: KeyFileBase };

/** What the fstab rewriter is asked to do (its options; the root's mount is passed separately). */
export type FstabRewriteOptions = Omit<RewriteOptions, 'root'>;

export type OverlayDriver = 'overlay' | 'overlayfs';

/** Each kind's own data. Paths are machine paths ("/media/root-rw"), as the initramfs sees them. */
export type StepData =
  /** mkdir -p: creates what is missing and remembers it, so undo removes exactly that. */
  | { readonly kind: 'mkdir'; readonly paths: readonly string[]; readonly mode: number }
  /** Directories created in the upper layer so they appear in the merged root, with the owner and
   *  mode of the lower layer's directory where one exists (done before the overlay is mounted). */
  | { readonly kind: 'mkdir-in-upper'; readonly lower: string; readonly upper: string; readonly paths: readonly string[] }
  | { readonly kind: 'mount-tmpfs'; readonly source: string; readonly target: string; readonly options: readonly string[] }
  /** Poll for the device node (and, for LABEL=/UUID=… specs, blkid) until it appears or time runs out. */
  | { readonly kind: 'wait-device'; readonly device: DeviceSpec; readonly timeoutMs: number }
  | { readonly kind: 'seed-urandom'; readonly rootmnt: string }
  | { readonly kind: 'derive-key'; readonly rootmnt: string; readonly device: DeviceSpec; readonly crngWaitMs: number }
  | { readonly kind: 'load-key'; readonly key: PlanKeyRef; readonly rootmnt: string }
  /** Look at what is on the device, then format+open or open (crypt/decision.ts decides). */
  | {
      readonly kind: 'crypt-attach';
      readonly device: DeviceSpec;
      readonly mapname: string;
      readonly profile: CryptProfileName;
      /** The profile resolved against this machine (cipher, PBKDF, sector size) and why. */
      readonly resolved: ResolvedProfile;
      /** cryptsetup's arguments for a format (none for plain) and for the open; keys go on stdin. */
      readonly cryptsetup: { readonly format: readonly string[] | undefined; readonly open: readonly string[] };
      readonly mkfs: 0 | 1 | 2;
      readonly keyOrigin: 'generated' | 'given';
      /** The LUKS2 label written when this boot formats the volume. */
      readonly formatLabel: string;
    }
  /** Make a filesystem on the opened volume: always after a format by this boot; never on a volume
   *  this boot only opened (it must already hold one). */
  | { readonly kind: 'mkfs'; readonly device: string; readonly fstype: string }
  /** `device` is either a fixed path or the device that wait-device resolved at run time. */
  | { readonly kind: 'mount'; readonly source: string | DeviceSpec; readonly target: string; readonly options: readonly string[] }
  | { readonly kind: 'move-mount'; readonly from: string; readonly to: string }
  | { readonly kind: 'remount'; readonly target: string; readonly readOnly: boolean }
  | {
      readonly kind: 'mount-overlay';
      readonly source: string;
      readonly target: string;
      readonly driver: OverlayDriver;
      readonly lower: string;
      readonly upper: string;
      readonly work: string | undefined;
    }
  /** Rewrite the lower layer's /etc/fstab into the upper layer, and create the directories it names. */
  | {
      readonly kind: 'write-fstab';
      readonly input: string;
      readonly lower: string;
      readonly upper: string;
      readonly options: FstabRewriteOptions;
      /** Without an /etc/fstab and with `ro` on the command line, fabricate a `/` line from this. */
      readonly fabricateRoot: { readonly spec: string; readonly fstype: string; readonly options: string } | undefined;
    }
  | { readonly kind: 'keep-key'; readonly path: string };

export type StepKind = StepData['kind'];

/** A step as planned: its data plus how a person reads it. */
export type PlanStep = StepData & {
  /** What the step achieves, in words. */
  readonly description: string;
  /** The exact command (argv) or, for file-system work done in-process, its shell equivalent. */
  readonly command: readonly string[];
  /** How the step is undone after a later failure; null when there is nothing to undo. */
  readonly undo: { readonly description: string; readonly command: readonly string[] | null } | null;
};

export interface BootPlan {
  readonly version: typeof PLAN_VERSION;
  /** 'requested' is the configured overlay; 'fallback' is the tmpfs plan the failure policy runs. */
  readonly purpose: 'requested' | 'fallback';
  readonly mode: OverlayMode;
  readonly rootmnt: string;
  readonly driver: OverlayDriver;
  /** The backing store, upper and work directories of the root overlay. */
  readonly layout: { readonly rootRo: string; readonly rootRw: string; readonly upper: string; readonly work: string | undefined };
  readonly steps: readonly PlanStep[];
  /** Things worth knowing that are not steps (assumptions, ignored options). */
  readonly notes: readonly string[];
}
