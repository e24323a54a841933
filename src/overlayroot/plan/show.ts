// `oroot plan`: what the next boot would do, computed from the configuration of a root filesystem
// and the facts of this machine, printed as a trace or JSON. Touches nothing: the config disk is not
// searched (that would mount it), modprobe is not run, nothing is written except --output.
import { readFile } from 'node:fs/promises';
import { OrootError, UsageError } from '../../errors.js';
import { writeNewFile } from '../../system/files.js';
import type { Host } from '../../system/host.js';
import { readConfig } from '../config/read.js';
import type { OverlayConfig } from '../config/types.js';
import { backingDevice, probeFacts, type MachineFacts } from '../facts.js';
import { readMounts } from '../facts-mounts.js';
import { planBoot, planFallback } from './planner.js';
import { renderTrace } from './trace.js';
import { PLAN_VERSION, type BootPlan } from './types.js';

/** Where initramfs-tools mounts the root: the plan shows the boot's paths, not this machine's. */
const BOOT_ROOTMNT = '/root';

export interface ShowPlanOptions {
  readonly cmdline?: string;
  readonly cmdlineFile?: string;
  /** The root filesystem whose configuration the boot would read; default: this system's lower layer or /. */
  readonly root?: string;
  readonly json?: boolean;
  readonly output?: string;
}

export interface ShownPlan {
  readonly text: string;
  /** 0, or 1 when the planner refuses and the failure policy would take over. */
  readonly exitStatus: number;
}

export async function showPlan(host: Host, options: ShowPlanOptions): Promise<ShownPlan> {
  if (options.cmdline !== undefined && options.cmdlineFile !== undefined) throw new UsageError('give --cmdline or --cmdline-file, not both');
  const cmdline = options.cmdline ?? (options.cmdlineFile !== undefined ? await readCmdlineFile(options.cmdlineFile) : undefined);
  const rootDir = options.root ?? (await defaultRoot(host));
  const config = await readConfig(host, { rootmnt: rootDir, cmdline, cfgdisk: 'skip' });
  const header = headerLines(config, rootDir);
  if (config.mode === 'disabled') {
    return { text: `${header.join('\n')}\n# overlayroot is disabled: the boot stage does nothing.\n`, exitStatus: 0 };
  }
  const facts = await bootFacts(host, rootDir, config, cmdline);
  let plan: BootPlan | undefined;
  let refusal: string | undefined;
  try {
    plan = planBoot(config, facts);
  } catch (error) {
    if (!(error instanceof OrootError)) throw error;
    refusal = `${error.message}${error.hint ? ` (${error.hint})` : ''}`;
  }
  const fallback = config.common.failure === 'tmpfs' ? safeFallback(config, facts) : undefined;
  const data = { version: PLAN_VERSION, plan: plan ?? null, fallback: fallback ?? null, ...(refusal ? { refused: refusal } : {}) };
  if (options.output) await writeNewFile(options.output, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o644, overwrite: true });

  const text = options.json
    ? `${JSON.stringify(data, null, 2)}\n`
    : [
        ...header,
        `# machine: kernel ${facts.kernelRelease}, overlay driver ${plan?.driver ?? 'none'}, root ${facts.root?.source} (${facts.root?.fstype}) mounted ${facts.cmdline.rootMountedReadOnly ? 'read-only' : 'read-write'} at ${BOOT_ROOTMNT}`,
        ...warnings(config),
        refusal ? `# the boot would refuse this plan: ${refusal}` : '',
        plan ? renderTrace(plan) : '',
        `# on a failure, every step done so far is undone in reverse, then the failure policy ${config.common.failure} applies${fallback ? ': the tmpfs fallback plan' : ''}`,
        fallback ? renderTrace(fallback).trimEnd().replace(/^/gm, '#   ') : '',
      ]
        .filter((line) => line !== '')
        .join('\n') + '\n';
  return { text, exitStatus: plan ? 0 : 1 };
}

function headerLines(config: OverlayConfig, rootDir: string): string[] {
  const lines = [`# oroot plan v${PLAN_VERSION}: ${config.mode === 'disabled' ? 'disabled' : `${config.mode} mode`} per ${config.source || 'built-in default'}${config.value ? ` ('${config.value}')` : ''}`];
  lines.push(`# configuration read from ${rootDir}${rootDir === '/' ? '' : ' (the root filesystem the boot mounts)'}`);
  if (config.cfgdisk) lines.push(`# config disk ${config.cfgdisk.spec} not searched (planning never mounts anything): its overlayroot.conf would override the files above`);
  return lines;
}

function warnings(config: OverlayConfig): string[] {
  return config.warnings.map((warning) => `# warning: ${warning}`);
}

function safeFallback(config: Exclude<OverlayConfig, { mode: 'disabled' }>, facts: MachineFacts): BootPlan | undefined {
  try {
    return planFallback(config.mode, config.common, facts);
  } catch {
    return undefined;
  }
}

/** The facts of this machine, with the root as the initramfs will have mounted it at /root. */
async function bootFacts(host: Host, rootDir: string, config: Exclude<OverlayConfig, { mode: 'disabled' }>, cmdline: string | undefined): Promise<MachineFacts> {
  const live = await probeFacts(host, { rootmnt: rootDir, mode: config.mode, device: backingDevice(config), cmdline });
  const usr = live.submounts.find((m) => m.mountPoint === `${rootDir === '/' ? '' : rootDir}/usr`);
  const root = live.root ?? { mountPoint: BOOT_ROOTMNT, source: '<root device>', fstype: 'auto', readOnly: true, options: [], majorMinor: '' };
  return {
    ...live,
    rootmnt: BOOT_ROOTMNT,
    root: { ...root, mountPoint: BOOT_ROOTMNT, readOnly: live.cmdline.rootMountedReadOnly },
    // initramfs-tools mounts a separate /usr before init-bottom, and nothing else.
    submounts: usr ? [{ ...usr, mountPoint: `${BOOT_ROOTMNT}/usr`, readOnly: live.cmdline.rootMountedReadOnly }] : [],
  };
}

/** On a system booted with an overlay, the next boot reads the lower layer's configuration. */
async function defaultRoot(host: Host): Promise<string> {
  const mounts = await readMounts(host, '/');
  const overlayRoot = mounts.root?.fstype === 'overlay' && mounts.root.source === 'overlayroot';
  return overlayRoot && mounts.submounts.some((m) => m.mountPoint === '/media/root-ro') ? '/media/root-ro' : '/';
}

async function readCmdlineFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --cmdline-file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
