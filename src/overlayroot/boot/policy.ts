// What happens when the requested overlay cannot be set up (everything it did is already undone):
//   tmpfs (default)  run the tmpfs fallback plan: the root is still protected, nothing reaches a disk
//   halt             stop the boot (exit status 3: the init-bottom script panics with our message)
//   open             boot the root as it was, writable: opt-in, and said loudly
// An undo that failed leaves the machine in a state no plan foresaw: that always stops the boot.
import type { Host } from '../../system/host.js';
import type { FailurePolicy } from '../config/types.js';
import { executePlan, messageOf, type ExecutionResult } from '../execute/executor.js';
import type { BootServices } from '../execute/types.js';
import type { MachineFacts } from '../facts.js';
import { planFallback, type EnabledConfig } from '../plan/planner.js';
import type { BootPlan } from '../plan/types.js';
import type { BootReporter } from '../report.js';
import type { StageOutcome } from './state.js';

export const EXIT_FINISHED = 0;
export const EXIT_UNTOUCHED = 1;
export const EXIT_HALT = 3;

export interface Attempt {
  readonly plan: BootPlan;
  readonly run: ExecutionResult;
}

export interface PolicyInput {
  /** undefined when the configuration itself was invalid (the defaults apply: policy tmpfs). */
  readonly config: EnabledConfig | undefined;
  readonly facts: MachineFacts;
  readonly reason: string;
  /** The requested plan's run, when it got as far as running. */
  readonly attempt: Attempt | undefined;
}

export async function applyFailurePolicy(host: Host, reporter: BootReporter, services: BootServices, input: PolicyInput): Promise<StageOutcome> {
  const { config, facts, reason, attempt } = input;
  const requested = config?.mode ?? 'configured';
  const failed = (exitStatus: number, policy: FailurePolicy, fallbackAttempt?: Attempt): StageOutcome => ({
    exitStatus,
    outcome: 'failed',
    config,
    attempt,
    fallback: { policy, reason, attempt: fallbackAttempt },
  });

  reporter.shout(`could not set up the ${requested} overlay: ${reason}`);
  if (attempt?.run.undoFailed) {
    reporter.shout(`undoing the steps already done failed as well, so ${facts.rootmnt} is in an unknown state: stopping the boot (see /run/initramfs/oroot.log)`);
    return failed(EXIT_HALT, 'halt');
  }
  const policy = config?.common.failure ?? 'tmpfs';
  switch (policy) {
    case 'halt':
      reporter.shout('failure policy halt: stopping the boot');
      return failed(EXIT_HALT, policy);
    case 'open':
      reporter.shout(
        `failure policy open: booting ${facts.rootmnt} WITHOUT an overlay; everything written goes to ${config?.mode === 'crypt' ? 'the root disk in clear text' : 'the root disk'}`,
      );
      return failed(EXIT_FINISHED, policy);
    case 'tmpfs':
      return tmpfsFallback(host, reporter, services, input, failed);
  }
}

async function tmpfsFallback(
  host: Host,
  reporter: BootReporter,
  services: BootServices,
  { config, facts, reason, attempt }: PolicyInput,
  failed: (exitStatus: number, policy: FailurePolicy, fallbackAttempt?: Attempt) => StageOutcome,
): Promise<StageOutcome> {
  let plan: BootPlan;
  try {
    plan = planFallback(config?.mode ?? 'invalid', config?.common, facts);
  } catch (error) {
    reporter.shout(`the tmpfs fallback is impossible as well: ${messageOf(error)}`);
    return failed(EXIT_UNTOUCHED, 'tmpfs');
  }
  for (const note of plan.notes) host.log.info(note);
  const run = await executePlan(host, plan, { services });
  if (!run.ok) {
    reporter.shout(`the tmpfs fallback failed as well: ${messageOf(run.error)}`);
    return failed(run.undoFailed ? EXIT_HALT : EXIT_UNTOUCHED, 'tmpfs', { plan, run });
  }
  reporter.shout('a tmpfs overlay is in place instead (failure policy tmpfs): changes are kept in RAM only and lost at shutdown');
  return { exitStatus: EXIT_FINISHED, outcome: 'fallback', config, attempt, fallback: { policy: 'tmpfs', reason, attempt: { plan, run } } };
}
