// The executor with a scripted host: it runs what the plan says in order, and after a failure at
// ANY step (before the step did anything, or after it did everything) it undoes exactly what was
// done, in reverse, leaving the machine tree as it was.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executePlan, StepFailedError } from '../../src/overlayroot/execute/executor.js';
import { planBoot } from '../../src/overlayroot/plan/planner.js';
import { programArgv, undoArgv } from '../../src/overlayroot/plan/commands.js';
import type { PlanStep } from '../../src/overlayroot/plan/types.js';
import { enabledConfig, machineFacts, rootMount } from '../helpers/facts.js';
import { tempDir } from '../helpers/machine.js';
import { fakeBlockDevice, fakeServices, scriptedHost } from '../helpers/scripted-host.js';

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir('oroot-exec-'));
  // The scripted `mount --move` moves nothing, so the lower's fstab is put where it would be seen.
  mkdirSync(path.join(root, 'media/root-ro/etc'), { recursive: true });
  writeFileSync(path.join(root, 'media/root-ro/etc/fstab'), 'LABEL=rootfs / ext4 defaults 0 1\n', { mode: 0o644 });
  fakeBlockDevice(root, '/dev/vdb');
});
afterEach(() => cleanup());

const config = enabledConfig;

/** Every path under the root, with its type: what "the machine as it was" means here. */
function tree(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    const rel = path.relative(base, full);
    return entry.isDirectory() && !entry.isSymbolicLink() ? [`${rel}/`, ...tree(full, base)] : [rel];
  });
}

/** What a command of the plan becomes when machine paths live under the test root. */
function mapped(step: PlanStep, which: 'do' | 'undo'): string | undefined {
  const context = { map: (p: string) => path.join(root, p), resolvedDevice: '/dev/vdb' };
  return (which === 'do' ? programArgv(step, context) : undoArgv(step, context))?.join(' ');
}

const configs = ['tmpfs:size=50%', 'device:dev=/dev/vdb', 'crypt:dev=/dev/vdb,keep_key=1', 'crypt:dev=/dev/vdb,keyfile=/etc/upper.key'];
const facts = machineFacts({
  cmdline: 'root=/dev/vda1 rw ro',
  root: rootMount({ readOnly: false }),
  submounts: [rootMount({ mountPoint: '/root/usr', source: '/dev/vda2', majorMinor: '254:2' })],
});

describe.each(configs)('%s', (value) => {
  const requested = config(value);
  const plan = planBoot(requested, facts);
  const key = requested.mode === 'crypt' ? requested.crypt.key : undefined;

  it('runs the plan\'s own commands, in the plan\'s order', async () => {
    const { host, commands } = scriptedHost(root);
    const services = fakeServices({ filesystem: 'ext4' });
    const result = await executePlan(host, plan, { services, key });
    expect(result.ok).toBe(true);
    expect(result.records.every((r) => r.status === 'done')).toBe(true);
    expect(commands()).toEqual(plan.steps.map((s) => mapped(s, 'do')).filter((c) => c !== undefined));
    expect(services.secrets.every((s) => s.reveal().every((byte) => byte === 0))).toBe(true);
  });

  it.each(plan.steps.flatMap((step, index) => (['before', 'after'] as const).map((phase) => [index, phase, step.kind] as const)))(
    'a failure at step %i (%s, %s) is undone exactly, in reverse',
    async (failAt, phase) => {
      const before = tree(root);
      const { host, calls, commands } = scriptedHost(root);
      const services = fakeServices({ filesystem: 'ext4' });
      let callsAtFailure = -1;
      const result = await executePlan(host, plan, {
        services,
        key,
        inject: (index, at) => {
          if (index !== failAt || at !== phase) return;
          callsAtFailure = calls.length;
          throw new Error('injected');
        },
      });
      expect(result.ok).toBe(false);
      expect(result.undoFailed).toBe(false);
      expect(result.error).toBeInstanceOf(StepFailedError);
      expect(result.error!.primary).toEqual(new Error('injected'));
      expect(result.error!.index).toBe(failAt);

      const done = plan.steps.slice(0, phase === 'after' ? failAt + 1 : failAt);
      const expectedUndo = done.map((s) => mapped(s, 'undo')).filter((c) => c !== undefined).reverse();
      expect(commands().slice(callsAtFailure)).toEqual(expectedUndo);
      expect(tree(root)).toEqual(before);
      const attached = done.some((s) => s.kind === 'crypt-attach');
      expect(services.events.includes('closeVolume secure')).toBe(attached);
      expect(services.secrets.every((s) => s.reveal().every((byte) => byte === 0))).toBe(true);

      expect(result.records[failAt]!.status).toBe('failed');
      expect(result.records.slice(failAt + 1).every((r) => r.status === 'skipped')).toBe(true);
      for (const [index, step] of done.entries()) {
        if (index === failAt) continue;
        expect(result.records[index]!.status).toBe(step.undo?.command || step.kind === 'crypt-attach' ? 'undone' : result.records[index]!.status);
        expect(['done', 'undone']).toContain(result.records[index]!.status);
      }
    },
  );
});

describe('undo itself failing', () => {
  it('keeps undoing the rest, reports every undo error beside the primary error', async () => {
    const plan = planBoot(config('tmpfs'), machineFacts());
    const { host, commands } = scriptedHost(root, { fail: (argv) => (argv[0] === 'umount' ? 'umount: target is busy.' : undefined) });
    const overlayAt = plan.steps.findIndex((s) => s.kind === 'mount-overlay');
    const result = await executePlan(host, plan, {
      services: fakeServices(),
      inject: (i, phase) => {
        if (i === overlayAt && phase === 'before') throw new Error('overlay mount failed');
      },
    });
    expect(result.ok).toBe(false);
    expect(result.undoFailed).toBe(true);
    expect(result.error!.message).toContain('overlay mount failed');
    expect(result.error!.cause).toBeInstanceOf(AggregateError);
    expect((result.error!.cause as AggregateError).errors[0].message).toContain('umount: target is busy.');
    // In reverse: the move back first, then the umount that failed; the rmdirs after it still ran.
    expect(commands().slice(-2)).toEqual([`mount --move ${root}/media/root-ro ${root}/root`, `umount ${root}/media/root-rw`]);
    expect(result.records.find((r) => r.kind === 'mount-tmpfs')!.status).toBe('undo-failed');
  });
});

describe('files it writes', () => {
  it('keeps the generated key 0400 and removes it on undo', async () => {
    const plan = planBoot(config('crypt:dev=/dev/vdb,keep_key=1'), machineFacts());
    const { host } = scriptedHost(root);
    const ok = await executePlan(host, plan, { services: fakeServices() });
    expect(ok.ok).toBe(true);
    const file = path.join(root, 'run/initramfs/overlayroot.passwd');
    expect(statSync(file).mode & 0o777).toBe(0o400);
    expect(ok.state.crypt?.keyStorage).toBe('generated-kept:/run/initramfs/overlayroot.passwd');
    statSync(path.join(root, 'run/initramfs')); // created 0700 where missing
    expect(statSync(path.join(root, 'run/initramfs')).mode & 0o777).toBe(0o700);
  });
});
