// Run-time decisions of the executor: open or format from what is on the device, mkfs only after a
// format by this boot, waiting for a late device without udev, and files it writes.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executePlan } from '../../src/overlayroot/execute/executor.js';
import { planBoot } from '../../src/overlayroot/plan/planner.js';
import { enabledConfig, machineFacts } from '../helpers/facts.js';
import { tempDir } from '../helpers/machine.js';
import { fakeBlockDevice, fakeServices, scriptedHost } from '../helpers/scripted-host.js';

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir('oroot-crypt-'));
  fakeBlockDevice(root, '/dev/vdb');
});
afterEach(() => cleanup());

const config = enabledConfig;

async function run(value: string, answers: Parameters<typeof fakeServices>[0] = {}, script: Parameters<typeof scriptedHost>[1] = {}) {
  const requested = config(value);
  const plan = planBoot(requested, machineFacts());
  const { host, commands, log } = scriptedHost(root, script);
  const services = fakeServices(answers);
  const result = await executePlan(host, plan, { services, key: requested.mode === 'crypt' ? requested.crypt.key : undefined });
  return { result, services, commands: commands(), log };
}

const luks = (label: string) => ({ kind: 'luks', version: '2', label }) as const;
const mkfsRan = (commands: string[]) => commands.some((c) => c.startsWith('mkfs.ext4'));

describe('generated key (ephemeral volume)', () => {
  it('a blank device is formatted (labelled oroot-ephemeral), opened, and given a filesystem', async () => {
    const { result, services, commands } = await run('crypt:dev=/dev/vdb');
    expect(result.ok).toBe(true);
    expect(services.events).toEqual([
      'seedUrandom /root',
      'derivePassphrase /dev/vdb',
      'probeDevice /dev/vdb',
      'formatVolume /dev/vdb oroot-ephemeral',
      'openVolume /dev/vdb secure',
      'rewriteFstab swap=false recurse=true (no fstab)',
    ]);
    expect(mkfsRan(commands)).toBe(true);
    expect(result.state.crypt).toEqual({ profile: 'ephemeral', type: 'luks2', cipher: 'aes-xts-plain64', keyBits: 512, mapname: 'secure', keyStorage: 'generated-discarded', formatted: true });
    expect(result.state.entropy?.crngReady).toBe(true);
  });

  it('a persistent volume is refused before anything is written to it, and the run is undone', async () => {
    const { result, services, commands } = await run('crypt:dev=/dev/vdb', { content: luks('oroot-persistent') });
    expect(result.ok).toBe(false);
    expect(result.error!.message).toContain('/dev/vdb: the device holds a persistent oroot volume (LUKS label oroot-persistent)');
    expect(result.error!.hint).toContain('mkfs=2');
    expect(services.events.filter((e) => /formatVolume|openVolume/.test(e))).toEqual([]);
    expect(commands).toEqual([]); // no mount happened, so none to undo
    expect(() => statSync(path.join(root, 'media'))).toThrow(/ENOENT/); // the mount points it made are gone
  });
});

describe('given key (persistent volume)', () => {
  it('an existing LUKS volume is opened, never formatted, and its filesystem kept', async () => {
    const { result, services, commands } = await run('crypt:dev=/dev/vdb,keyfile=/etc/k', { content: luks('oroot-persistent'), filesystem: 'ext4' });
    expect(result.ok).toBe(true);
    expect(services.events).toContain('loadKey keyfile');
    expect(services.events.some((e) => e.startsWith('formatVolume'))).toBe(false);
    expect(services.events).toContain('filesystemOn /dev/mapper/secure');
    expect(mkfsRan(commands)).toBe(false);
    expect(result.state.crypt).toMatchObject({ formatted: false, keyStorage: 'given:keyfile', profile: 'persistent' });
  });

  it('a failed open is reported as it is and NEVER leads to a format', async () => {
    const { result, services } = await run('crypt:dev=/dev/vdb,keyfile=/etc/k', { content: luks('oroot-persistent'), failOpen: 'No key available with this passphrase.' });
    expect(result.ok).toBe(false);
    expect(result.error!.message).toContain('cannot open the volume on /dev/vdb: No key available with this passphrase.; it was left exactly as it was');
    expect(services.events.some((e) => e.startsWith('formatVolume'))).toBe(false);
    expect(services.events.some((e) => e.startsWith('closeVolume'))).toBe(false);
  });

  it('an opened volume without a filesystem is not given one (this boot did not format it); the volume is closed again', async () => {
    const { result, services, commands } = await run('crypt:dev=/dev/vdb,keyfile=/etc/k', { content: luks('oroot-persistent'), filesystem: undefined });
    expect(result.ok).toBe(false);
    expect(result.error!.message).toContain('holds no filesystem, and this boot did not format it');
    expect(mkfsRan(commands)).toBe(false);
    expect(services.events.at(-1)).toBe('closeVolume secure');
  });

  it('a blank device is formatted as persistent with mkfs=1, refused with mkfs=0', async () => {
    const formatted = await run('crypt:dev=/dev/vdb,keyfile=/etc/k');
    expect(formatted.services.events).toContain('formatVolume /dev/vdb oroot-persistent');
    expect(mkfsRan(formatted.commands)).toBe(true);
    const refused = await run('crypt:dev=/dev/vdb,keyfile=/etc/k,mkfs=0');
    expect(refused.result.error!.message).toContain('the device is blank and mkfs=0 forbids formatting it');
  });

  it('data on the device is refused unless mkfs=2', async () => {
    const refused = await run('crypt:dev=/dev/vdb,keyfile=/etc/k', { content: { kind: 'other', signature: 'an ext4 signature' } });
    expect(refused.result.error!.message).toContain('holds an ext4 signature, not a LUKS volume');
    const replaced = await run('crypt:dev=/dev/vdb,keyfile=/etc/k,mkfs=2', { content: { kind: 'other', signature: 'an ext4 signature' } });
    expect(replaced.result.ok).toBe(true);
    expect(replaced.services.events).toContain('formatVolume /dev/vdb oroot-persistent');
  });

  it('wipes the key from memory however the run ends', async () => {
    for (const answers of [{ content: luks('x'), filesystem: 'ext4' }, { content: luks('x'), failOpen: 'nope' }]) {
      const { services } = await run('crypt:dev=/dev/vdb,pass=correct-horse-battery', answers);
      expect(services.secrets).toHaveLength(1);
      expect(services.secrets[0]!.reveal().every((byte) => byte === 0)).toBe(true);
    }
  });
});

describe('waiting for the device', () => {
  it('resolves LABEL= with blkid when udev made no /dev/disk link, and mounts what it found', async () => {
    const { result, commands } = await run('device:dev=LABEL=data', {}, { stdout: (argv) => (argv[0] === 'blkid' ? '/dev/vdb\n' : '') });
    expect(result.ok).toBe(true);
    expect(commands[0]).toBe('blkid -c /dev/null -l -o device -t LABEL=data');
    expect(commands).toContain(`mount ${root}/dev/vdb ${root}/media/root-rw`);
  });

  it('gives up after the timeout with the device named and the fix', async () => {
    const { result, commands } = await run('device:dev=/dev/vdc');
    expect(result.ok).toBe(false);
    expect(result.error!.message).toBe('/dev/vdc did not appear within 1 s');
    expect(result.error!.hint).toContain('timeout=SECONDS');
    expect(commands.filter((c) => c.startsWith('mount '))).toEqual([]);
  });

  it('finds a device that appears late', async () => {
    setTimeout(() => fakeBlockDevice(root, '/dev/vdc'), 300);
    const { result } = await run('device:dev=/dev/vdc,timeout=5');
    expect(result.ok).toBe(true);
    expect(result.state.device).toBe('/dev/vdc');
  });

  it('refuses a device that holds a mounted filesystem', async () => {
    const { rdev } = statSync(path.join(root, 'dev/vdb'));
    const mm = `${Math.floor(rdev / 256) & 0xfff}:${rdev & 0xff}`;
    mkdirSync(path.join(root, 'proc/self'), { recursive: true });
    writeFileSync(path.join(root, 'proc/self/mountinfo'), `40 1 ${mm} / /mnt/data rw - ext4 /dev/vdb rw\n`);
    const { result } = await run('crypt:dev=/dev/vdb');
    expect(result.error!.message).toContain('/dev/vdb is in use: /dev/vdb is mounted at /mnt/data');
  });
  it('refuses a disk one of whose partitions holds a mounted filesystem, whatever else its sysfs directory holds', async () => {
    const { rdev } = statSync(path.join(root, 'dev/vdb'));
    const mm = `${Math.floor(rdev / 256) & 0xfff}:${rdev & 0xff}`;
    const disk = path.join(root, 'sys/dev/block', mm);
    for (const dir of ['vdb1', 'vdb2', 'queue', 'holders']) mkdirSync(path.join(disk, dir), { recursive: true });
    writeFileSync(path.join(disk, 'vdb1/dev'), '254:17\n');
    writeFileSync(path.join(disk, 'vdb2/dev'), '254:18\n');
    writeFileSync(path.join(disk, 'dev'), `${mm}\n`);
    writeFileSync(path.join(disk, 'size'), '524288\n');
    mkdirSync(path.join(root, 'proc/self'), { recursive: true });
    writeFileSync(path.join(root, 'proc/self/mountinfo'), '40 1 254:18 / /srv rw - ext4 /dev/vdb2 rw\n');
    const { result } = await run('crypt:dev=/dev/vdb');
    expect(result.error!.message).toContain('/dev/vdb is in use: /dev/vdb2 is mounted at /srv');
    // A partition nobody mounted is no reason to refuse.
    writeFileSync(path.join(root, 'proc/self/mountinfo'), '40 1 254:99 / /srv rw - ext4 /dev/vdc1 rw\n');
    expect((await run('crypt:dev=/dev/vdb')).result.error?.message ?? '').not.toContain('is in use');
  });
});

describe('the rewritten fstab', () => {
  const fstab = 'LABEL=rootfs / ext4 defaults 0 1\n';
  const lowerFstab = () => path.join(root, 'media/root-ro/etc/fstab');
  const upperFstab = () => path.join(root, 'media/root-rw/overlay/etc/fstab');

  beforeEach(() => {
    mkdirSync(path.dirname(lowerFstab()), { recursive: true });
    writeFileSync(lowerFstab(), fstab, { mode: 0o640 });
  });

  it('lands in the upper layer with the lower file\'s mode, and the directories it names are created', async () => {
    const { result } = await run('tmpfs', { fstab: (input) => ({ text: `# oroot\n${input}`, directories: ['/media/root-rw/overlay-mounts/home'] }) });
    expect(result.ok).toBe(true);
    expect(readFileSync(upperFstab(), 'utf8')).toBe(`# oroot\n${fstab}`);
    expect(statSync(upperFstab()).mode & 0o777).toBe(0o640);
    expect(statSync(path.join(root, 'media/root-rw/overlay-mounts/home')).isDirectory()).toBe(true);
  });

  it('restores a persistent upper layer\'s previous fstab on undo', async () => {
    mkdirSync(path.dirname(upperFstab()), { recursive: true });
    writeFileSync(upperFstab(), 'last boot\n');
    const requested = config('device:dev=/dev/vdb');
    const plan = planBoot(requested, machineFacts());
    const { host } = scriptedHost(root);
    const overlayAt = plan.steps.findIndex((s) => s.kind === 'mount-overlay');
    const result = await executePlan(host, plan, {
      services: fakeServices(),
      inject: (index) => {
        if (index === overlayAt) throw new Error('injected');
      },
    });
    expect(result.ok).toBe(false);
    expect(readFileSync(upperFstab(), 'utf8')).toBe('last boot\n');
  });

  it('without an fstab: nothing is written, unless the rewriter fabricates a `/` line (with `ro`)', async () => {
    rmSync(lowerFstab());
    const plain = await run('tmpfs');
    expect(plain.services.events).toContain('rewriteFstab swap=false recurse=true (no fstab)');
    expect(() => statSync(upperFstab())).toThrow(/ENOENT/);
    const plan = planBoot(config('tmpfs'), machineFacts({ cmdline: 'ro' }));
    const { host } = scriptedHost(root);
    expect((await executePlan(host, plan, { services: fakeServices() })).ok).toBe(true);
    expect(readFileSync(upperFstab(), 'utf8')).toBe('/dev/vda1 / ext4 ro,relatime 0 0\n');
  });
});
