// Precedence across the sources, read through a Host whose root is a fixture tree:
// built-in < initramfs conf.d < /etc/overlayroot.conf < /etc/overlayroot.local.conf
// < config disk < kernel cmdline. (The real config disk is in test/integration/config-cfgdisk.)
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { readConfig } from '../../src/overlayroot/config/index.js';
import { BUILT_IN_LAYER, cmdlineLayer, fileLayer, mergeLayers, type Layer } from '../../src/overlayroot/config/sources.js';
import { createHost, type Host } from '../../src/system/host.js';
import { memoryLogger } from '../../src/system/log.js';
import { tempDir } from '../helpers/machine.js';
import { writeTree } from '../helpers/fixture-tree.js';

const FILES = {
  initramfs: '/conf/conf.d/overlayroot',
  root: '/etc/overlayroot.conf',
  local: '/etc/overlayroot.local.conf',
} as const;
type FileSource = keyof typeof FILES;

let root: string;
let cleanup: () => void;
let host: Host;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir('oroot-precedence-'));
  host = createHost({ root, log: memoryLogger() });
});
afterEach(() => cleanup());

const subsets = <T>(items: readonly T[]): T[][] => items.reduce<T[][]>((all, item) => [...all, ...all.map((s) => [...s, item])], [[]]);

describe('precedence of the four file and cmdline sources', () => {
  const sources = ['initramfs', 'root', 'local', 'cmdline'] as const;
  for (const setting of subsets(sources)) {
    it(`set by: ${setting.join(', ') || 'none'}`, async () => {
      const files: Record<string, string> = {};
      for (const name of setting) if (name !== 'cmdline') files[FILES[name as FileSource]] = `# ${name}\noverlayroot="tmpfs:dir=/from-${name}"\n`;
      writeTree(root, files);
      const cmdline = setting.includes('cmdline') ? 'ro overlayroot=tmpfs:dir=/from-cmdline quiet' : 'ro quiet';
      const config = await readConfig(host, { rootmnt: '/', cmdline });
      const winner = setting[setting.length - 1];
      if (!winner) {
        expect(config).toMatchObject({ mode: 'disabled', source: 'built-in default' });
        return;
      }
      expect(config.mode).toBe('tmpfs');
      expect(config.mode === 'tmpfs' && config.common.dir).toBe(`/from-${winner}`);
      expect(config.source).toBe(winner === 'cmdline' ? 'kernel cmdline' : `${FILES[winner]}:2`);
      expect(config.origins.dir).toBe(config.source);
    });
  }
});

describe('precedence including the config disk layer (merge logic)', () => {
  const order = ['initramfs', 'root', 'local', 'cfgdisk', 'cmdline'] as const;
  for (const setting of subsets(order)) {
    it(`overlayroot set by: ${setting.join(', ') || 'none'}`, () => {
      const layers: Layer[] = [BUILT_IN_LAYER];
      for (const name of order) {
        if (!setting.includes(name)) continue;
        layers.push(name === 'cmdline' ? cmdlineLayer(`overlayroot=tmpfs:dir=/${name}`) : fileLayer(`overlayroot=tmpfs:dir=/${name}`, name, { origin: 'root', dir: '/etc' }));
      }
      const merged = mergeLayers(layers);
      const winner = setting[setting.length - 1];
      expect(merged.overlayroot.value).toBe(winner ? `tmpfs:dir=/${winner}` : '');
      expect(merged.overlayroot_cfgdisk).toEqual(BUILT_IN_LAYER.settings.overlayroot_cfgdisk);
    });
  }
});

describe('only a source that sets a variable overrides it', () => {
  it('a later file that sets only overlayroot_cfgdisk leaves overlayroot alone', async () => {
    writeTree(root, { [FILES.root]: 'overlayroot="tmpfs:swap=1"\n', [FILES.local]: 'overlayroot_cfgdisk=disabled\n' });
    const config = await readConfig(host, { rootmnt: '/', cmdline: '' });
    expect(config).toMatchObject({ mode: 'tmpfs', source: '/etc/overlayroot.conf:1', origins: { overlayroot_cfgdisk: '/etc/overlayroot.local.conf:1' } });
  });

  it('a set-but-empty value disables what a lower source enabled', async () => {
    writeTree(root, { [FILES.root]: 'overlayroot="crypt:dev=/dev/vdb"\n', [FILES.local]: 'overlayroot=""\n' });
    const config = await readConfig(host, { rootmnt: '/', cmdline: '' });
    expect(config).toMatchObject({ mode: 'disabled', source: '/etc/overlayroot.local.conf:1' });
  });

  it('overlayroot= on the cmdline disables every file', async () => {
    writeTree(root, { [FILES.initramfs]: 'overlayroot=tmpfs\n', [FILES.root]: 'overlayroot=tmpfs\n', [FILES.local]: 'overlayroot=tmpfs\n' });
    const config = await readConfig(host, { rootmnt: '/', cmdline: 'ro overlayroot=' });
    expect(config).toMatchObject({ mode: 'disabled', source: 'kernel cmdline' });
  });

  it('the shipped /etc/overlayroot.conf (both variables set) overrides the initramfs conf', async () => {
    writeTree(root, {
      [FILES.initramfs]: 'overlayroot="tmpfs"\noverlayroot_cfgdisk="LABEL=OROOTCFG"\n',
      [FILES.root]: '# shipped\noverlayroot_cfgdisk="disabled"\noverlayroot=""\n',
    });
    const config = await readConfig(host, { rootmnt: '/', cmdline: '' });
    expect(config).toMatchObject({ mode: 'disabled', source: '/etc/overlayroot.conf:3', origins: { overlayroot_cfgdisk: '/etc/overlayroot.conf:2' } });
    expect(config.cfgdisk).toBeUndefined();
  });

  it('a bare overlayroot word on the cmdline neither enables nor disables', async () => {
    writeTree(root, { [FILES.root]: 'overlayroot=tmpfs:recurse=0\n' });
    const config = await readConfig(host, { rootmnt: '/', cmdline: 'ro overlayroot' });
    expect(config).toMatchObject({ mode: 'tmpfs', source: '/etc/overlayroot.conf:1' });
    expect(config.warnings).toEqual(['kernel cmdline: `overlayroot` without a value is ignored (write overlayroot=tmpfs to enable, overlayroot= to disable)']);
  });
});

describe('reading through the host', () => {
  it('names root files under rootmnt, as the initramfs sees them', async () => {
    writeTree(root, { '/root/etc/overlayroot.conf': 'overlayroot=tmpfs:recurce=0\n' });
    const error = await readConfig(host, { rootmnt: '/root', cmdline: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('/root/etc/overlayroot.conf:1: unknown option `recurce` (did you mean `recurse`?)');
  });

  it('reads /proc/cmdline when no cmdline is given', async () => {
    writeTree(root, { '/proc/cmdline': 'BOOT_IMAGE=/vmlinuz ro overlayroot=tmpfs:size=25%\n' });
    const config = await readConfig(host, { rootmnt: '/' });
    expect(config).toMatchObject({ mode: 'tmpfs', source: 'kernel cmdline', common: { tmpfsSize: '25%' } });
  });

  it('a missing /proc/cmdline is an error naming it', async () => {
    await expect(readConfig(host, { rootmnt: '/' })).rejects.toThrow('/proc/cmdline: cannot be read (ENOENT)');
  });

  it('a directory where a config file should be is ignored with a warning', async () => {
    writeTree(root, { '/etc/overlayroot.conf/x': '' });
    const config = await readConfig(host, { rootmnt: '/', cmdline: 'overlayroot=tmpfs' });
    expect(config.warnings).toContain('/etc/overlayroot.conf: not a regular file; ignored');
  });

  it('a custom initramfs conf path', async () => {
    writeTree(root, { '/etc/initramfs-tools/conf.d/overlayroot': 'overlayroot=tmpfs:debug=1\n' });
    const config = await readConfig(host, { rootmnt: '/', cmdline: '', initramfsConf: '/etc/initramfs-tools/conf.d/overlayroot' });
    expect(config).toMatchObject({ mode: 'tmpfs', common: { debug: true }, source: '/etc/initramfs-tools/conf.d/overlayroot:1' });
  });

  it('the config disk search is reported as skipped for offline planning', async () => {
    writeTree(root, { [FILES.local]: 'overlayroot_cfgdisk=LABEL=OROOTCFG\noverlayroot=tmpfs\n' });
    const config = await readConfig(host, { rootmnt: '/', cmdline: '', cfgdisk: 'skip' });
    expect(config.cfgdisk).toEqual({ spec: 'LABEL=OROOTCFG', source: '/etc/overlayroot.local.conf:1', status: 'skipped' });
  });

  it('overlayroot_cfgdisk=enabled names no disk and is not searched', async () => {
    const config = await readConfig(host, { rootmnt: '/', cmdline: 'overlayroot_cfgdisk=enabled overlayroot=tmpfs' });
    expect(config.cfgdisk).toBeUndefined();
    expect(config.warnings[0]).toMatch(/^kernel cmdline: overlayroot_cfgdisk=enabled names no disk/);
  });

  it('a bad overlayroot_cfgdisk spec is an error naming its source', async () => {
    await expect(readConfig(host, { rootmnt: '/', cmdline: 'overlayroot_cfgdisk=FOO=bar' })).rejects.toThrow(
      'kernel cmdline: overlayroot_cfgdisk=FOO=bar: `FOO=` is not a device tag oroot knows',
    );
  });
});

describe('shell code in any config file is rejected and never runs', () => {
  const attacks = {
    'command substitution': (marker: string) => `overlayroot="$(touch ${marker})"\n`,
    backquotes: (marker: string) => `overlayroot=\`touch ${marker}\`\n`,
    semicolon: (marker: string) => `overlayroot=tmpfs; touch ${marker}\n`,
    'a command line': (marker: string) => `overlayroot=tmpfs\ntouch ${marker}\n`,
  };
  for (const [attack, text] of Object.entries(attacks)) {
    for (const source of ['initramfs', 'root', 'local'] as const) {
      it(`${attack} in ${FILES[source]}`, async () => {
        const marker = path.join(root, 'marker');
        writeTree(root, { [FILES[source]]: `# harmless first line\n${text(marker)}` });
        const error = await readConfig(host, { rootmnt: '/', cmdline: 'overlayroot=tmpfs' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InputError);
        expect((error as InputError).source).toBe(`${FILES[source]}:${attack === 'a command line' ? 3 : 2}`);
        expect(existsSync(marker)).toBe(false);
      });
    }
  }
});
