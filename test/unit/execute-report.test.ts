// Where the boot stage's messages go: kernel log levels, the log file, the console fallback.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBootReporter } from '../../src/overlayroot/report.js';
import { createHost } from '../../src/system/host.js';
import { tempDir } from '../helpers/machine.js';

let root: string;
let cleanup: () => void;
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir('oroot-report-'));
  mkdirSync(path.join(root, 'dev'));
  mkdirSync(path.join(root, 'proc/sys/kernel'), { recursive: true });
  writeFileSync(path.join(root, 'dev/kmsg'), '');
  writeFileSync(path.join(root, 'dev/console'), '');
  writeFileSync(path.join(root, 'proc/sys/kernel/printk'), '4\t4\t1\t7\n'); // `quiet`
});
afterEach(() => cleanup());

describe('the boot reporter', () => {
  it('writes kernel-log records with the oroot: prefix at the right level, one per line', () => {
    const reporter = openBootReporter(createHost({ root }));
    reporter.logger.info('step 1/9: mount a tmpfs');
    reporter.logger.warn('configuring overlayroot');
    reporter.logger.error('step 2 failed:\nsecond line');
    reporter.logger.debug('+ mount -t tmpfs');
    reporter.shout('a tmpfs overlay is in place instead');
    expect(read('dev/kmsg')).toBe(
      [
        '<6>oroot: step 1/9: mount a tmpfs',
        '<4>oroot: configuring overlayroot',
        '<3>oroot: step 2 failed:',
        '<3>oroot: second line',
        '<2>oroot: a tmpfs overlay is in place instead',
        '',
      ].join('\n'),
    );
    // With `quiet` the console shows KERN_CRIT from the kernel log: nothing written there twice.
    expect(read('dev/console')).toBe('');
  });

  it('writes every record, in order, across the fresh descriptors it takes for the kernel\'s per-descriptor burst', () => {
    const reporter = openBootReporter(createHost({ root }));
    const expected: string[] = [];
    for (let i = 1; i <= 23; i++) {
      reporter.logger.info(i % 5 === 0 ? `record ${i}\ncontinued` : `record ${i}`);
      expected.push(`<6>oroot: record ${i}`, ...(i % 5 === 0 ? ['<6>oroot: continued'] : []));
    }
    reporter.close();
    reporter.logger.warn('after close');
    expect(read('dev/kmsg')).toBe(`${[...expected, '<4>oroot: after close'].join('\n')}\n`);
  });

  it('sends debug lines to the kernel log only with debug=1; the log file always has them', () => {
    const reporter = openBootReporter(createHost({ root }));
    reporter.logger.debug('before');
    reporter.setDebug(true);
    reporter.logger.debug('after');
    expect(read('dev/kmsg')).toBe('<7>oroot: after\n');
    expect(read('run/initramfs/oroot.log')).toMatch(/^\[\s+\d+\.\d{3}\] debug: before\n\[\s+\d+\.\d{3}\] debug: after\n$/);
    expect(statSync(path.join(root, 'run/initramfs/oroot.log')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(root, 'run/initramfs')).mode & 0o777).toBe(0o700);
  });

  it('writes a loud message to the console itself when loglevel= hides even KERN_CRIT', () => {
    writeFileSync(path.join(root, 'proc/sys/kernel/printk'), '1\t4\t1\t7\n');
    openBootReporter(createHost({ root })).shout('stopping the boot');
    expect(read('dev/console')).toBe('oroot: stopping the boot\n');
  });

  it('keeps going without a kernel log or a writable /run (a sink that fails is dropped)', () => {
    const bare = tempDir('oroot-report-bare-');
    try {
      writeFileSync(path.join(bare.dir, 'run'), 'a file where a directory should be');
      const reporter = openBootReporter(createHost({ root: bare.dir }));
      expect(() => {
        reporter.logger.error('nowhere to go');
        reporter.shout('still nowhere');
      }).not.toThrow();
    } finally {
      bare.cleanup();
    }
  });

  it('writes the state file 0600 as JSON, replacing the last one', async () => {
    const reporter = openBootReporter(createHost({ root }));
    const state = { version: 1, startedAt: 'x', durationMs: 1, outcome: 'disabled', requested: { mode: 'disabled', source: '', value: '' }, applied: { mode: 'none' }, steps: [], warnings: [] } as const;
    await reporter.writeState(state);
    await reporter.writeState({ ...state, durationMs: 2 });
    expect(JSON.parse(read('run/initramfs/oroot.state.json'))).toMatchObject({ outcome: 'disabled', durationMs: 2 });
    expect(statSync(path.join(root, 'run/initramfs/oroot.state.json')).mode & 0o777).toBe(0o600);
  });
});
