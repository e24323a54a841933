// Runs the boot stage (or one plan) for real, inside the private mount namespace the integration
// tests start it in (`unshare -m --propagation private node boot-driver.mjs JSON`), and reports on
// stdout, as JSON, everything the test checks: the mount table before and after, what the new root
// looks like, and what the stage recorded. Mounts vanish with the namespace, so every observation
// of them happens here.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const input = JSON.parse(process.argv[2]);
const { dist, hostRoot } = input;
const load = (module) => import(path.join(dist, module));

const { createHost } = await load('system/host.js');
const { memoryLogger } = await load('system/log.js');
const { loadNativeSys } = await load('system/native.js');
const { realServices } = await load('overlayroot/execute/services.js');

// With the native addon, mounts are made with mount(2), as at boot; without, with mount(8).
const loaded = input.sysAddon ? loadNativeSys(input.sysAddon) : undefined;
if (loaded && !loaded.ok) throw new Error(loaded.reason);
const mounts = loaded?.sys;

const mountTable = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const fields = line.split(' ');
      const dash = fields.indexOf('-', 6);
      return { target: fields[4], options: fields[5], fstype: fields[dash + 1], source: fields[dash + 2], superOptions: fields[dash + 3] };
    })
    .filter((m) => m.target === hostRoot || m.target.startsWith(`${hostRoot}/`));

for (const [device, where, options] of input.mounts) execFileSync('mount', ['-o', options, device, path.join(hostRoot, where)]);
const before = mountTable();

let result;
const log = memoryLogger();
const inject = input.inject
  ? (index, phase) => {
      if (index === input.inject.index && phase === input.inject.phase) throw new Error(`injected failure at step ${index} (${phase})`);
    }
  : undefined;
if (input.run === 'stage') {
  const { runBootStage } = await load('overlayroot/boot/stage.js');
  const stage = await runBootStage(createHost({ root: hostRoot, mounts }), { rootmnt: '/root', services: realServices(), inject });
  result = { exitStatus: stage.exitStatus, state: stage.state };
} else {
  const host = createHost({ root: hostRoot, log, mounts });
  const { parseOverlayrootValue } = await load('overlayroot/config/build.js');
  const { probeFacts } = await load('overlayroot/facts.js');
  const { planBoot } = await load('overlayroot/plan/planner.js');
  const { executePlan } = await load('overlayroot/execute/executor.js');
  const config = parseOverlayrootValue(input.value, 'integration test');
  const facts = await probeFacts(host, { rootmnt: '/root', mode: config.mode });
  const plan = planBoot(config, facts);
  const run = input.dryRun ? { ok: true, undoFailed: false, records: [] } : await executePlan(host, plan, { services: realServices(), inject });
  if (input.persist) writeFileSync(path.join(hostRoot, 'root/oroot-itest-persisted'), 'persisted through the overlay\n');
  result = {
    ok: run.ok,
    undoFailed: run.undoFailed,
    error: run.error?.message,
    records: run.records,
    plan: plan.steps.map((s) => ({ kind: s.kind, command: s.command.join(' ') })),
  };
}

const at = (machinePath) => path.join(hostRoot, machinePath);
const tryWrite = (machinePath) => {
  try {
    writeFileSync(at(machinePath), 'written by the integration test\n');
    rmSync(at(machinePath));
    return 'ok';
  } catch (error) {
    return error.code;
  }
};
const readOrNull = (machinePath) => {
  try {
    return readFileSync(at(machinePath), 'utf8');
  } catch {
    return null;
  }
};
const listOrNull = (machinePath) => {
  try {
    return readdirSync(at(machinePath)).sort();
  } catch {
    return null;
  }
};
const probes = {
  marker: readOrNull('/root/oroot-itest-marker'),
  usrMarker: readOrNull('/root/usr/oroot-itest-usr-marker'),
  fstab: readOrNull('/root/etc/fstab'),
  rootWrite: tryWrite('/root/oroot-itest-write'),
  usrWrite: tryWrite('/root/usr/oroot-itest-write'),
  lowerWrite: tryWrite('/root/media/root-ro/oroot-itest-write'),
  lowerUsrWrite: tryWrite('/root/media/root-ro/usr/oroot-itest-write'),
  upper: listOrNull('/root/media/root-rw'),
  upperEtc: listOrNull('/root/media/root-rw/overlay/etc'),
  upperMounts: listOrNull('/root/media/root-rw/overlay-mounts'),
  initramfs: listOrNull('/'),
  initramfsMedia: listOrNull('/media'),
  kmsg: readOrNull('/dev/kmsg'),
  workdirMode: (() => {
    try {
      return statSync(at('/root/media/root-rw/overlay-workdir/_')).mode & 0o7777;
    } catch {
      return null;
    }
  })(),
};
process.stdout.write(JSON.stringify({ before, after: mountTable(), result, probes, log: log.events.map((e) => `${e.level}: ${e.message}`) }));
