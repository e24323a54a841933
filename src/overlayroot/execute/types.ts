// What the executor needs from the modules around it (config, entropy, cryptsetup, fstab), and the
// state one run of a plan carries from step to step. The services are an interface so the unit
// tests can script them; the boot stage uses the real ones (execute/services.ts).
import type { Host } from '../../system/host.js';
import type { Secret } from '../../system/secret.js';
import type { KeyRef, OverlayConfig } from '../config/types.js';
import type { BootState, EntropySourceRecord } from '../state.js';
import type { DeviceContent } from '../plan/crypt-decision.js';
import type { RewriteOptions, RewriteResult } from '../fstab/rewrite.js';
import type { PlanStep } from '../plan/types.js';
import type { RenderContext } from '../plan/commands.js';

export type EntropyReport = NonNullable<BootState['entropy']>;
export type CryptInfo = NonNullable<BootState['applied']['crypt']>;

export interface BootServices {
  readConfig(host: Host, options: { rootmnt: string }): Promise<OverlayConfig>;
  loadKey(host: Host, key: KeyRef, options: { rootmnt: string }): Promise<Secret>;
  seedUrandom(host: Host, options: { rootmnt: string }): Promise<readonly EntropySourceRecord[]>;
  derivePassphrase(host: Host, options: { rootmnt: string; device: string; crngWaitMs: number }): Promise<{ passphrase: Secret; report: EntropyReport }>;
  /** What a low-level probe finds on the device (blank, LUKS with its label, or another signature). */
  probeDevice(host: Host, device: string): Promise<DeviceContent>;
  /** Whether the opened volume already holds a filesystem (and which). */
  filesystemOn(host: Host, device: string): Promise<string | undefined>;
  formatVolume(host: Host, request: { device: string; key: Secret; step: CryptAttachStep }): Promise<void>;
  /** Open the volume; returns what the state file records about it. */
  openVolume(host: Host, request: { device: string; key: Secret; step: CryptAttachStep }): Promise<Omit<CryptInfo, 'keyStorage' | 'formatted'>>;
  closeVolume(host: Host, mapname: string): Promise<void>;
  /** `input` undefined: the root has no /etc/fstab (with `ro`, a `/` line is made from `root`). */
  rewriteFstab(input: string | undefined, options: RewriteOptions): RewriteResult;
}

export type CryptAttachStep = Extract<PlanStep, { kind: 'crypt-attach' }>;

/** Mutable state of one run: what earlier steps found or made that later steps use. */
export interface RunState {
  readonly host: Host;
  readonly services: BootServices;
  /** The real key reference (the plan only holds its public part). */
  readonly key: KeyRef | undefined;
  render: RenderContext;
  /** Machine path of the backing device, once wait-device has found it. */
  device: string | undefined;
  secret: Secret | undefined;
  /** This boot wrote a new LUKS header (or set up a fresh plain mapping). */
  formatted: boolean;
  /** Filesystem type by device (real path), where this run made or found it: such a device is
   *  mounted with mount(2); one of unknown type is left to mount(8), which detects it. */
  readonly filesystems: Map<string, string>;
  crypt: CryptInfo | undefined;
  entropy: EntropyReport | undefined;
  seedSources: readonly EntropySourceRecord[];
  warnings: string[];
}

/** A step's implementation. It registers how to undo each thing it did, as it does it, so even a
 *  step that fails half-way is undone exactly. */
export type StepHandler<S extends PlanStep = PlanStep> = (step: S, state: RunState, defer: Defer) => Promise<void>;

export type Defer = (description: string, undo: () => Promise<void>) => void;
