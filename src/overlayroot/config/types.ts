// The validated configuration: one typed value that remembers where each setting came from.
// Produced by the config reader (sources → grammar → validation), consumed by the planner.
// Keys are *references* (KeyRef), loaded only when the plan runs. The one exception is a
// clear-text `pass=`, which is held as a Secret (prints and serialises as "<redacted>").
import type { Secret } from '../../system/secret.js';

/** Where a value came from, for messages: "kernel cmdline", "/etc/overlayroot.conf:12",
 *  "LABEL=OROOTCFG/overlayroot.conf:3", "built-in default". */
export type SourceName = string;

export type OverlayMode = 'tmpfs' | 'device' | 'crypt';

/** What the boot does when the requested upper layer cannot be set up. Never writes plaintext
 *  to disk where crypt was asked for, unless the user chose `open`. */
export type FailurePolicy = 'tmpfs' | 'halt' | 'open';

/** cryptsetup profiles (see src/cryptsetup-wrap/profiles.ts). */
export type CryptProfileName = 'ephemeral' | 'persistent' | 'plain' | 'compat';

/** A block device as the user named it, and where it would appear. */
export interface DeviceSpec {
  /** As written: "LABEL=data", "/dev/vdb", "vdb". */
  readonly spec: string;
  readonly kind: 'path' | 'label' | 'uuid' | 'partuuid' | 'partlabel';
  /** The label, UUID… or the path itself. */
  readonly value: string;
  /** The node udev would create: /dev/vdb, /dev/disk/by-label/data (with '/' as \x2f). Without
   *  udev the executor resolves label/uuid forms with blkid instead. */
  readonly path: string;
}

/** Where the passphrase for a crypt volume comes from. Loaded only when the plan runs. */
export type KeyRef =
  /** No key given: a fresh passphrase from the entropy module every boot (ephemeral volume). */
  | { readonly kind: 'generated'; readonly source: SourceName }
  /** `pass=` in clear text: works for compatibility, warned about, never logged. */
  | { readonly kind: 'passphrase'; readonly source: SourceName; readonly secret: Secret }
  /** `keyfile=PATH`: raw or base64 bytes from a file. `base` says which filesystem PATH is on. */
  | {
      readonly kind: 'keyfile';
      readonly source: SourceName;
      readonly path: string;
      readonly base: KeyFileBase;
      readonly format: 'raw' | 'base64';
    }
  /** `pass_enc=…,pass_iv=…,masterkey=PATH`: a passphrase encrypted with AES-256-CBC under a
   *  master key held in a file (QEMU's secret-object scheme). */
  | {
      readonly kind: 'encrypted';
      readonly source: SourceName;
      readonly ciphertextBase64: string;
      readonly ivBase64: string;
      readonly masterKey: { readonly path: string; readonly base: KeyFileBase; readonly format: 'raw' | 'base64' };
    };

/** Which filesystem a key path refers to: the config disk (relative paths in its overlayroot.conf),
 *  the root filesystem being booted (paths in /etc/overlayroot*.conf), or the initramfs. */
export type KeyFileBase = 'cfgdisk' | 'root' | 'initramfs';

/** Options every mode accepts (overlayroot's "common" options plus ours). */
export interface CommonOptions {
  readonly dir: string; // default /overlay
  readonly swap: boolean; // default false (swap=0)
  readonly recurse: boolean; // default true (recurse=1)
  readonly debug: boolean; // default false
  readonly driver: 'auto' | 'overlay' | 'overlayfs'; // default auto
  readonly failure: FailurePolicy; // default tmpfs
  /** tmpfs size= for the upper layer (tmpfs mode and the tmpfs fallback); undefined = kernel default. */
  readonly tmpfsSize: string | undefined;
}

export interface DeviceOptions {
  readonly device: DeviceSpec;
  readonly timeoutSec: number; // default 0 (overlayroot); we still settle briefly, see docs
}

export interface CryptOptions extends DeviceOptions {
  readonly mapname: string; // default secure
  readonly fstype: string; // default ext4
  /** 0: never format; 1 (default): format a blank device; 2: always format (explicit reformat). */
  readonly mkfs: 0 | 1 | 2;
  readonly profile: CryptProfileName;
  readonly key: KeyRef;
  /** Keep the passphrase in /run/initramfs/overlayroot.passwd (0400) after boot. Default false. */
  readonly keepKey: boolean;
}

interface ConfigBase {
  /** Which source last set `overlayroot`. */
  readonly source: SourceName;
  /** The overlayroot= value as given, with secret option values replaced by <redacted>. */
  readonly value: string;
  /** Settings that work but deserve attention (clear-text pass=, ignored compatibility options). */
  readonly warnings: readonly string[];
  /** Where each option's value came from (option name → source), for messages and `oroot plan`. */
  readonly origins: Readonly<Record<string, SourceName>>;
  /** What became of the config disk search (absent when overlayroot_cfgdisk was disabled). */
  readonly cfgdisk?: ConfigDiskOutcome;
}

/** The config disk named by overlayroot_cfgdisk, and whether it was used. */
export interface ConfigDiskOutcome {
  /** As written, e.g. "LABEL=OROOTCFG". */
  readonly spec: string;
  /** Where overlayroot_cfgdisk was set. */
  readonly source: SourceName;
  /** used: its overlayroot.conf was read. no-config: found, but it has no overlayroot.conf.
   *  not-found / unmountable: ignored (not an error). skipped: not searched (offline planning). */
  readonly status: 'used' | 'no-config' | 'not-found' | 'unmountable' | 'skipped';
  /** The block device it was found on. */
  readonly device?: string;
  readonly detail?: string;
}

export type OverlayConfig =
  | (ConfigBase & { readonly mode: 'disabled' })
  | (ConfigBase & { readonly mode: 'tmpfs'; readonly common: CommonOptions })
  | (ConfigBase & { readonly mode: 'device'; readonly common: CommonOptions; readonly device: DeviceOptions })
  | (ConfigBase & { readonly mode: 'crypt'; readonly common: CommonOptions; readonly crypt: CryptOptions });
