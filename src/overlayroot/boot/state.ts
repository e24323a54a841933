// What one boot did, as the BootState that /run/initramfs/oroot.state.json holds for `oroot status`.
// Built from the stage's outcome only; nothing secret can reach it (plans and records hold none).
import type { FailurePolicy, OverlayConfig } from '../config/types.js';
import type { BootState, StepRecord } from '../state.js';
import { STATE_VERSION } from '../state.js';
import type { Attempt } from './policy.js';

export interface StageOutcome {
  readonly exitStatus: number;
  readonly outcome: BootState['outcome'];
  /** undefined when the configuration could not be read. */
  readonly config: OverlayConfig | undefined;
  /** The requested plan's run, when it got that far. */
  readonly attempt?: Attempt;
  readonly fallback?: { readonly policy: FailurePolicy; readonly reason: string; readonly attempt?: Attempt };
}

export function buildState(outcome: StageOutcome, startedAt: Date, durationMs: number): BootState {
  const { config, attempt, fallback } = outcome;
  const inPlace = outcome.outcome === 'configured' ? attempt : outcome.outcome === 'fallback' ? fallback?.attempt : undefined;
  const runState = attempt?.run.state;
  const entropy = runState?.entropy;
  return {
    version: STATE_VERSION,
    startedAt: startedAt.toISOString(),
    durationMs,
    outcome: outcome.outcome,
    requested: config
      ? { mode: config.mode, source: config.source, value: config.value }
      : { mode: 'invalid', source: 'configuration', value: '' },
    applied: inPlace ? applied(inPlace, config) : { mode: 'none' },
    ...(fallback ? { fallback: { policy: fallback.policy, reason: fallback.reason } } : {}),
    steps: [...records(attempt, ''), ...records(fallback?.attempt, 'fallback: ')],
    warnings: [...(config?.warnings ?? []), ...(runState?.warnings ?? []), ...(fallback?.attempt?.run.state.warnings ?? [])],
    ...(entropy && runState ? { entropy: { ...entropy, sources: [...runState.seedSources, ...entropy.sources] } } : {}),
  };
}

function applied({ plan, run }: Attempt, config: OverlayConfig | undefined): BootState['applied'] {
  const { crypt, device } = run.state;
  const backing = plan.mode === 'tmpfs' ? 'tmpfs-root' : crypt ? `/dev/mapper/${crypt.mapname}` : device;
  return {
    mode: plan.mode,
    ...(backing ? { upper: backing } : {}),
    ...(device ? { backingDevice: device } : {}),
    ...(plan.mode === 'tmpfs' ? { fstype: 'tmpfs' } : config?.mode === 'crypt' ? { fstype: config.crypt.fstype } : {}),
    ...(crypt ? { crypt } : {}),
  };
}

function records(attempt: Attempt | undefined, prefix: string): StepRecord[] {
  return (attempt?.run.records ?? []).map((record) => (prefix ? { ...record, description: `${prefix}${record.description}` } : record));
}
