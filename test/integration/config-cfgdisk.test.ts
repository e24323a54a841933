// The config disk for real: `oroot cfgdisk` builds an ext4 image with mkfs.ext4 -d; blkid and
// debugfs check it; a loop device makes it a block device; readConfig finds it by label with
// blkid (no udev), mounts it read-only, reads it as data, keeps its key, and unmounts it.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { CFGDISK_MOUNT_DIR, forgetConfigDiskFiles, loadKey, readConfig } from '../../src/overlayroot/config/index.js';
import { createHost, type Host } from '../../src/system/host.js';
import { memoryLogger } from '../../src/system/log.js';
import { runCli } from '../helpers/cli.js';
import { requireRoot, requireTool, tempDir } from '../helpers/machine.js';
import { writeTree } from '../helpers/fixture-tree.js';

const sh = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8' });
const uniqueLabel = () => `OR${randomBytes(5).toString('hex')}`;
const KEY = randomBytes(64);

let work: string;
let cleanupWork: () => void;
const loops: string[] = [];

beforeAll(() => {
  requireRoot();
  for (const tool of ['mkfs.ext4', 'blkid', 'debugfs', 'losetup', 'mount', 'umount']) requireTool(tool);
  ({ dir: work, cleanup: cleanupWork } = tempDir('oroot-cfgdisk-'));
});
afterAll(() => cleanupWork());
afterEach(() => {
  while (loops.length) sh('losetup', ['-d', loops.pop()!]);
  forgetConfigDiskFiles();
});

function attach(image: string): string {
  const loop = sh('losetup', ['--find', '--show', '--read-only', image]).trim();
  loops.push(loop);
  return loop;
}

/** An image made directly with mkfs.ext4 -d, for contents `oroot cfgdisk` would refuse to write. */
function rawImage(name: string, label: string, build: (staging: string) => void): string {
  const staging = path.join(work, `${name}.d`);
  mkdirSync(staging);
  build(staging);
  const image = path.join(work, `${name}.img`);
  writeFileSync(image, Buffer.alloc(0));
  sh('truncate', ['-s', '4M', image]);
  sh('mkfs.ext4', ['-q', '-F', '-L', label, '-d', staging, image]);
  return image;
}

function fixtureHost(): { host: Host; root: string; log: ReturnType<typeof memoryLogger> } {
  const root = path.join(work, `root-${randomBytes(4).toString('hex')}`);
  mkdirSync(root);
  const log = memoryLogger();
  return { host: createHost({ root, log }), root, log };
}

function mountedAt(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => line.split(' ')[4] === dir);
}

describe('oroot cfgdisk builds the volume', () => {
  it('an ext4 image with the label, overlayroot.conf (0600) and the key (0400), read back by blkid and debugfs', async () => {
    const label = uniqueLabel();
    const image = path.join(work, 'built.img');
    const result = await runCli(['cfgdisk', '-o', image, '-c', 'crypt:dev=/dev/xvdb,mkfs=1', '--key-file', '-', '--label', label], { input: KEY });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`label ${label}`);
    expect(result.stdout).not.toContain(KEY.toString('base64'));

    expect(statSync(image).mode & 0o777).toBe(0o600);
    expect(statSync(image).size).toBe(4 * 1024 * 1024);
    const blkid = sh('blkid', ['-c', '/dev/null', '-o', 'export', image]);
    expect(blkid).toContain(`LABEL=${label}\n`);
    expect(blkid).toContain('TYPE=ext4\n');

    const conf = execFileSync('debugfs', ['-R', 'cat /overlayroot.conf', image], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    expect(conf).toBe(
      "# overlayroot configuration written by `oroot cfgdisk`.\n# oroot reads this file as data and never runs it.\noverlayroot='crypt:dev=/dev/xvdb,mkfs=1,keyfile=overlayroot.key'\n",
    );
    const key = execFileSync('debugfs', ['-R', 'cat /overlayroot.key', image], { stdio: ['ignore', 'pipe', 'ignore'] });
    expect(key.equals(KEY)).toBe(true);
    const listing = execFileSync('debugfs', ['-R', 'ls -l /', image], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    expect(listing).toMatch(/100600 \(1\)\s+0\s+0\s+\d+ .* overlayroot\.conf/);
    expect(listing).toMatch(/100400 \(1\)\s+0\s+0\s+64 .* overlayroot\.key/);
  });

  it('refuses to overwrite without --force and replaces with it', async () => {
    const image = path.join(work, 'twice.img');
    expect((await runCli(['cfgdisk', '-o', image, '-c', 'tmpfs'])).exitCode).toBe(0);
    const before = createHash('sha256').update(readFileSync(image)).digest('hex');
    const again = await runCli(['cfgdisk', '-o', image, '-c', 'tmpfs:recurse=0']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toBe(`oroot: ${image} already exists; refusing to overwrite it\noroot: Remove it first or pass --force.\n`);
    expect(createHash('sha256').update(readFileSync(image)).digest('hex')).toBe(before);
    expect((await runCli(['cfgdisk', '-o', image, '-c', 'tmpfs:recurse=0', '--force'])).exitCode).toBe(0);
    expect(execFileSync('debugfs', ['-R', 'cat /overlayroot.conf', image], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()).toContain("overlayroot='tmpfs:recurse=0'");
  });

  it('validates the value before writing anything', async () => {
    const image = path.join(work, 'never.img');
    const typo = await runCli(['cfgdisk', '-o', image, '-c', 'crypt:dev=/dev/xvdb,recurce=0']);
    expect(typo.exitCode).toBe(3);
    expect(typo.stderr.split('\n')[0]).toBe('oroot: --config: unknown option `recurce` (did you mean `recurse`?)');
    const clear = await runCli(['cfgdisk', '-o', image, '-c', 'crypt:dev=/dev/xvdb,pass=hunter2']);
    expect(clear.exitCode).toBe(2);
    expect(clear.stderr).not.toContain('hunter2');
    const secretArg = await runCli(['cfgdisk', '-o', image, '-c', 'crypt:dev=/dev/xvdb', '--key-file', 'pass:hunter2']);
    expect(secretArg.exitCode).toBe(2);
    expect(secretArg.stderr).not.toContain('hunter2');
    expect(existsSync(image)).toBe(false);
  });
});

describe('readConfig uses the config disk', () => {
  it('finds it by label without udev, reads its config and key, and unmounts it', async () => {
    const label = uniqueLabel();
    const image = path.join(work, 'used.img');
    expect((await runCli(['cfgdisk', '-o', image, '-c', 'crypt:dev=/dev/xvdb', '--key-file', '-', '--label', label], { input: KEY })).exitCode).toBe(0);
    const loop = attach(image);
    const { host, root } = fixtureHost();
    const config = await readConfig(host, { rootmnt: '/', cmdline: `ro overlayroot_cfgdisk=LABEL=${label}` });

    expect(config.mode).toBe('crypt');
    expect(config.source).toBe(`LABEL=${label}/overlayroot.conf:3`);
    expect(config.cfgdisk).toEqual({ spec: `LABEL=${label}`, source: 'kernel cmdline', status: 'used', device: loop });
    if (config.mode !== 'crypt') return;
    expect(config.crypt.key).toMatchObject({ kind: 'keyfile', base: 'cfgdisk', path: '/overlayroot.key', format: 'raw' });
    expect(config.crypt.profile).toBe('persistent');
    const key = await loadKey(host, config.crypt.key, { rootmnt: '/' });
    expect(key.reveal().equals(KEY)).toBe(true);

    const mountDir = path.join(root, CFGDISK_MOUNT_DIR);
    expect(mountedAt(mountDir)).toBe(false);
    expect(existsSync(mountDir)).toBe(false);
  });

  it('sits between the root files and the kernel cmdline (all six sources)', async () => {
    const label = uniqueLabel();
    const image = path.join(work, 'six.img');
    expect((await runCli(['cfgdisk', '-o', image, '-c', 'tmpfs:dir=/from-cfgdisk', '--label', label])).exitCode).toBe(0);
    attach(image);
    const { host, root } = fixtureHost();
    writeTree(root, {
      '/conf/conf.d/overlayroot': 'overlayroot=tmpfs:dir=/from-initramfs\n',
      '/etc/overlayroot.conf': 'overlayroot=tmpfs:dir=/from-root\n',
      '/etc/overlayroot.local.conf': `overlayroot=tmpfs:dir=/from-local\noverlayroot_cfgdisk=UUID=${sh('blkid', ['-c', '/dev/null', '-o', 'value', '-s', 'UUID', image]).trim()}\n`,
    });
    const fromDisk = await readConfig(host, { rootmnt: '/', cmdline: 'ro' });
    expect(fromDisk).toMatchObject({ mode: 'tmpfs', common: { dir: '/from-cfgdisk' }, cfgdisk: { status: 'used', source: '/etc/overlayroot.local.conf:2' } });
    const fromCmdline = await readConfig(host, { rootmnt: '/', cmdline: 'ro overlayroot=tmpfs:dir=/from-cmdline' });
    expect(fromCmdline).toMatchObject({ mode: 'tmpfs', common: { dir: '/from-cmdline' }, source: 'kernel cmdline' });
    const disabledByCmdline = await readConfig(host, { rootmnt: '/', cmdline: 'ro overlayroot_cfgdisk=disabled' });
    expect(disabledByCmdline).toMatchObject({ common: { dir: '/from-local' } });
    expect(disabledByCmdline.cfgdisk).toBeUndefined();
  });

  it('ignores the disk’s own overlayroot_cfgdisk, and a disk without overlayroot= leaves the lower value', async () => {
    const label = uniqueLabel();
    const image = rawImage('redirect', label, (staging) => writeFileSync(path.join(staging, 'overlayroot.conf'), 'overlayroot_cfgdisk=LABEL=ELSEWHERE\n'));
    attach(image);
    const { host, root } = fixtureHost();
    writeTree(root, { '/etc/overlayroot.conf': 'overlayroot=tmpfs:swap=1\n' });
    const config = await readConfig(host, { rootmnt: '/', cmdline: `overlayroot_cfgdisk=LABEL=${label}` });
    expect(config).toMatchObject({ mode: 'tmpfs', source: '/etc/overlayroot.conf:1', origins: { overlayroot_cfgdisk: 'kernel cmdline' } });
    expect(config.warnings).toContain(`LABEL=${label}/overlayroot.conf:1: overlayroot_cfgdisk on the config disk itself has no effect`);
  });

  it('an absent disk is not an error: a warning after a short bounded wait', async () => {
    const { host } = fixtureHost();
    const started = Date.now();
    const config = await readConfig(host, { rootmnt: '/', cmdline: `overlayroot=tmpfs overlayroot_cfgdisk=LABEL=${uniqueLabel()}`, cfgdiskWaitMs: 600 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(config.mode).toBe('tmpfs');
    expect(config.cfgdisk?.status).toBe('not-found');
    expect(config.warnings.at(-1)).toMatch(/^config disk LABEL=OR[0-9a-f]{10} not found: no device matches LABEL=OR[0-9a-f]{10} \(waited 600 ms\); going on without it$/);
  });

  it('two disks with the same label are refused, not guessed between', async () => {
    const label = uniqueLabel();
    for (const name of ['twin-a.img', 'twin-b.img']) {
      expect((await runCli(['cfgdisk', '-o', path.join(work, name), '-c', 'tmpfs', '--label', label])).exitCode).toBe(0);
      attach(path.join(work, name));
    }
    const { host } = fixtureHost();
    const error = await readConfig(host, { rootmnt: '/', cmdline: `overlayroot_cfgdisk=LABEL=${label}` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(new RegExp(`^kernel cmdline: overlayroot_cfgdisk=LABEL=${label} matches 2 devices \\(/dev/loop\\d+, /dev/loop\\d+\\); refusing to guess$`));
  });

  it('shell code on the disk is rejected, never run, and the disk is unmounted', async () => {
    const label = uniqueLabel();
    const marker = path.join(work, 'cfgdisk-marker');
    const image = rawImage('evil', label, (staging) => writeFileSync(path.join(staging, 'overlayroot.conf'), `# looks harmless\noverlayroot="tmpfs$(touch ${marker})"\n`));
    attach(image);
    const { host, root } = fixtureHost();
    const error = await readConfig(host, { rootmnt: '/', cmdline: `overlayroot_cfgdisk=LABEL=${label}` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).source).toBe(`LABEL=${label}/overlayroot.conf:2`);
    expect(existsSync(marker)).toBe(false);
    expect(mountedAt(path.join(root, CFGDISK_MOUNT_DIR))).toBe(false);
  });

  it('a key file that is a symlink out of the disk is refused', async () => {
    const label = uniqueLabel();
    const image = rawImage('escape', label, (staging) => {
      writeFileSync(path.join(staging, 'overlayroot.conf'), 'overlayroot="crypt:dev=/dev/xvdb,keyfile=overlayroot.key"\n');
      symlinkSync('/etc/hostname', path.join(staging, 'overlayroot.key'));
    });
    attach(image);
    const { host } = fixtureHost();
    await expect(readConfig(host, { rootmnt: '/', cmdline: `overlayroot_cfgdisk=LABEL=${label}` })).rejects.toThrow(
      `/overlayroot.key on the config disk (LABEL=${label}/overlayroot.conf:1): resolves outside the config disk (symbolic link); refusing it`,
    );
  });
});
