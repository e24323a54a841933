// Every #cloud-config document oroot emits, alone or merged, passes Debian's `cloud-init schema
// -c`. The parts are taken from cloud-init's own processing of the output (pipeline.py), so MIME,
// gzip and wrapped inputs are validated exactly as cloud-init splits them.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fixture, generate, runPipeline, schemaCheck, cloudInitSuite } from './cloudinit/harness.js';

const ws = cloudInitSuite('oroot-ci-schema-');

const shapes: Array<[string, string[], number]> = [
  ['plain', [], 1],
  ['plain with --random-seed', ['--random-seed'], 1],
  ['merged #cloud-config', ['--merge', fixture('cloud-config.yaml')], 1],
  ['merged #cloud-config with --random-seed', ['--merge', fixture('cloud-config-no-write-files.yaml'), '--random-seed'], 1],
  ['MIME: user MIME + ours', ['--merge', fixture('user.mime'), '--random-seed'], 2],
  ['MIME: wrapped shell script', ['--merge', fixture('script.sh')], 1],
  ['MIME: #cloud-config kept as its own part', ['--merge', ws.file('flow.yaml', '#cloud-config\nwrite_files: [{path: /var/tmp/x, content: x}]\n')], 2],
  ['gzip', ['--gzip', '--merge', fixture('cloud-config.yaml')], 1],
  ['gzip input (MIME inside)', ['--merge', ws.file('in.mime.gz', gzipSync(readFileSync(fixture('user.mime'))))], 2],
];

describe('cloud-init schema -c accepts every #cloud-config part we emit', () => {
  it.each(shapes)('%s', async (name, args, expectedParts) => {
    const { file } = await generate(ws, name.replace(/\W+/g, '-'), args);
    const parts = runPipeline(file, ws.subdir()).parts.filter((part) => part.type === 'text/cloud-config');
    expect(parts).toHaveLength(expectedParts);
    for (const [index, part] of parts.entries()) {
      const partFile = ws.file(`${name.replace(/\W+/g, '-')}.part${index}.yaml`, part.payload);
      const result = schemaCheck(partFile);
      expect(result.output).toContain('Valid cloud-config');
      expect(result.exitCode).toBe(0);
    }
  });

  it('rejects the 2012 recipe, so the check can fail', () => {
    const recipe = ws.file('recipe.yaml', readFileSync(fixture('recipe-2012.yaml'), 'utf8').replace('SEED', 'c2VlZA=='));
    const result = schemaCheck(recipe);
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain("write_files.0: Additional properties are not allowed ('perms' was unexpected)");
  });

  it('rejects an unquoted permissions value, which is why ours is quoted', () => {
    const unquoted = ws.file('unquoted.yaml', '#cloud-config\nwrite_files:\n  - path: /dev/urandom\n    permissions: 0666\n');
    expect(schemaCheck(unquoted).output).toContain("write_files.0.permissions: 438 is not of type 'string'");
  });
});
