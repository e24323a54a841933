// The init-bottom stage: config → facts → plan → execute → report, and the failure policy when the
// requested overlay cannot be set up. Exit status (the init-bottom script's contract):
//   0  finished: overlay configured, disabled, or the policy `tmpfs`/`open` applied
//   3  stop the boot: policy `halt`, or an undo that could not restore the root (nothing is safe)
//   1  could not do its job and left $rootmnt as it found it (the script then falls back itself)
import { InputError, OrootError } from '../../errors.js';
import type { Host } from '../../system/host.js';
import type { OverlayConfig } from '../config/types.js';
import { executePlan, messageOf, type ExecuteOptions } from '../execute/executor.js';
import type { BootServices } from '../execute/types.js';
import { backingDevice, probeFacts } from '../facts.js';
import { planBoot } from '../plan/planner.js';
import type { BootPlan } from '../plan/types.js';
import { openBootReporter, type BootReporter } from '../report.js';
import { applyFailurePolicy, EXIT_FINISHED, type Attempt } from './policy.js';
import { buildState, type StageOutcome } from './state.js';
import type { BootState } from '../state.js';

export { EXIT_FINISHED, EXIT_HALT, EXIT_UNTOUCHED } from './policy.js';

export interface BootStageOptions {
  /** Where the initramfs mounted the real root (initramfs-tools' $rootmnt). */
  readonly rootmnt: string;
  readonly services: BootServices;
  /** What the entry found out before the stage began (logged first). */
  readonly notes?: readonly string[];
  /** Fault injection into the requested plan (tests only). */
  readonly inject?: ExecuteOptions['inject'];
}

export interface BootStageResult {
  readonly exitStatus: number;
  readonly state: BootState;
}

export async function runBootStage(baseHost: Host, options: BootStageOptions): Promise<BootStageResult> {
  const startedAt = new Date();
  const reporter = openBootReporter(baseHost);
  const host: Host = { ...baseHost, log: reporter.logger };
  for (const note of options.notes ?? []) host.log.info(note);
  const outcome = await stage(host, reporter, options);
  const state = buildState(outcome, startedAt, Date.now() - startedAt.getTime());
  try {
    await reporter.writeState(state);
  } catch (error) {
    host.log.error(`cannot write the state file: ${messageOf(error)}`);
  }
  host.log.info(`finished: ${state.outcome} (exit status ${outcome.exitStatus}) in ${state.durationMs} ms`);
  reporter.close();
  return { exitStatus: outcome.exitStatus, state };
}

async function stage(host: Host, reporter: BootReporter, options: BootStageOptions): Promise<StageOutcome> {
  const { rootmnt, services } = options;
  let config: OverlayConfig;
  try {
    config = await services.readConfig(host, { rootmnt });
  } catch (error) {
    // The configuration cannot be trusted at all: fail safe with the defaults (policy tmpfs).
    if (!(error instanceof InputError)) host.log.error(`reading the configuration failed unexpectedly: ${messageOf(error)}`);
    const facts = await probeFacts(host, { rootmnt, mode: 'tmpfs' });
    return applyFailurePolicy(host, reporter, services, { config: undefined, facts, reason: `invalid configuration: ${describeError(error)}`, attempt: undefined });
  }
  for (const warning of config.warnings) host.log.warn(warning);
  if (config.mode === 'disabled') {
    host.log.info(`overlayroot is disabled${config.source ? ` (per ${config.source})` : ''}; nothing to do`);
    return { exitStatus: EXIT_FINISHED, outcome: 'disabled', config };
  }
  reporter.setDebug(config.common.debug);
  const facts = await probeFacts(host, { rootmnt, mode: config.mode, device: backingDevice(config) });

  let plan: BootPlan;
  try {
    plan = planBoot(config, facts);
  } catch (error) {
    // The planner refuses before any side effect (no driver, root device as backing store…).
    return applyFailurePolicy(host, reporter, services, { config, facts, reason: describeError(error), attempt: undefined });
  }
  host.log.warn(`configuring overlayroot: mode=${config.mode} driver=${plan.driver} '${config.value}' per ${config.source}`);
  const run = await executePlan(host, plan, { services, key: config.mode === 'crypt' ? config.crypt.key : undefined, inject: options.inject });
  const attempt: Attempt = { plan, run };
  if (!run.ok) return applyFailurePolicy(host, reporter, services, { config, facts, reason: describeError(run.error), attempt });
  const backing = run.state.crypt ? `/dev/mapper/${run.state.crypt.mapname}` : (run.state.device ?? 'tmpfs-root');
  host.log.warn(`configured the root with mode ${config.mode}: upper layer ${plan.layout.upper} on ${backing}`);
  return { exitStatus: EXIT_FINISHED, outcome: 'configured', config, attempt };
}

function describeError(error: unknown): string {
  const hint = error instanceof OrootError && error.hint ? ` (${error.hint})` : '';
  return `${messageOf(error)}${hint}`;
}
