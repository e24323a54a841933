import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { checkRandomSeed, randomSeedLines, urandomRandomSeed } from '../../src/cloudinit/seedRandom.js';
import { seedCloudConfig } from '../../src/cloudinit/seedConfig.js';
import { checkWriteFilesItem, urandomEntry, writeFilesItemLines } from '../../src/cloudinit/writeFiles.js';

const seed = 'zQRWb1NbrrAhfw+iETHHJY1vE4//vJmrwb1VLgxOYadWbM+HLramAFhs699o8aaSDuMOvEWn8IveBH7430BZnw==';

describe('write_files schema check (messages as cloud-init words them)', () => {
  it.each<[string, unknown, string[]]>([
    ['our entry', urandomEntry(seed), []],
    ['the 2012 recipe', { encoding: 'b64', content: seed, owner: 'root:root', path: '/dev/urandom', perms: '0666' }, ["write_files.0: Additional properties are not allowed ('perms' was unexpected)"]],
    ['unquoted permissions', { path: '/x', permissions: 438 }, ["write_files.0.permissions: 438 is not of type 'string'"]],
    ['append as a string', { path: '/x', append: 'yes' }, ["write_files.0.append: 'yes' is not of type 'boolean'"]],
    ['an unknown encoding', { path: '/x', encoding: 'raw' }, ["write_files.0.encoding: 'raw' is not one of ['gz', 'gzip', 'gz+base64', 'gzip+base64', 'gz+b64', 'gzip+b64', 'b64', 'base64', 'text/plain']"]],
    ['unquoted hex content', { path: '/x', content: 4660 }, ["write_files.0.content: 4660 is not of type 'string'"]],
    ['no path', { content: 'x' }, ["write_files.0: 'path' is a required property"]],
    ['decimal permissions text', { path: '/x', permissions: '666x' }, ["write_files.0.permissions: '666x' is not an octal mode such as '0666'"]],
    ['not a mapping', 'path: /x', ["write_files.0: 'path: /x' is not of type 'object'"]],
  ])('%s', (_name, item, problems) => {
    expect(checkWriteFilesItem(item)).toEqual(problems);
  });
});

describe('random_seed schema check', () => {
  it.each<[string, unknown, string[]]>([
    ['our stanza', urandomRandomSeed(seed), []],
    ['with a command', { file: '/dev/urandom', command: ['pollinate', '-q'], command_required: false }, []],
    ['write_files-only encoding', { data: seed, encoding: 'gz+b64' }, ["random_seed.encoding: 'gz+b64' is not one of ['raw', 'base64', 'b64', 'gzip', 'gz']"]],
    ['a command string', { command: 'pollinate' }, ["random_seed.command: 'pollinate' is not of type 'array'"]],
    ['a non-string argument', { command: ['sleep', 1] }, ["random_seed.command.1: 1 is not of type 'string'"]],
    ['an unknown key', { data: seed, size: 4 }, ["random_seed: Additional properties are not allowed ('size' was unexpected)"]],
  ])('%s', (_name, value, problems) => {
    expect(checkRandomSeed(value)).toEqual(problems);
  });
});

describe('YAML text of the stanzas', () => {
  it('reads back as exactly the entry, with permissions and content as strings', () => {
    // A seed that YAML would read as a number if it were not quoted.
    for (const content of [seed, '12345678', '0x1234', "it's"]) {
      const text = `write_files:\n${writeFilesItemLines(urandomEntry(content), '  ').join('\n')}\n`;
      expect(yaml.load(text)).toEqual({ write_files: [{ path: '/dev/urandom', encoding: 'b64', content, owner: 'root:root', permissions: '0666' }] });
      expect(text).toContain("permissions: '0666'");
    }
  });

  it('renders random_seed without a command', () => {
    const text = randomSeedLines(urandomRandomSeed(seed)).join('\n');
    expect(yaml.load(text)).toEqual({ random_seed: { file: '/dev/urandom', data: seed, encoding: 'b64' } });
    expect(text).not.toContain('command');
  });

  it('makes a #cloud-config document with one write_files entry and no defer or append', () => {
    const text = seedCloudConfig({ randomSeed: false })(seed);
    expect(text.split('\n')[0]).toBe('#cloud-config');
    const data = yaml.load(text) as Record<string, unknown>;
    expect(data).toEqual({ write_files: [urandomEntry(seed)] });
    expect(text).not.toMatch(/defer|append|perms/);
    expect(text).toContain(`content: '${seed}'`);
  });

  it('adds random_seed with the same bytes, and merge settings when asked', () => {
    const data = yaml.load(seedCloudConfig({ randomSeed: true, mergeSettings: true })(seed)) as Record<string, unknown>;
    expect(data.random_seed).toEqual({ file: '/dev/urandom', data: seed, encoding: 'b64' });
    expect(data.merge_how).toEqual([
      { name: 'list', settings: ['append'] },
      { name: 'dict', settings: ['no_replace', 'recurse_list'] },
    ]);
  });

  it('is the same text for the same seed (deterministic apart from the seed)', () => {
    const render = seedCloudConfig({ randomSeed: true });
    expect(render(seed)).toBe(render(seed));
    expect(render(seed).replaceAll(seed, 'X')).toBe(render('AAAA').replaceAll('AAAA', 'X'));
  });
});
