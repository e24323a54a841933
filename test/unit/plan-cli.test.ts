// `oroot plan` end to end: the built CLI, a root filesystem tree with a real overlayroot.conf, and
// this machine's facts.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/machine.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('oroot-plan-cli-'));
  mkdirSync(path.join(dir, 'root/etc'), { recursive: true });
});
afterEach(() => cleanup());

const rootConf = (text: string) => writeFileSync(path.join(dir, 'root/etc/overlayroot.conf'), text);
const plan = (...args: string[]) => runCli(['plan', '--root', path.join(dir, 'root'), ...args]);

describe('oroot plan', () => {
  it('prints the boot as a trace: numbered steps, exact commands, undo, then the fallback', async () => {
    rootConf('overlayroot="tmpfs:size=25%"\n');
    const { exitCode, stdout, stderr } = await plan('--cmdline', 'root=/dev/vda1 ro quiet');
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^# oroot plan v1: tmpfs mode per .*overlayroot\.conf:1 \('tmpfs:size=25%'\)$/m);
    expect(stdout).toContain('+ mount -t tmpfs -o mode=0755,size=25% tmpfs-root /media/root-rw\n');
    expect(stdout).toContain('+ mount --move /root /media/root-ro\n#     undo: mount --move /media/root-ro /root\n');
    expect(stdout).toContain('+ mount -t overlay -o lowerdir=/media/root-ro,upperdir=/media/root-rw/overlay,workdir=/media/root-rw/overlay-workdir/_ overlayroot /root\n');
    expect(stdout).toMatch(/^#\s+\d+\. remount \/root read-only$/m);
    expect(stdout).toContain('then the failure policy tmpfs applies: the tmpfs fallback plan');
    expect(stdout).toMatch(/^# {3}\+ mount -t tmpfs/m);
  });

  it('the kernel command line wins over the files, and --cmdline-file reads one', async () => {
    rootConf('overlayroot=tmpfs\n');
    const cmdlineFile = path.join(dir, 'cmdline');
    writeFileSync(cmdlineFile, 'root=/dev/vda1 overlayroot=device:dev=/dev/vdz,timeout=7\n');
    const { exitCode, stdout } = await plan('--cmdline-file', cmdlineFile);
    expect(exitCode).toBe(0);
    expect(stdout).toContain("device mode per kernel cmdline ('device:dev=/dev/vdz,timeout=7')");
    expect(stdout).toContain('wait up to 7 s for /dev/vdz\n+ test -b /dev/vdz');
  });

  it('never shows a secret: pass= is <redacted> in the trace and in JSON, with a warning', async () => {
    rootConf("overlayroot='crypt:dev=/dev/vdz,pass=hunter2-horse-battery'\n");
    const text = await plan('--cmdline', 'root=/dev/vda1');
    const json = await plan('--cmdline', 'root=/dev/vda1', '--json');
    for (const out of [text.stdout, json.stdout, text.stderr, json.stderr]) expect(out).not.toContain('hunter2');
    expect(text.stdout).toContain('load the volume key from pass=<redacted> (clear text,');
    expect(text.stdout).toMatch(/# warning: .*pass= keeps the passphrase in clear text/);
    expect(text.stdout).toContain('+ cryptsetup open --type luks');
  });

  it('--json and --output give the versioned plan data, with the fallback', async () => {
    rootConf('overlayroot=tmpfs\n');
    const output = path.join(dir, 'plan.json');
    const { exitCode, stdout } = await plan('--cmdline', 'root=/dev/vda1', '--json', '--output', output);
    expect(exitCode).toBe(0);
    const data = JSON.parse(stdout);
    expect(data).toMatchObject({ version: 1, plan: { version: 1, mode: 'tmpfs', purpose: 'requested', rootmnt: '/root' }, fallback: { purpose: 'fallback' } });
    expect(data.plan.steps.map((s: { kind: string }) => s.kind)).toContain('mount-overlay');
    expect(JSON.parse(readFileSync(output, 'utf8'))).toEqual(data);
    expect(statSync(output).mode & 0o777).toBe(0o644);
  });

  it('says so when overlayroot is disabled', async () => {
    rootConf('overlayroot=""\n');
    const { exitCode, stdout } = await plan('--cmdline', 'root=/dev/vda1');
    expect(exitCode).toBe(0);
    expect(stdout).toContain('# overlayroot is disabled: the boot stage does nothing.');
  });

  it('an invalid configuration is an input error (exit 3) naming the file, line and fix', async () => {
    rootConf('# comment\noverlayroot="tmpfs:recurce=0"\n');
    const { exitCode, stderr, stdout } = await plan('--cmdline', 'root=/dev/vda1');
    expect(exitCode).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/overlayroot\.conf:2.*unknown option `recurce` \(did you mean `recurse`\?\)/);
  });

  it('refuses --cmdline together with --cmdline-file', async () => {
    const { exitCode, stderr } = await plan('--cmdline', 'x', '--cmdline-file', '/dev/null');
    expect(exitCode).toBe(2);
    expect(stderr).toContain('give --cmdline or --cmdline-file, not both');
  });
});
