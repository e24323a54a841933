// The entropy commands as a user runs them, on this machine. Every passphrase a command produces
// is collected, and afterwards every stdout and stderr of every command is searched for it.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { requireTool, tempDir } from '../helpers/machine.js';
import { aesStream } from '../fixtures/entropy/fixture.js';

const HEX128 = /^[0-9a-f]{128}$/;
const passphrases: string[] = [];
const outputs: Array<{ args: readonly string[]; stdout: string; stderr: string; wantsPassphraseOnStdout: boolean }> = [];
let dir: string;
let cleanup: () => void;

async function oroot(args: readonly string[], options: { passphraseOnStdout?: boolean } = {}): Promise<CliResult> {
  const result = await runCli(args);
  outputs.push({ args, stdout: result.stdout, stderr: result.stderr, wantsPassphraseOnStdout: options.passphraseOnStdout ?? false });
  return result;
}

beforeAll(() => ({ dir, cleanup } = tempDir('oroot-entropy-cli-')));
afterAll(() => cleanup());

describe('oroot passphrase', () => {
  it('writes 128 lowercase hex characters to a new 0600 file, and nothing secret to the terminal', async () => {
    const file = path.join(dir, 'one.key');
    const result = await oroot(['passphrase', '--output', file]);
    expect(result.exitCode).toBe(0);
    const passphrase = readFileSync(file, 'ascii');
    passphrases.push(passphrase);
    expect(passphrase).toMatch(HEX128);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`wrote a 128-character passphrase to ${file} (mode 0600)`);
    expect(result.stderr).toMatch(/kernel CRNG ready/);
  });

  it('two runs give different passphrases', async () => {
    const file = path.join(dir, 'two.key');
    expect((await oroot(['passphrase', '--output', file, '--device', path.join(dir, 'one.key')])).exitCode).toBe(0);
    passphrases.push(readFileSync(file, 'ascii'));
    expect(passphrases[1]).toMatch(HEX128);
    expect(passphrases[1]).not.toBe(passphrases[0]);
  });

  it('refuses to overwrite an existing file and leaves it alone', async () => {
    const file = path.join(dir, 'one.key');
    const before = readFileSync(file);
    const result = await oroot(['passphrase', '--output', file]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${file} already exists; refusing to overwrite it`);
    expect(readFileSync(file)).toEqual(before);
  });

  it('writes to standard output only when asked with --output -', async () => {
    const result = await oroot(['passphrase', '--output', '-'], { passphraseOnStdout: true });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(HEX128); // no newline either
    passphrases.push(result.stdout);
    expect(result.stderr).toContain('to standard output');
  });

  it('demands --output and names a mistyped device', async () => {
    const missing = await oroot(['passphrase']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/required option '-o, --output <file>' not specified/);
    const typo = await oroot(['passphrase', '--device', '/dev/nonexistent-disk', '--output', path.join(dir, 'never.key')]);
    expect(typo.exitCode).toBe(3);
    expect(typo.stderr).toContain('oroot: --device /dev/nonexistent-disk: cannot use it (ENOENT)');
  });
});

describe('oroot entropy report', () => {
  it('lists each source with status, bytes and time', async () => {
    const result = await oroot(['entropy', 'report']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^kernel CRNG: ready/);
    expect(result.stdout).toMatch(/^csprng\s+ok\s+4096\s+[\d.]+\s+\/dev\/urandom$/m);
    expect(result.stdout).toMatch(/^stat:\/proc\s+ok\s+\d+/m);
    expect(result.stdout).toMatch(/^device\s+skipped/m);
  });

  it('--json gives the boot state shape, with no bytes in it', async () => {
    const result = await oroot(['entropy', 'report', '--json', '--device', path.join(dir, 'one.key')]);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as { crngReady: boolean; crngWaitMs: number; sources: Array<Record<string, unknown>> };
    expect(report.crngReady).toBe(true);
    expect(typeof report.crngWaitMs).toBe('number');
    for (const source of report.sources) expect(Object.keys(source).sort()).toEqual(expect.arrayContaining(['bytes', 'durationMs', 'name', 'status']));
    expect(report.sources.find((s) => s.name === 'device')).toMatchObject({ status: 'ok', bytes: 128 });
    expect(report.sources.some((s) => String(s.name).startsWith('mix:'))).toBe(false); // a report does not write seeds
  });
});

describe('oroot entropy check', () => {
  it('passes the kernel CSPRNG and prints pass/fail counts per test', async () => {
    const result = await oroot(['entropy', 'check', '--blocks', '50']);
    expect(result.exitCode).toBe(0);
    for (const test of ['monobit', 'poker', 'runs', 'long run', 'continuous']) expect(result.stdout).toMatch(new RegExp(`^${test}\\s+\\d+\\s+\\d+$`, 'm'));
    expect(result.stdout).toMatch(/^verdict: pass/m);
  });

  it('fails an all-zero source with exit status 1', async () => {
    const zeros = path.join(dir, 'zeros.bin');
    writeFileSync(zeros, Buffer.alloc(4 + 3 * 2500));
    const result = await oroot(['entropy', 'check', '--source', zeros, '--blocks', '3']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^monobit\s+0\s+3$/m);
    expect(result.stdout).toMatch(/^verdict: FAIL: 3 failing blocks/m);
  });

  it('rejects a block count it cannot judge, and a source that is too short', async () => {
    const one = await oroot(['entropy', 'check', '--blocks', '1']);
    expect(one.exitCode).toBe(2);
    expect(one.stderr).toMatch(/expected a whole number from 2 to 1,000,000/);
    const short = path.join(dir, 'short.bin');
    writeFileSync(short, Buffer.alloc(4 + 2500));
    const result = await oroot(['entropy', 'check', '--source', short, '--blocks', '5']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(`oroot: --source ${short}: ended after 2504 bytes; 5 blocks need 12504`);
    expect(result.stderr).toContain('oroot: Use --blocks 1 or a longer source.');
  });

  it('counts exactly what rngtest counts on the same stream', async () => {
    const rngtest = requireTool('rngtest');
    const file = path.join(dir, 'mixed.bin');
    const blocks = mixedQualityBlocks(600);
    writeFileSync(file, Buffer.concat([aesStream(4, 99), ...blocks]));
    const ours = await oroot(['entropy', 'check', '--source', file, '--blocks', String(blocks.length), '--json']);
    const theirs = spawnSync(rngtest, [], { input: readFileSync(file) }).stderr.toString();
    const count = (label: string): number => Number(new RegExp(`${label}: (\\d+)`).exec(theirs)?.[1]);
    const result = JSON.parse(ours.stdout) as { failedBlocks: number; failures: Record<string, number> };
    expect(count('FIPS 140-2 successes')).toBe(blocks.length - result.failedBlocks);
    expect(result.failures).toEqual({
      monobit: count('Monobit'),
      poker: count('Poker'),
      runs: count('Runs'),
      longRun: count('Long run'),
      continuous: count('Continuous run'),
    });
    expect(result.failedBlocks).toBeGreaterThan(100); // the stream really exercises every test
    for (const value of Object.values(result.failures)) expect(value).toBeGreaterThan(0);
  });
});

describe('no command lets the passphrase out', () => {
  it('appears nowhere in stdout or stderr, except on the stdout of `--output -`', () => {
    expect(passphrases.length).toBe(3);
    expect(outputs.length).toBeGreaterThan(10);
    for (const output of outputs) {
      for (const passphrase of passphrases) {
        for (const fragment of [passphrase, passphrase.slice(0, 32), passphrase.slice(64, 96)]) {
          expect(output.stderr, output.args.join(' ')).not.toContain(fragment);
          if (!output.wantsPassphraseOnStdout) expect(output.stdout, output.args.join(' ')).not.toContain(fragment);
        }
      }
    }
  });
});

/** Blocks from a deterministic CSPRNG, some of them damaged in ways each FIPS test detects. */
function mixedQualityBlocks(count: number): Buffer[] {
  const blocks: Buffer[] = [];
  for (let i = 0; i < count; i += 1) {
    const block = aesStream(2500, (i % 250) + 1).subarray(0, 2500);
    const damage = i % 6;
    if (damage === 1) block.fill(0, 0, (i * 7) % 150); // zero bytes: monobit, poker, long runs near their limits
    if (damage === 2) block.fill(0xff, 1000, 1000 + (i % 5)); // runs of 8–32 ones
    if (damage === 3) block.copy(block, 1204, 1200, 1204); // a repeated 32-bit word
    if (damage === 4) for (let j = 0; j < (i * 3) % 400; j += 1) block[j * 6] = 0x55; // too many short runs
    blocks.push(block);
  }
  return blocks;
}
