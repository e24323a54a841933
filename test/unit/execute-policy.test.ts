// The boot stage end to end with a scripted host: what each failure policy does after the requested
// overlay failed (and was undone), the exit status the init-bottom script acts on, and what reaches
// the kernel log, the log file and the state file.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseOverlayrootValue } from '../../src/overlayroot/config/build.js';
import type { OverlayConfig } from '../../src/overlayroot/config/types.js';
import { runBootStage } from '../../src/overlayroot/boot/stage.js';
import type { BootState } from '../../src/overlayroot/state.js';
import { tempDir } from '../helpers/machine.js';
import { fakeBlockDevice, fakeServices, scriptedHost, type Script } from '../helpers/scripted-host.js';

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir('oroot-stage-'));
  const put = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  put('proc/sys/kernel/osrelease', '6.1.0-28-cloud-amd64\n');
  put('proc/filesystems', 'nodev\ttmpfs\n\text4\nnodev\toverlay\n');
  put('proc/meminfo', 'MemTotal: 2097152 kB\nMemAvailable: 1900000 kB\n');
  put('proc/cmdline', 'root=/dev/vda1 ro quiet\n');
  put('proc/self/mountinfo', `1 0 0:1 / / rw - rootfs rootfs rw\n30 1 254:1 / ${root}/root ro,relatime - ext4 /dev/vda1 ro\n`);
  put('dev/kmsg', '');
  fakeBlockDevice(root, '/dev/vdb');
});
afterEach(() => cleanup());

const config = (value: string): OverlayConfig => parseOverlayrootValue(value, '/etc/overlayroot.conf:3');

async function boot(readConfig: OverlayConfig | (() => OverlayConfig), options: { failAt?: string; script?: Script; answers?: Parameters<typeof fakeServices>[0] } = {}) {
  const { host, commands } = scriptedHost(root, { stdout: (argv) => (argv[0] === 'cryptsetup' ? 'cryptsetup 2.6.1 flags: UDEV BLKID\n' : ''), ...options.script });
  const services = fakeServices({ config: readConfig, filesystem: 'ext4', ...options.answers });
  const result = await runBootStage(host, {
    rootmnt: '/root',
    services,
    inject: (_index, phase, step) => {
      if (phase === 'before' && step.kind === options.failAt) throw new Error(`injected ${step.kind} failure`);
    },
  });
  const state = JSON.parse(readFileSync(path.join(root, 'run/initramfs/oroot.state.json'), 'utf8')) as BootState;
  const kmsg = readFileSync(path.join(root, 'dev/kmsg'), 'utf8');
  const logFile = readFileSync(path.join(root, 'run/initramfs/oroot.log'), 'utf8');
  return { ...result, state, kmsg, logFile, commands: commands(), services };
}

const loud = (kmsg: string) => kmsg.split('\n').filter((line) => line.startsWith('<2>'));
const tmpfsMount = (commands: string[]) => commands.filter((c) => c.startsWith('mount -t tmpfs'));

describe('success', () => {
  it('sets up the overlay, exits 0, and records it', async () => {
    const { exitStatus, state, kmsg, logFile } = await boot(config('tmpfs'));
    expect(exitStatus).toBe(0);
    expect(state).toMatchObject({ version: 1, outcome: 'configured', requested: { mode: 'tmpfs', source: '/etc/overlayroot.conf:3', value: 'tmpfs' }, applied: { mode: 'tmpfs', upper: 'tmpfs-root', fstype: 'tmpfs' } });
    expect(state.steps.every((s) => s.status === 'done')).toBe(true);
    expect(state.steps.at(-1)!.kind).toBe('remount'); // `ro` on the command line
    expect(kmsg).toContain("<4>oroot: configuring overlayroot: mode=tmpfs driver=overlay 'tmpfs' per /etc/overlayroot.conf:3");
    expect(kmsg).toMatch(/<6>oroot: step 1\/\d+: create \/media\/root-ro, \/media\/root-rw where missing/);
    expect(loud(kmsg)).toEqual([]);
    expect(logFile).toMatch(/\] info: step 2\/\d+: mount a tmpfs \(tmpfs-root\)/);
    expect(logFile).toContain('debug: + mount -t tmpfs -o mode=0755 tmpfs-root /media/root-rw');
    expect(statSync(path.join(root, 'run/initramfs/oroot.state.json')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(root, 'run/initramfs/oroot.log')).mode & 0o777).toBe(0o600);
  });

  it('does nothing at all when disabled', async () => {
    const { exitStatus, state, commands } = await boot(config('disabled'));
    expect(exitStatus).toBe(0);
    expect(state).toMatchObject({ outcome: 'disabled', applied: { mode: 'none' }, steps: [] });
    expect(commands).toEqual([]);
  });
});

describe('failure policy after the requested overlay failed', () => {
  it('tmpfs (default): undoes, then puts a tmpfs overlay in place, loudly, exit 0', async () => {
    const { exitStatus, state, kmsg, commands } = await boot(config('crypt:dev=/dev/vdb,swap=1'), { failAt: 'mount-overlay' });
    expect(exitStatus).toBe(0);
    expect(state.outcome).toBe('fallback');
    expect(state.fallback).toEqual({ policy: 'tmpfs', reason: expect.stringContaining('injected mount-overlay failure') });
    expect(state.applied).toMatchObject({ mode: 'tmpfs', upper: 'tmpfs-root' });
    expect(state.steps.filter((s) => s.description.startsWith('fallback: ')).every((s) => s.status === 'done')).toBe(true);
    expect(state.steps.find((s) => s.kind === 'crypt-attach')!.status).toBe('undone');
    expect(loud(kmsg)).toEqual([
      expect.stringContaining('<2>oroot: could not set up the crypt overlay: mount the overlay filesystem overlayroot on /root'),
      '<2>oroot: a tmpfs overlay is in place instead (failure policy tmpfs): changes are kept in RAM only and lost at shutdown',
    ]);
    // The mapper was unmounted and closed before the tmpfs went up.
    const umountMapper = commands.indexOf(`umount ${root}/media/root-rw`);
    expect(umountMapper).toBeGreaterThan(0);
    expect(commands.indexOf(tmpfsMount(commands)[0]!)).toBeGreaterThan(umountMapper);
    expect(kmsg).toContain('swap=1 is turned off for the fallback');
  });

  it('halt: undoes and exits 3 without any fallback', async () => {
    const { exitStatus, state, kmsg, commands } = await boot(config('device:dev=/dev/vdb,failure=halt'), { failAt: 'mount-overlay' });
    expect(exitStatus).toBe(3);
    expect(state).toMatchObject({ outcome: 'failed', fallback: { policy: 'halt' }, applied: { mode: 'none' } });
    expect(tmpfsMount(commands)).toEqual([]);
    expect(loud(kmsg).at(-1)).toBe('<2>oroot: failure policy halt: stopping the boot');
  });

  it('open: undoes, leaves the root as it was, says in clear words what that means', async () => {
    const { exitStatus, state, kmsg, commands } = await boot(config('crypt:dev=/dev/vdb,failure=open'), { failAt: 'mkfs' });
    expect(exitStatus).toBe(0);
    expect(state).toMatchObject({ outcome: 'failed', fallback: { policy: 'open' } });
    expect(tmpfsMount(commands)).toEqual([]);
    expect(loud(kmsg).at(-1)).toBe('<2>oroot: failure policy open: booting /root WITHOUT an overlay; everything written goes to the root disk in clear text');
  });

  it('an undo that fails stops the boot (exit 3) whatever the policy', async () => {
    const { exitStatus, state, kmsg } = await boot(config('device:dev=/dev/vdb,failure=open'), {
      failAt: 'mount-overlay',
      script: { fail: (argv) => (argv[0] === 'mount' && argv[1] === '--move' && argv[2]!.endsWith('/media/root-ro') ? 'mount: bad move' : undefined) },
    });
    expect(exitStatus).toBe(3);
    expect(state.steps.find((s) => s.kind === 'move-mount')!.status).toBe('undo-failed');
    expect(loud(kmsg).at(-1)).toContain('undoing the steps already done failed as well, so /root is in an unknown state: stopping the boot');
  });

  it('a failed fallback that was undone exits 1, so the init-bottom script can try its own', async () => {
    const { exitStatus, state } = await boot(config('crypt:dev=/dev/vdb'), {
      failAt: 'crypt-attach',
      script: { fail: (argv) => (argv.includes('tmpfs-root') ? 'mount: out of memory' : undefined) },
    });
    expect(exitStatus).toBe(1);
    expect(state).toMatchObject({ outcome: 'failed', fallback: { policy: 'tmpfs' } });
  });
});

describe('failures before any side effect', () => {
  it('an invalid configuration falls back to tmpfs with the defaults, naming the problem', async () => {
    const { exitStatus, state, kmsg } = await boot(() => {
      throw new InputError('/etc/overlayroot.conf:4', 'unknown option `recurce` (did you mean `recurse`?)');
    });
    expect(exitStatus).toBe(0);
    expect(state).toMatchObject({ outcome: 'fallback', requested: { mode: 'invalid' }, applied: { mode: 'tmpfs' } });
    expect(loud(kmsg)[0]).toContain('invalid configuration: /etc/overlayroot.conf:4: unknown option `recurce` (did you mean `recurse`?)');
  });

  it('a plan the machine cannot carry (no overlay driver) exits 1 when the fallback cannot work either', async () => {
    writeFileSync(path.join(root, 'proc/filesystems'), 'nodev\ttmpfs\n\text4\n');
    const { exitStatus, commands, kmsg } = await boot(config('tmpfs'));
    expect(exitStatus).toBe(1);
    expect(commands).toEqual([]);
    expect(loud(kmsg).at(-1)).toContain('the tmpfs fallback is impossible as well: no overlay filesystem driver');
  });
});

describe('secrets', () => {
  it('a clear-text pass= reaches neither the kernel log, nor the log file, nor the state file', async () => {
    const { kmsg, logFile, state } = await boot(config('crypt:dev=/dev/vdb,pass=hunter2-horse-staple'), { answers: { content: { kind: 'luks', version: '2', label: 'oroot-persistent' } } });
    expect(state.outcome).toBe('configured');
    for (const text of [kmsg, logFile, JSON.stringify(state)]) expect(text).not.toContain('hunter2');
    expect(state.requested.value).toBe('crypt:dev=/dev/vdb,pass=<redacted>');
  });
});
