// `oroot userdata` as a user runs it: the built CLI, real files, exit codes and streams.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { generateUserData } from '../../src/cloudinit/generate.js';
import { UsageError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/machine.js';

const scratch = tempDir('oroot-userdata-cli-');
afterAll(() => scratch.cleanup());
const at = (name: string) => path.join(scratch.dir, name);
const fixture = (name: string) => path.resolve(import.meta.dirname, '../fixtures/userdata', name);
const mode = (file: string) => statSync(file).mode & 0o777;

interface SeedDoc {
  write_files: Array<{ content: string }>;
}
const seedOf = (text: string | Buffer) => Buffer.from((yaml.load(text.toString()) as SeedDoc).write_files[0]!.content, 'base64');

describe('oroot userdata: output', () => {
  it('prints a #cloud-config with a 512-byte seed and nothing on stderr', async () => {
    const result = await runCli(['userdata']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.startsWith('#cloud-config\n')).toBe(true);
    expect(seedOf(result.stdout).length).toBe(512);
  });

  it('gives a different seed every run', async () => {
    const [a, b] = await Promise.all([runCli(['userdata']), runCli(['userdata'])]);
    expect(seedOf(a.stdout).equals(seedOf(b.stdout))).toBe(false);
  });

  it('takes --bytes and --source, and is deterministic apart from the seed', async () => {
    const known = Buffer.from(Array.from({ length: 64 }, (_, i) => 255 - i));
    writeFileSync(at('seed.bin'), known);
    const args = ['userdata', '--bytes', '64', '--source', at('seed.bin'), '--merge', fixture('user.mime'), '--random-seed'];
    const [first, second] = [await runCli(args), await runCli(args)];
    expect(first.stdout).toBe(second.stdout);
    const plain = await runCli(['userdata', '--bytes', '64', '--source', at('seed.bin')]);
    expect(seedOf(plain.stdout).equals(known)).toBe(true);
  });

  it('writes --output with mode 0600, refuses to overwrite it, and replaces it with --force', async () => {
    const file = at('out.yaml');
    const first = await runCli(['userdata', '--output', file]);
    expect([first.exitCode, first.stdout]).toEqual([0, '']);
    expect(mode(file)).toBe(0o600);
    const before = readFileSync(file);
    const again = await runCli(['userdata', '--output', file]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain(`oroot: ${file} already exists; refusing to overwrite it`);
    expect(readFileSync(file).equals(before)).toBe(true);
    const forced = await runCli(['userdata', '-o', file, '--force']);
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(file).equals(before)).toBe(false);
    expect(mode(file)).toBe(0o600);
  });

  it('writes a fleet: --count files, each 0600 with its own seed, and will not overwrite it', async () => {
    const dir = at('fleet');
    const result = await runCli(['userdata', '--count', '50', '--out-dir', dir]);
    expect(result.exitCode).toBe(0);
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(50);
    expect(names[0]).toBe('user-data-0001');
    expect(names[49]).toBe('user-data-0050');
    const seeds = names.map((name) => seedOf(readFileSync(path.join(dir, name))).toString('hex'));
    expect(new Set(seeds).size).toBe(50);
    expect(names.every((name) => mode(path.join(dir, name)) === 0o600)).toBe(true);
    const again = await runCli(['userdata', '--count', '60', '--out-dir', dir]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain(`${path.join(dir, 'user-data-0001')} already exists (and 49 more); refusing to overwrite`);
    expect(readdirSync(dir)).toHaveLength(50);
  });

  it('gzips on request; binary output to a file or pipe', async () => {
    const file = at('seed.gz');
    expect((await runCli(['userdata', '--gzip', '--output', file])).exitCode).toBe(0);
    expect(seedOf(gunzipSync(readFileSync(file))).length).toBe(512);
    const piped = await runCli(['userdata', '--gzip']);
    expect(gunzipSync(piped.stdoutBytes).toString()).toMatch(/^#cloud-config\n/);
  });

  it('keeps gzip input gzip and merges inside it', async () => {
    const input = at('in.gz');
    writeFileSync(input, gzipSync(readFileSync(fixture('cloud-config-no-write-files.yaml'))));
    const result = await runCli(['userdata', '--merge', input]);
    expect(result.exitCode).toBe(0);
    expect(yaml.load(gunzipSync(result.stdoutBytes).toString())).toMatchObject({ timezone: 'UTC', write_files: [{ path: '/dev/urandom' }] });
  });

  it('reads --merge - from stdin', async () => {
    const result = await runCli(['userdata', '--merge', '-'], { input: '#cloud-config\nhostname: from-stdin\n' });
    expect(yaml.load(result.stdout)).toMatchObject({ hostname: 'from-stdin' });
  });
});

describe('oroot userdata: sizes on stderr only when they matter', () => {
  it('--verbose prints how the input was read and the sizes', async () => {
    const result = await runCli(['userdata', '-v', '--merge', fixture('script.sh')]);
    expect(result.stderr).toMatch(/script\.sh: shellscript user-data, wrapped in MIME/);
    expect(result.stderr).toMatch(new RegExp(`user-data: ${result.stdoutBytes.length} bytes, ${Math.ceil(result.stdoutBytes.length / 3) * 4} in base64; limit ec2 \\(16384 raw bytes\\)`));
  });

  it('prints sizes unasked when the output is near the limit', async () => {
    const result = await runCli(['userdata', '--limit', '900']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/^oroot: user-data: \d+ bytes, \d+ in base64; limit 900 bytes \(900 raw bytes\)\n$/);
  });

  it('gzips to fit, says so, and says how to pass binary user-data', async () => {
    const big = `#cloud-config\nbootcmd:\n${'  - echo padding padding padding padding\n'.repeat(500)}`;
    writeFileSync(at('big.yaml'), big);
    const result = await runCli(['userdata', '--merge', at('big.yaml'), '--output', at('big.out')]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/gzipped to fit the ec2 limit: as text it would be \d+ bytes/);
    expect(result.stderr).toMatch(/fileb:\/\//);
    expect(gunzipSync(readFileSync(at('big.out'))).toString()).toContain('echo padding');
  });
});

describe('oroot userdata: refusals write nothing', () => {
  it('invalid --merge input: exit 3, file:line:column, no --output file', async () => {
    writeFileSync(at('bad.yaml'), '#cloud-config\npackages: [a, b\n');
    const output = at('never.yaml');
    const result = await runCli(['userdata', '--merge', at('bad.yaml'), '--output', output]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(`oroot: ${at('bad.yaml')}:3:1: invalid YAML: unexpected end of the stream within a flow collection`);
    expect(result.stdout).toBe('');
    expect(existsSync(output)).toBe(false);
  });

  it('invalid MIME in a fleet: exit 3 and no directory contents', async () => {
    writeFileSync(at('bad.mime'), 'Content-Type: multipart/mixed; boundary=b\nMIME-Version: 1.0\n\n--b\n\n#!/bin/sh\n');
    const result = await runCli(['userdata', '--merge', at('bad.mime'), '--count', '3', '--out-dir', at('bad-fleet')]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('there is no closing boundary line "--b--"');
    expect(existsSync(at('bad-fleet'))).toBe(false);
  });

  it('a file that cannot be written: exit 1, named, no stack trace', async () => {
    const result = await runCli(['userdata', '--output', '/nonexistent-dir/user-data']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('oroot: cannot write /nonexistent-dir/user-data: no such file or directory\n');
  });

  it('a fleet that fails halfway removes the files it had written', async () => {
    const dir = at('half-fleet');
    mkdirSync(path.join(dir, 'user-data-0040'), { recursive: true }); // --force cannot replace a directory
    const result = await runCli(['userdata', '--count', '80', '--out-dir', dir, '--force']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`oroot: cannot write ${path.join(dir, 'user-data-0040')}: is a directory`);
    expect(readdirSync(dir)).toEqual(['user-data-0040']);
  });

  it('too big for the limit: exit 2 with the sizes', async () => {
    const result = await runCli(['userdata', '--limit', '500', '--no-gzip', '--output', at('small.yaml')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/the user-data would be \d+ bytes, over the 500 bytes limit of 500 raw bytes/);
    expect(existsSync(at('small.yaml'))).toBe(false);
  });

  it.each([
    [['--bytes', '16'], '--bytes 16: the seed size must be a whole number of bytes from 32 to 8192'],
    [['--count', '3'], '--count needs --out-dir DIR to put the files in'],
    [['--count', '0', '--out-dir', '/tmp/x'], '--count 0: expected a whole number from 1 to 100000'],
    [['--output', 'a', '--out-dir', 'b'], '--output and --out-dir cannot be used together'],
    [['--limit', 'gcp'], '--limit gcp: expected one of ec2, eucalyptus, openstack, none'],
    [['--merge', '/nonexistent/ud.yaml'], '--merge /nonexistent/ud.yaml: cannot read it: no such file'],
  ])('usage error %j exits 2', async (args, message) => {
    const result = await runCli(['userdata', ...args]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`oroot: ${message}`);
    expect(result.stdout).toBe('');
  });

  it('refuses gzip to a terminal and suggests --output', async () => {
    const stdout = Object.assign(new PassThrough(), { isTTY: true });
    const error = await generateUserData({ gzip: true }, { stdout, stderr: () => undefined, stdin: new PassThrough() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('the user-data is gzip (binary) and stdout is a terminal');
    expect((error as UsageError).hint).toMatch(/--output FILE/);
    expect(stdout.read()).toBeNull();
  });
});

describe('oroot userdata --help', () => {
  it('describes every option with its default and bounds, and shows examples', async () => {
    const { stdout, exitCode } = await runCli(['userdata', '--help']);
    expect(exitCode).toBe(0);
    for (const flag of ['--bytes', '--source', '--random-seed', '--merge', '--limit', '--gzip', '--no-gzip', '--output', '--count', '--out-dir', '--force', '--verbose']) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('32 to 8192 (default: 512)');
    expect(stdout).toMatch(/\(default:\s+ec2\)/);
    expect(stdout).toContain('fileb://');
    expect(stdout).toMatch(/seed_random\s+appends/);
  });

  it('is listed in oroot --help with its example', async () => {
    const { stdout } = await runCli(['--help']);
    expect(stdout.replace(/\s+/g, ' ')).toContain('userdata [options] Write cloud-init user-data that seeds /dev/urandom at first boot');
    expect(stdout).toContain('$ oroot userdata > user-data');
  });
});
