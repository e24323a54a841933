// Recorded cryptsetup outputs (test/fixtures/cryptsetup) as RunResults, and a host whose `run`
// answers from them while remembering every call, for unit tests of the wrapper's logic.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHost, type Host } from '../../src/system/host.js';
import { memoryLogger, type LogEvent } from '../../src/system/log.js';
import type { RunOptions, RunResult } from '../../src/system/spawn.js';

export const fixturesDir = path.join(import.meta.dirname, '..', 'fixtures', 'cryptsetup');

export interface RecordedRun {
  description?: string;
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

export const recordedRun = (name: string): RecordedRun => JSON.parse(readFileSync(path.join(fixturesDir, `${name}.json`), 'utf8'));
export const fixtureText = (name: string): string => readFileSync(path.join(fixturesDir, name), 'utf8');
export const fixtureBytes = (name: string): Buffer => readFileSync(path.join(fixturesDir, name));

export function resultOf(run: Pick<RecordedRun, 'argv' | 'exitCode' | 'stdout' | 'stderr'>, extra: Partial<RunResult> = {}): RunResult {
  return {
    command: run.argv.join(' '),
    argv: run.argv,
    exitCode: run.exitCode,
    signal: null,
    stdout: run.stdout,
    stdoutBytes: Buffer.from(run.stdout),
    stderr: run.stderr,
    durationMs: 12,
    failed: run.exitCode !== 0,
    timedOut: false,
    ...extra,
  };
}

export const ok = (stdout = ''): RecordedRun => ({ argv: [], exitCode: 0, stdout, stderr: '' });

export interface Call {
  argv: readonly string[];
  options: RunOptions;
  /** A copy of stdin taken at call time (the wrapper zeroes its own buffers afterwards). */
  input: Buffer | undefined;
}

export interface FakeMachine {
  host: Host;
  root: string;
  calls: Call[];
  events: LogEvent[];
  /** Queue the answer for the next cryptsetup call whose action (argv[1]) is `action`. */
  answer(action: string, run: RecordedRun, sideEffect?: () => void): void;
}

/**
 * A fixture root with an executable usr/sbin/cryptsetup (so the path lookup succeeds) and a
 * `run` that answers queued recorded outputs per action. Unanswered calls fail the test loudly.
 */
export function fakeMachine(root: string): FakeMachine {
  mkdirSync(path.join(root, 'usr/sbin'), { recursive: true });
  writeFileSync(path.join(root, 'usr/sbin/cryptsetup'), '#!/bin/false\n');
  chmodSync(path.join(root, 'usr/sbin/cryptsetup'), 0o755);
  const calls: Call[] = [];
  const queue = new Map<string, Array<{ run: RecordedRun; sideEffect?: () => void }>>();
  const log = memoryLogger();
  const host = createHost({
    root,
    log,
    run: async (argv, options = {}) => {
      calls.push({ argv, options, input: options.input === undefined ? undefined : Buffer.from(options.input) });
      const next = queue.get(argv[1] ?? '')?.shift();
      if (!next) throw new Error(`unexpected command: ${argv.join(' ')}`);
      next.sideEffect?.();
      return resultOf({ ...next.run, argv: [...argv] });
    },
  });
  return {
    host,
    root,
    calls,
    events: log.events,
    answer(action, run, sideEffect) {
      const list = queue.get(action) ?? [];
      list.push({ run, sideEffect });
      queue.set(action, list);
    },
  };
}
