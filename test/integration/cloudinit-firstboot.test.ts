// A real first boot of Debian's cloud-init (NoCloud) on oroot's user-data, in a namespace sandbox
// over a throwaway overlay of this machine (sandbox-boot.sh): the whole path from the datasource
// through part handling, module order and per-instance semaphores to the bytes and mode that end
// up on /dev/urandom. Runs as root; the host is checked to be untouched afterwards.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bootSandbox, fixture, generate, cloudInitSuite, type BootResult } from './cloudinit/harness.js';

const ws = cloudInitSuite('oroot-ci-firstboot-', { root: true });

const upperFile = (boot: BootResult, file: string) => {
  const where = path.join(boot.upper, file);
  return existsSync(where) ? readFileSync(where, 'utf8') : undefined;
};

function expectCleanBoot(boot: BootResult): void {
  expect(boot.rc, boot.log).toEqual({ chroot: 0, 'init-local': 0, init: 0, final: 0, 'schema-system': 0 });
  expect(boot.log).toContain('status: done');
  expect(boot.log).toContain('Valid cloud-config: system userdata');
}

async function boot(name: string, args: string[], urandom: 'file' | 'chardev' = 'file') {
  const generated = await generate(ws, name, args);
  return { ...generated, boot: bootSandbox(generated.file, ws.subdir(), urandom) };
}

describe('first boot with NoCloud', () => {
  it('plain: /dev/urandom receives exactly the seed and stays 0666', async () => {
    const { boot: result, seed, bytes } = await boot('plain', []);
    expectCleanBoot(result);
    expect(result.urandom?.equals(seed)).toBe(true);
    expect(result.urandomStat).toBe('666 regular file');
    const instance = 'var/lib/cloud/instances/iid-oroot-sandbox';
    expect(upperFile(result, `${instance}/sem/config_write_files`), 'write_files ran once for this instance').toBeDefined();
    // What docs/userdata.md says: cloud-init keeps the user-data, seed included, readable by root only.
    expect(upperFile(result, `${instance}/user-data.txt`)).toBe(bytes.toString());
    expect(statSync(path.join(result.upper, instance, 'user-data.txt')).mode & 0o777).toBe(0o600);
  });

  it('plain on a character device node: mode stays crw-rw-rw-', async () => {
    const { boot: result } = await boot('plain-chardev', ['--random-seed'], 'chardev');
    expectCleanBoot(result);
    expect(result.urandomStat).toBe('666 character special file');
    expect(result.log).not.toMatch(/Traceback|WARNING/);
  });

  it('MIME: the user\'s parts and ours, merged; the user\'s script runs', async () => {
    const { boot: result, seed } = await boot('mime', ['--merge', fixture('user.mime')]);
    expectCleanBoot(result);
    expect(result.urandom?.equals(seed)).toBe(true);
    expect(result.urandomStat).toBe('666 regular file');
    expect(upperFile(result, 'var/tmp/oroot-ci/from-mime')).toBe('first part\n');
    expect(upperFile(result, 'var/tmp/oroot-ci/script-ran')).toBe('script ran\n');
  });

  it('merged #cloud-config and gzip: the user\'s files are written too', async () => {
    const input = ws.file('cloud-config.yaml.gz', gzipSync(readFileSync(fixture('cloud-config.yaml'))));
    const { boot: result, seed, bytes } = await boot('gzip', ['--merge', input]);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expectCleanBoot(result);
    expect(result.urandom?.equals(seed)).toBe(true);
    expect(upperFile(result, 'etc/motd')).toBe('Welcome to web-1\n');
    expect(upperFile(result, 'var/tmp/oroot-ci/app.conf')).toBe('listen=8080\n');
  });

  it('wrapped script, boothook and jinja template all still do their job', async () => {
    const script = await boot('script', ['--merge', fixture('script.sh')]);
    expectCleanBoot(script.boot);
    expect(script.boot.urandom?.equals(script.seed)).toBe(true);
    expect(upperFile(script.boot, 'var/tmp/oroot-ci/script-ran')).toBe('script ran\n');

    const boothook = await boot('boothook', ['--merge', fixture('boothook.txt')]);
    expect(boothook.boot.urandom?.equals(boothook.seed)).toBe(true);
    expect(upperFile(boothook.boot, 'var/tmp/oroot-ci/boothook-ran')).toBe('boothook ran\n');

    const jinja = await boot('jinja', ['--merge', fixture('jinja.yaml')]);
    expect(jinja.boot.urandom?.equals(jinja.seed)).toBe(true);
    expect(upperFile(jinja.boot, 'var/tmp/oroot-ci/instance-id')).toBe('iid=iid-oroot-sandbox\n');
  });

  it('the 2012 recipe fails the same check: the device is left at 0644', () => {
    const recipe = ws.file('recipe.yaml', readFileSync(fixture('recipe-2012.yaml'), 'utf8').replace('SEED', Buffer.from('seed of 2012').toString('base64')));
    const result = bootSandbox(recipe, ws.subdir(), 'chardev');
    expect(result.rc.init).toBe(0);
    expect(result.urandomStat).toBe('644 character special file');
    expect(result.rc['schema-system']).toBe(1);
  });
});
