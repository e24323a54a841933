// The pure planner: (configuration, machine facts) → BootPlan. It touches nothing; everything it
// refuses (no overlay driver, the backing device is the root device, a submount overlayfs cannot
// layer) is refused here, before the boot has done anything.
import type { CommonOptions, OverlayConfig, OverlayMode } from '../config/types.js';
import { DEFAULTS } from '../config/options.js';
import type { MachineFacts, MountFact } from '../facts.js';
import { KEPT_KEY_FILE } from '../state.js';
import { cryptBacking, deviceBacking, tmpfsBacking } from './backing.js';
import { toPlanStep } from './describe.js';
import { chooseDriver, PlanRefusedError, refuseRootDevice } from './checks.js';
import { nestedOverlayDirs } from '../fstab/layout.js';
import { kernelNeedsWorkdir, OVERLAY_SOURCE, ROOT_RO, ROOT_RW, rootOverlayDirs } from './layout.js';
import { classifySubmounts } from './submounts.js';
import { PLAN_VERSION, type BootPlan, type StepData } from './types.js';

export type EnabledConfig = Exclude<OverlayConfig, { mode: 'disabled' }>;

/** The common options overlayroot would use when the configuration could not be read at all. */
export const DEFAULT_COMMON: CommonOptions = {
  dir: DEFAULTS.dir,
  swap: DEFAULTS.swap,
  recurse: DEFAULTS.recurse,
  debug: DEFAULTS.debug,
  driver: DEFAULTS.driver,
  failure: DEFAULTS.failure,
  tmpfsSize: undefined,
};

/** The plan for the configured overlay. Throws (InputError, PlanRefusedError) for what cannot work here. */
export function planBoot(config: EnabledConfig, facts: MachineFacts): BootPlan {
  const backing = (): StepData[] => {
    switch (config.mode) {
      case 'tmpfs':
        return tmpfsBacking(config.common);
      case 'device':
        refuseRootDevice(config.device.device, facts);
        return deviceBacking(config.device);
      case 'crypt':
        refuseRootDevice(config.crypt.device, facts);
        return cryptBacking(config.crypt, facts);
    }
  };
  const keepKeyPath = config.mode === 'crypt' && config.crypt.keepKey && config.crypt.key.kind === 'generated' ? KEPT_KEY_FILE : undefined;
  return assemble('requested', config.mode, config.common, facts, backing, keepKeyPath);
}

/**
 * The tmpfs plan the failure policy switches to. When crypt was asked for, swap stays off even if
 * swap=1 was configured: the tmpfs upper layer must not page out to a disk in clear text.
 * `common` is undefined when the configuration itself could not be read (defaults apply).
 */
export function planFallback(requested: OverlayMode | 'invalid', common: CommonOptions | undefined, facts: MachineFacts): BootPlan {
  const options = { ...(common ?? DEFAULT_COMMON) };
  const notes: string[] = [];
  if (options.swap && requested !== 'tmpfs' && requested !== 'device') {
    options.swap = false;
    notes.push('swap=1 is turned off for the fallback: crypt was asked for, so nothing may reach a swap device in clear text');
  }
  const plan = assemble('fallback', 'tmpfs', options, facts, () => tmpfsBacking(options), undefined);
  return { ...plan, notes: [...notes, ...plan.notes] };
}

function assemble(
  purpose: BootPlan['purpose'],
  mode: OverlayMode,
  common: CommonOptions,
  facts: MachineFacts,
  backing: () => StepData[],
  keepKeyPath: string | undefined,
): BootPlan {
  const { rootmnt } = facts;
  const root = requireRoot(facts);
  // A driver that is a module is loaded by the kernel itself when the overlay is mounted (it asks
  // modprobe for fs-overlay), as for any filesystem: no modprobe step, no process of our own.
  const driver = chooseDriver(common.driver, facts);
  const withWorkdir = kernelNeedsWorkdir(facts.kernelRelease);
  const dirs = rootOverlayDirs(common.dir, withWorkdir);
  const submounts = classifySubmounts(rootmnt, facts.submounts).map((s) => ({
    ...s,
    dirs: s.treatment === 'overlay' ? nestedOverlayDirs(common.dir, s.relative, withWorkdir) : undefined,
  }));
  const layered = submounts.filter((s) => s.dirs !== undefined);
  const backingDirs = [dirs, ...layered.map((s) => s.dirs!)].flatMap((d) => [d.upper, d.work]).filter((d): d is string => d !== undefined);

  const steps: StepData[] = [
    { kind: 'mkdir', paths: [ROOT_RO, ROOT_RW], mode: 0o755 },
    ...backing(),
    { kind: 'mkdir', paths: backingDirs, mode: 0o755 },
    { kind: 'move-mount', from: rootmnt, to: ROOT_RO },
    // The lower always ends read-only (overlayroot leaves it writable with `rw`: W16).
    ...readOnlyLowers(root, layered.map((s) => s.fact), rootmnt),
    {
      kind: 'write-fstab',
      input: `${ROOT_RO}/etc/fstab`,
      lower: ROOT_RO,
      upper: dirs.upper,
      options: { dir: common.dir, swap: common.swap, recurse: common.recurse, driver, needsWorkdir: withWorkdir, kernelReadOnly: facts.cmdline.remountOverlayReadOnly },
      fabricateRoot: { spec: root.source, fstype: root.fstype, options: root.options.join(',') },
    },
    { kind: 'mkdir-in-upper', lower: ROOT_RO, upper: dirs.upper, paths: [ROOT_RO, ROOT_RW] },
    { kind: 'mount-overlay', source: OVERLAY_SOURCE, target: rootmnt, driver, lower: ROOT_RO, upper: dirs.upper, work: dirs.work },
    // A submount's overlay takes the source name the rewritten fstab gives it (its lower path).
    ...submounts.map((s): StepData => {
      const target = `${rootmnt}${s.relative}`;
      const lower = `${ROOT_RO}${s.relative}`;
      if (!s.dirs) return { kind: 'move-mount', from: lower, to: target };
      return { kind: 'mount-overlay', source: lower, target, driver, lower, upper: s.dirs.upper, work: s.dirs.work };
    }),
    { kind: 'move-mount', from: ROOT_RO, to: `${rootmnt}${ROOT_RO}` },
    { kind: 'move-mount', from: ROOT_RW, to: `${rootmnt}${ROOT_RW}` },
    ...(keepKeyPath ? [{ kind: 'keep-key', path: keepKeyPath } as const] : []),
    ...(facts.cmdline.remountOverlayReadOnly ? [{ kind: 'remount', target: rootmnt, readOnly: true } as const] : []),
  ];
  return {
    version: PLAN_VERSION,
    purpose,
    mode,
    rootmnt,
    driver,
    layout: { rootRo: ROOT_RO, rootRw: ROOT_RW, upper: dirs.upper, work: dirs.work },
    steps: steps.map(toPlanStep),
    notes: planNotes(mode, common, facts),
  };
}

function requireRoot(facts: MachineFacts): MountFact {
  if (facts.root) return facts.root;
  throw new PlanRefusedError(
    `nothing is mounted at ${facts.rootmnt}, so there is no root filesystem to put an overlay on`,
    'The boot stage runs at init-bottom, after the initramfs has mounted the root filesystem at $rootmnt.',
  );
}

function readOnlyLowers(root: MountFact, layered: readonly MountFact[], rootmnt: string): StepData[] {
  return [root, ...layered]
    .filter((fact) => !fact.readOnly)
    .map((fact) => ({ kind: 'remount', target: `${ROOT_RO}${fact.mountPoint.slice(rootmnt.length)}`, readOnly: true }));
}

function planNotes(mode: OverlayMode, common: CommonOptions, facts: MachineFacts): string[] {
  const notes: string[] = [];
  if (mode === 'tmpfs' && !common.tmpfsSize) {
    notes.push(`tmpfs size: the kernel default, half of RAM (${Math.round(facts.memory.totalKiB / 2048)} MiB here); size= sets a limit`);
  }
  if (facts.cmdline.remountOverlayReadOnly) notes.push('`ro` is on the kernel command line: the overlay is remounted read-only at the end; the real init remounts it read-write from fstab');
  return notes;
}
