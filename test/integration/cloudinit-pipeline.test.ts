// cloud-init's real user-data pipeline (Debian 22.4.2, as a library: pipeline.py) applied to every
// output shape of `oroot userdata`: it must write exactly our seed to /dev/urandom with mode 0666
// and keep all of the user's content. The same check fails on the 2012 recipe and on MIME without
// merge settings, so it can tell right from wrong.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { expectSeeded, fixture, generate, runPipeline, cloudInitSuite, type PipelineResult } from './cloudinit/harness.js';

const ws = cloudInitSuite('oroot-ci-pipeline-');

const fileAt = (result: PipelineResult, path: string) => result.files.find((file) => file.path === path);
const partOf = (result: PipelineResult, type: string) => result.parts.filter((part) => part.type === type);

async function pipeline(name: string, args: string[]) {
  const generated = await generate(ws, name, args);
  return { ...generated, result: runPipeline(generated.file, ws.subdir()) };
}

describe('every output shape seeds /dev/urandom and keeps the user\'s content', () => {
  it('plain #cloud-config', async () => {
    const { result, seed, bytes } = await pipeline('plain', []);
    expect(bytes.toString().startsWith('#cloud-config\n')).toBe(true);
    expect(result.parts.map((part) => part.type)).toEqual(['text/cloud-config']);
    expectSeeded(result, seed);
  });

  it('plain with --random-seed: random_seed carries the same bytes', async () => {
    const { result, seed } = await pipeline('random-seed', ['--random-seed']);
    expectSeeded(result, seed);
    expect(result.merged.random_seed).toEqual({ file: '/dev/urandom', data: seed.toString('base64'), encoding: 'b64' });
  });

  it('merged #cloud-config (one document, the user\'s keys and files kept)', async () => {
    const { result, seed, bytes } = await pipeline('merged-yaml', ['--merge', fixture('cloud-config.yaml')]);
    expect(bytes.toString()).toContain('# greeting shown at login');
    expect(result.parts).toHaveLength(1);
    expectSeeded(result, seed);
    expect(result.mergedKeys).toEqual(['hostname', 'packages', 'runcmd', 'write_files']);
    expect(fileAt(result, '/etc/motd')?.content.toString()).toBe('Welcome to web-1\n');
    expect(fileAt(result, '/etc/motd')?.mode.toString(8)).toBe('644');
    expect(fileAt(result, '/var/tmp/oroot-ci/app.conf')?.content.toString()).toBe('listen=8080\n');
  });

  it('MIME: the user\'s MIME with our part appended; both write_files lists survive the merge', async () => {
    const { result, seed } = await pipeline('mime', ['--merge', fixture('user.mime')]);
    expect(result.parts.map((part) => part.type)).toEqual(['text/cloud-config', 'text/x-shellscript', 'text/cloud-config']);
    expectSeeded(result, seed);
    expect(fileAt(result, '/var/tmp/oroot-ci/from-mime')?.content.toString()).toBe('first part\n');
    const userScript = readFileSync(fixture('user.mime'), 'utf8').match(/#!\/bin\/sh\n[^]*?(?=\n--==BOUNDARY==--)/)![0];
    expect(partOf(result, 'text/x-shellscript')[0]!.payload.toString()).toBe(userScript);
  });

  it('MIME: a shell script wrapped next to our part, byte for byte', async () => {
    const { result, seed } = await pipeline('script', ['--merge', fixture('script.sh')]);
    expectSeeded(result, seed);
    const [script] = partOf(result, 'text/x-shellscript');
    expect(script!.payload.equals(readFileSync(fixture('script.sh')))).toBe(true);
    expect(script!.filename).toBe('script.sh');
  });

  it('MIME: #include (cloud-init fetches the included file, then merges ours after it)', async () => {
    const include = ws.file('include.txt', `#include\nfile://${fixture('cloud-config.yaml')}\n`);
    const { result, seed } = await pipeline('include', ['--merge', include]);
    expectSeeded(result, seed);
    expect(fileAt(result, '/etc/motd')?.content.toString()).toBe('Welcome to web-1\n');
  });

  it('MIME: #cloud-boothook and #cloud-config-archive', async () => {
    const boothook = await pipeline('boothook', ['--merge', fixture('boothook.txt')]);
    expectSeeded(boothook.result, boothook.seed);
    expect(partOf(boothook.result, 'text/cloud-boothook')[0]!.payload.equals(readFileSync(fixture('boothook.txt')))).toBe(true);
    const archive = await pipeline('archive', ['--merge', fixture('archive.yaml')]);
    expectSeeded(archive.result, archive.seed);
    expect(fileAt(archive.result, '/var/tmp/oroot-ci/from-archive')?.content.toString()).toBe('archived\n');
  });

  it('MIME: a #cloud-config too unusual to edit, kept as its own part', async () => {
    const flow = ws.file('flow.yaml', '#cloud-config\nwrite_files: [{path: /var/tmp/oroot-ci/flow, content: "flow\\n"}]\n');
    const { result, seed } = await pipeline('flow', ['--merge', flow]);
    expect(result.parts.map((part) => part.type)).toEqual(['text/cloud-config', 'text/cloud-config']);
    expectSeeded(result, seed);
    expect(fileAt(result, '/var/tmp/oroot-ci/flow')?.content.toString()).toBe('flow\n');
  });

  it('gzip: --gzip output, and gzip input merged and recompressed', async () => {
    const asked = await pipeline('gzip', ['--gzip', '--merge', fixture('cloud-config.yaml')]);
    expect(asked.bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expectSeeded(asked.result, asked.seed);
    expect(fileAt(asked.result, '/etc/motd')?.content.toString()).toBe('Welcome to web-1\n');
    const input = ws.file('user.mime.gz', gzipSync(readFileSync(fixture('user.mime'))));
    const kept = await pipeline('gzip-mime', ['--merge', input]);
    expect(kept.bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expectSeeded(kept.result, kept.seed);
    expect(fileAt(kept.result, '/var/tmp/oroot-ci/from-mime')?.content.toString()).toBe('first part\n');
  });
});

describe('the same check fails on user-data that is wrong', () => {
  it('the 2012 recipe (perms:) leaves /dev/urandom at 0644', () => {
    const seed = Buffer.from('the 2012 recipe seed');
    const recipe = ws.file('recipe.yaml', readFileSync(fixture('recipe-2012.yaml'), 'utf8').replace('SEED', seed.toString('base64')));
    const result = runPipeline(recipe, ws.subdir());
    expect(fileAt(result, '/dev/urandom')?.mode.toString(8)).toBe('644');
    expect(fileAt(result, '/dev/urandom')?.content.equals(seed)).toBe(true);
    expect(() => expectSeeded(result, seed)).toThrow(/mode after cloud-init chmods it/);
  });

  it('MIME without merge settings: cloud-init\'s default dict(replace) drops one write_files list', async () => {
    const { bytes, seed } = await generate(ws, 'for-no-merge', ['--merge', fixture('user.mime')]);
    const stripped = bytes.toString().replace(/^X-Merge-Type: .*\n/m, '').replace(/^merge_how:\n(?: {2}.*\n)+/m, '');
    expect(stripped).not.toMatch(/merge_how|X-Merge-Type/);
    const result = runPipeline(ws.file('no-merge.mime', stripped), ws.subdir());
    expect(fileAt(result, '/var/tmp/oroot-ci/from-mime'), 'the user\'s file is lost').toBeUndefined();
    expectSeeded(result, seed);
  });
});
