// The boot-only entry's words and its error mapping: an error that escapes the stage must become
// "nothing done" (1), never the CLI's 3 for an InputError, which the init-bottom script reads as
// "stop the boot"; the stage's own 0/1/3 pass through unchanged.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExitError, InputError, InternalError, UsageError } from '../../src/errors.js';
import { runBoot, runBootWords, type StageRunner } from '../../src/overlayroot/boot/run.js';
import { reportError } from '../../src/report-error.js';
import { VERSION } from '../../src/version.js';

let stderr: string;
let stdout: string;
beforeEach(() => {
  stderr = '';
  stdout = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((text) => ((stderr += String(text)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((text) => ((stdout += String(text)), true));
});
afterEach(() => vi.restoreAllMocks());

/** A stage that records the root mount it was given and answers `exitStatus`, or throws `error`. */
function fakeStage(outcome: { exitStatus: number } | { error: unknown }): StageRunner & { calls: string[] } {
  const calls: string[] = [];
  const stage = async (rootmnt: string) => {
    calls.push(rootmnt);
    if ('error' in outcome) throw outcome.error;
    return { exitStatus: outcome.exitStatus };
  };
  return Object.assign(stage, { calls });
}

describe('runBoot', () => {
  it.each([0, 1, 3])('passes the stage status %i through', async (status) => {
    expect(await runBoot('/root', fakeStage({ exitStatus: status }))).toBe(status);
    expect(stderr).toBe('');
  });

  it('maps an escaped InputError (exit 3 in the CLI) to 1, nothing done, and reports it', async () => {
    const error = new InputError('/etc/overlayroot.conf:3', 'unknown mode', { hint: 'Fix the line.' });
    expect(error.exitStatus).toBe(3);
    expect(await runBoot('/root', fakeStage({ error }))).toBe(1);
    expect(stderr).toBe('oroot: /etc/overlayroot.conf:3: unknown mode\noroot: Fix the line.\n');
  });

  it('maps any other escaped error to 1 with the stack on stderr', async () => {
    expect(await runBoot('/root', fakeStage({ error: new TypeError('x is undefined') }))).toBe(1);
    expect(stderr).toMatch(/^oroot: internal error: TypeError: x is undefined\n\s+at /);
  });
});

describe('runBootWords', () => {
  it.each([
    [['boot', '--rootmnt', '/root'], '/root'],
    [['boot', '--rootmnt=/mnt/new root'], '/mnt/new root'],
  ])('%j runs the stage on %s', async (words, rootmnt) => {
    const stage = fakeStage({ exitStatus: 3 });
    expect(await runBootWords(words, stage)).toBe(3);
    expect(stage.calls).toEqual([rootmnt]);
  });

  it.each([[[]], [['boot']], [['boot', '--rootmnt']], [['boot', '--rootmnt', 'root']], [['boot', '--rootmnt', '/root', 'extra']], [['status']], [['boot', '--root', '/root']]])(
    'refuses %j with a usage message, exit 1, and runs nothing',
    async (words) => {
      const stage = fakeStage({ exitStatus: 0 });
      expect(await runBootWords(words, stage)).toBe(1);
      expect(stage.calls).toEqual([]);
      expect(stderr).toMatch(/^oroot: unexpected arguments: .+\noroot: usage: oroot-boot boot --rootmnt DIR \(an absolute path\)\n$/);
    },
  );

  it('`version` prints the version and touches nothing', async () => {
    const stage = fakeStage({ exitStatus: 3 });
    expect(await runBootWords(['version'], stage)).toBe(0);
    expect(stdout).toBe(`oroot-boot ${VERSION}\n`);
    expect(stage.calls).toEqual([]);
  });
});

describe('reportError', () => {
  it('prints message and hint of an oroot error and returns its status', () => {
    const lines: string[] = [];
    expect(reportError(new UsageError('bad flag', { hint: 'see --help' }), (text) => lines.push(text))).toBe(2);
    expect(lines).toEqual(['oroot: bad flag\n', 'oroot: see --help\n']);
    lines.length = 0;
    expect(reportError(new InternalError('broken'), (text) => lines.push(text))).toBe(70);
    expect(lines).toEqual(['oroot: broken\n', 'oroot: This is a bug in oroot; please report it with the command you ran.\n']);
  });

  it('prints nothing but the status for an ExitError (already reported)', () => {
    const lines: string[] = [];
    expect(reportError(new ExitError(3), (text) => lines.push(text))).toBe(3);
    expect(lines).toEqual([]);
  });

  it('a non-Error value is an internal error (70)', () => {
    const lines: string[] = [];
    expect(reportError('a string', (text) => lines.push(text))).toBe(70);
    expect(lines).toEqual(['oroot: internal error: a string\n']);
  });
});
