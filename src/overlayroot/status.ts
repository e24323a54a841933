// `oroot status`: what protects this machine right now. The live mount table says what IS (an
// overlay on /, its layers, the backing store); the state file the boot stage left in
// /run/initramfs says what was ASKED for and how the boot went; cryptsetup says whether the
// encrypted volume is open. Where the two disagree, that is reported as a problem.
import { readFile, stat, statfs } from 'node:fs/promises';
import type { VolumeStatus } from '../cryptsetup-wrap/status.js';
import type { Host } from '../system/host.js';
import { findMount, isReadOnly, overlayLayers, readMountTable, resolveMount, type MountEntry } from '../system/mounts.js';
import { OVERLAY_SOURCE } from './plan/layout.js';
import { STATE_FILE, STATE_VERSION, type BootState } from './state.js';
import { describeProblems } from './status-problems.js';

export interface SpaceInfo {
  readonly totalBytes: number;
  readonly freeBytes: number;
  /** What an unprivileged writer can still use (free minus the reserved blocks). */
  readonly availableBytes: number;
}

/** A block device as systeminformation describes it. */
export interface DeviceInfo {
  readonly path: string;
  readonly sizeBytes?: number;
  readonly label?: string;
  readonly uuid?: string;
  readonly model?: string;
}

export interface LayerInfo {
  readonly mountPoint: string;
  readonly source: string;
  readonly fstype: string;
  readonly readOnly: boolean;
  readonly space?: SpaceInfo;
  readonly device?: DeviceInfo;
}

export type LiveVolume =
  | ({ readonly active: true } & Pick<VolumeStatus, 'type' | 'cipher' | 'keyBits' | 'device' | 'readOnly' | 'inUse'>)
  | { readonly active: false }
  | { readonly active: 'unknown'; readonly problem: string }
  /** cryptsetup was not asked: it needs root. */
  | { readonly active: 'not-asked' };

export interface StatusReport {
  readonly version: 1;
  /** An overlay set up by oroot (or overlayroot) is on /. */
  readonly active: boolean;
  readonly root: { readonly source: string; readonly fstype: string; readonly readOnly: boolean; readonly upperDir?: string; readonly workDir?: string };
  readonly mode: BootState['applied']['mode'] | 'unknown';
  readonly lower?: LayerInfo;
  /** The backing store of the upper layer (mounted on /media/root-rw). */
  readonly upper?: LayerInfo;
  readonly crypt?: {
    readonly mapname: string;
    readonly recorded?: NonNullable<BootState['applied']['crypt']>;
    /** The kept passphrase file, when the key was kept. */
    readonly keyFile?: { readonly path: string; readonly present: boolean; readonly mode?: number };
    readonly live: LiveVolume;
  };
  readonly lastBoot?: {
    readonly startedAt: string;
    readonly durationMs: number;
    readonly outcome: BootState['outcome'];
    readonly requested: BootState['requested'];
    readonly fallback?: BootState['fallback'];
    readonly steps: number;
    readonly failedSteps: readonly BootState['steps'][number][];
    readonly warnings: readonly string[];
    readonly crngReady?: boolean;
  };
  readonly stateFile: { readonly path: string; readonly status: 'read' | 'missing' | 'unreadable'; readonly problem?: string };
  /** What needs attention, one sentence each. */
  readonly problems: readonly string[];
}

/** The parts that ask other programs; the CLI uses the real ones, unit tests their own. */
export interface StatusProbes {
  /** cryptsetup status needs root; without it the volume's state is left unknown, not a problem. */
  canAskCryptsetup(): boolean;
  volumeStatus(host: Host, mapname: string): Promise<VolumeStatus | undefined>;
  blockDevices(): Promise<readonly DeviceInfo[]>;
}

export const realProbes: StatusProbes = {
  canAskCryptsetup: () => process.getuid?.() === 0,
  async volumeStatus(host, mapname) {
    const { volumeStatus } = await import('../cryptsetup-wrap/index.js');
    return volumeStatus(host, mapname);
  },
  async blockDevices() {
    // systeminformation is slow to load; only `oroot status` pays for it.
    const si = (await import('systeminformation')).default;
    return (await si.blockDevices()).map((d) => ({
      path: d.device ?? `/dev/${d.name}`,
      sizeBytes: d.size || undefined,
      label: d.label || undefined,
      uuid: d.uuid || undefined,
      model: d.model || undefined,
    }));
  },
};

export async function collectStatus(host: Host, probes: StatusProbes = realProbes): Promise<StatusReport> {
  const entries = await readMountTable(host);
  const state = await readState(host);
  const root = resolveMount(entries, '/');
  const layers = root && isOverlay(root) ? overlayLayers(root) : undefined;
  const active = Boolean(root && layers && root.source === OVERLAY_SOURCE);
  const devices = await probes.blockDevices().catch(() => []);
  const layer = (entry: MountEntry | undefined) => (entry ? describeLayer(host, entry, devices) : undefined);
  const lowerDir = layers?.lower[0];
  const lower = active && lowerDir ? await layer(findMount(entries, lowerDir)) : undefined;
  const upper = active && layers!.upper ? await layer(resolveMount(entries, layers!.upper)) : undefined;
  const crypt = await describeCrypt(host, probes, state.record, upper);

  const report = {
    version: 1 as const,
    active,
    root: {
      source: root?.source ?? 'unknown',
      fstype: root?.fstype ?? 'unknown',
      readOnly: root ? isReadOnly(root) : false,
      ...(layers?.upper ? { upperDir: layers.upper } : {}),
      ...(layers?.work ? { workDir: layers.work } : {}),
    },
    mode: state.record?.applied.mode ?? (active ? inferMode(upper) : 'none'),
    ...(lower ? { lower } : {}),
    ...(upper ? { upper } : {}),
    ...(crypt ? { crypt } : {}),
    ...(state.record ? { lastBoot: summariseBoot(state.record) } : {}),
    stateFile: state.file,
  };
  return { ...report, problems: describeProblems(report) };
}

function isOverlay(entry: MountEntry): boolean {
  return entry.fstype === 'overlay' || entry.fstype === 'overlayfs';
}

async function readState(host: Host): Promise<{ record?: BootState; file: StatusReport['stateFile'] }> {
  let text: string;
  try {
    text = await readFile(host.path(STATE_FILE), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { file: { path: STATE_FILE, status: code === 'ENOENT' ? 'missing' : 'unreadable', ...(code === 'ENOENT' ? {} : { problem: String(code) }) } };
  }
  try {
    const record = JSON.parse(text) as BootState;
    if (record.version !== STATE_VERSION) return { file: { path: STATE_FILE, status: 'unreadable', problem: `version ${String(record.version)}, expected ${STATE_VERSION}` } };
    return { record, file: { path: STATE_FILE, status: 'read' } };
  } catch (error) {
    return { file: { path: STATE_FILE, status: 'unreadable', problem: `not JSON: ${(error as Error).message}` } };
  }
}

async function describeLayer(host: Host, entry: MountEntry, devices: readonly DeviceInfo[]): Promise<LayerInfo> {
  const space = await statfs(host.path(entry.mountPoint)).then(
    (s) => ({ totalBytes: s.blocks * s.bsize, freeBytes: s.bfree * s.bsize, availableBytes: s.bavail * s.bsize }),
    () => undefined,
  );
  const device = devices.find((d) => d.path === entry.source);
  return {
    mountPoint: entry.mountPoint,
    source: entry.source,
    fstype: entry.fstype,
    readOnly: isReadOnly(entry),
    ...(space ? { space } : {}),
    ...(device ? { device } : {}),
  };
}

function inferMode(upper: LayerInfo | undefined): StatusReport['mode'] {
  if (!upper) return 'unknown';
  if (upper.fstype === 'tmpfs') return 'tmpfs';
  return upper.source.startsWith('/dev/mapper/') ? 'crypt' : 'device';
}

async function describeCrypt(host: Host, probes: StatusProbes, state: BootState | undefined, upper: LayerInfo | undefined): Promise<StatusReport['crypt']> {
  const recorded = state?.applied.crypt;
  const mapname = recorded?.mapname ?? /^\/dev\/mapper\/(.+)$/.exec(upper?.source ?? '')?.[1];
  if (!mapname) return undefined;
  const live: LiveVolume = !probes.canAskCryptsetup() ? { active: 'not-asked' } : await probes.volumeStatus(host, mapname).then(
    (s): LiveVolume => (s ? { active: true, type: s.type, cipher: s.cipher, keyBits: s.keyBits, device: s.device, readOnly: s.readOnly, inUse: s.inUse } : { active: false }),
    (error: Error): LiveVolume => ({ active: 'unknown', problem: error.message.split('\n')[0]! }),
  );
  const keptPath = /^generated-kept:(.+)$/.exec(recorded?.keyStorage ?? '')?.[1];
  const keyFile = keptPath
    ? await stat(host.path(keptPath)).then(
        (s) => ({ path: keptPath, present: true, mode: s.mode & 0o777 }),
        () => ({ path: keptPath, present: false }),
      )
    : undefined;
  return { mapname, ...(recorded ? { recorded } : {}), ...(keyFile ? { keyFile } : {}), live };
}

function summariseBoot(state: BootState): NonNullable<StatusReport['lastBoot']> {
  return {
    startedAt: state.startedAt,
    durationMs: state.durationMs,
    outcome: state.outcome,
    requested: state.requested,
    ...(state.fallback ? { fallback: state.fallback } : {}),
    steps: state.steps.length,
    failedSteps: state.steps.filter((step) => step.status === 'failed' || step.status === 'undo-failed'),
    warnings: state.warnings,
    ...(state.entropy ? { crngReady: state.entropy.crngReady } : {}),
  };
}
