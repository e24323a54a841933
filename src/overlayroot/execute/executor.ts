// Runs a BootPlan through the host, one step at a time, and records each. On a failure it undoes
// everything done so far in reverse order (including what the failing step did before it failed);
// the step's error stays the primary error and undo errors are collected beside it. The key is
// wiped when the run ends, however it ends.
import { OrootError } from '../../errors.js';
import type { Host } from '../../system/host.js';
import type { KeyRef } from '../config/types.js';
import type { PlanStep, StepKind, BootPlan } from '../plan/types.js';
import type { StepRecord } from '../state.js';
import { attachVolume, deriveKey, loadKey, makeFilesystem, seedUrandom } from './crypt-steps.js';
import { keepKey, makeDirs, makeDirsInUpper, writeFstab } from './file-steps.js';
import { mountOverlay, runProgramStep } from './program-steps.js';
import type { BootServices, Defer, RunState, StepHandler } from './types.js';
import { waitForDevice } from './wait-device.js';

const HANDLERS: { readonly [K in StepKind]: StepHandler<Extract<PlanStep, { kind: K }>> } = {
  mkdir: makeDirs,
  'mkdir-in-upper': makeDirsInUpper,
  'mount-tmpfs': runProgramStep,
  'wait-device': waitForDevice,
  'seed-urandom': seedUrandom,
  'derive-key': deriveKey,
  'load-key': loadKey,
  'crypt-attach': attachVolume,
  mkfs: makeFilesystem,
  mount: runProgramStep,
  'move-mount': runProgramStep,
  remount: runProgramStep,
  'mount-overlay': mountOverlay,
  'write-fstab': writeFstab,
  'keep-key': keepKey,
};

export interface ExecuteOptions {
  readonly services: BootServices;
  /** The configuration's key reference (the plan carries only its public part). */
  readonly key?: KeyRef;
  /**
   * Fault injection for tests: called before and after every step; throwing makes that step fail
   * ('before': nothing of it done; 'after': all of it done). Production code never sets it.
   */
  readonly inject?: (index: number, phase: 'before' | 'after', step: PlanStep) => void;
}

export interface ExecutionResult {
  readonly ok: boolean;
  readonly records: readonly StepRecord[];
  /** The error of the step that failed. */
  readonly error?: StepFailedError;
  /** Undo could not restore everything: the machine is in a state nobody planned. */
  readonly undoFailed: boolean;
  readonly state: RunState;
}

/** A step failed; `primary` is its error, `undoErrors` what went wrong while undoing. */
export class StepFailedError extends OrootError {
  override name = 'StepFailedError';
  constructor(
    readonly index: number,
    readonly step: PlanStep,
    readonly primary: unknown,
    readonly undoErrors: readonly Error[],
  ) {
    // Our own errors are written to be read as they are; anything else gets the step for context.
    super(primary instanceof OrootError ? primary.message : `${step.description}: ${messageOf(primary)}`, undefined, {
      cause: undoErrors.length > 0 ? new AggregateError(undoErrors, `undo failed ${undoErrors.length} time(s)`) : primary,
      hint: primary instanceof OrootError ? primary.hint : undefined,
    });
  }
}

export async function executePlan(host: Host, plan: BootPlan, options: ExecuteOptions): Promise<ExecutionResult> {
  const state: RunState = {
    host,
    services: options.services,
    key: options.key,
    render: { map: (machinePath) => host.path(machinePath) },
    device: undefined,
    secret: undefined,
    formatted: false,
    filesystems: new Map(),
    crypt: undefined,
    entropy: undefined,
    seedSources: [],
    warnings: [],
  };
  const records: Mutable<StepRecord>[] = plan.steps.map((step) => ({ kind: step.kind, description: step.description, status: 'skipped', durationMs: 0 }));
  const undoStack: { index: number; description: string; undo: () => Promise<void> }[] = [];
  try {
    for (const [index, step] of plan.steps.entries()) {
      const defer: Defer = (description, undo) => undoStack.push({ index, description, undo });
      const started = performance.now();
      host.log.info(`step ${index + 1}/${plan.steps.length}: ${step.description}`);
      host.log.debug(`+ ${step.command.join(' ')}`);
      try {
        options.inject?.(index, 'before', step);
        await (HANDLERS[step.kind] as StepHandler)(step, state, defer);
        options.inject?.(index, 'after', step);
        records[index] = { ...records[index]!, status: 'done', durationMs: elapsed(started) };
      } catch (error) {
        records[index] = { ...records[index]!, status: 'failed', durationMs: elapsed(started), error: messageOf(error) };
        host.log.error(`step ${index + 1} failed: ${step.description}: ${messageOf(error)}`);
        const undoErrors = await undoAll(host, undoStack, records);
        return { ok: false, records, error: new StepFailedError(index, step, error, undoErrors), undoFailed: undoErrors.length > 0, state };
      }
    }
    return { ok: true, records, undoFailed: false, state };
  } finally {
    state.secret?.wipe();
  }
}

/** Undo in reverse; keep going past a failed undo (later ones may still succeed) and report all. */
async function undoAll(host: Host, stack: { index: number; description: string; undo: () => Promise<void> }[], records: Mutable<StepRecord>[]): Promise<Error[]> {
  const errors: Error[] = [];
  while (stack.length > 0) {
    const { index, description, undo } = stack.pop()!;
    const record = records[index]!;
    try {
      await undo();
      host.log.info(`undo: ${description}`);
      if (record.status === 'done') records[index] = { ...record, status: 'undone' };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      errors.push(failure);
      host.log.error(`undo failed: ${description}: ${failure.message}`);
      records[index] = { ...record, status: 'undo-failed', error: record.error ?? failure.message };
    }
  }
  return errors;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
