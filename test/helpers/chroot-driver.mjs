// Runs `oroot chroot` sessions for real inside the private mount namespace the integration test
// starts it in (`unshare -m --propagation private node chroot-driver.mjs DIR CLI`), and prints, as
// JSON, what each session returned and what the mount table and the layers looked like afterwards.
// Everything is built here, in DIR: an ext4 lower (busybox inside) on a loop device, mounted
// read-only, a second ext4 filesystem read-only at <lower>/home, a tmpfs for the upper layer, and
// the overlay `overlayroot` on DIR/merged.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';

const [dir, cli] = process.argv.slice(2);
const lower = path.join(dir, 'lower');
const merged = path.join(dir, 'merged');
const sh = (...argv) => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function buildLayers() {
  const tree = path.join(dir, 'tree');
  for (const sub of ['bin', 'dev', 'proc', 'sys', 'run', 'tmp', 'home', 'etc']) mkdirSync(path.join(tree, sub), { recursive: true });
  copyFileSync(sh('sh', '-c', 'command -v busybox').trim(), path.join(tree, 'bin/busybox'));
  for (const applet of ['sh', 'touch', 'sleep', 'cat', 'ls', 'true']) symlinkSync('busybox', path.join(tree, 'bin', applet));
  writeFileSync(path.join(tree, 'etc/marker'), 'lower\n');
  mkdirSync(path.join(dir, 'home-tree'));
  for (const [name, source] of [['root.img', tree], ['home.img', path.join(dir, 'home-tree')]]) {
    sh('truncate', '-s', '24M', path.join(dir, name));
    sh('mkfs.ext4', '-q', '-d', source, path.join(dir, name));
  }
  for (const sub of ['lower', 'rw', 'merged']) mkdirSync(path.join(dir, sub));
  // A writable block device mounted read-only, as a root is at boot (`mount -o loop,ro` would make
  // the loop device itself read-only). `losetup -d` on a mounted device detaches it once unmounted.
  for (const [image, where] of [['root.img', lower], ['home.img', path.join(lower, 'home')]]) {
    const device = sh('losetup', '--find', '--show', path.join(dir, image)).trim();
    sh('mount', '-o', 'ro', device, where);
    sh('losetup', '-d', device);
  }
  sh('mount', '-t', 'tmpfs', '-o', 'mode=755', 'tmpfs-root', path.join(dir, 'rw'));
  mkdirSync(path.join(dir, 'rw/overlay'));
  mkdirSync(path.join(dir, 'rw/overlay-workdir/_'), { recursive: true });
  sh('mount', '-t', 'overlay', '-o', `lowerdir=${lower},upperdir=${dir}/rw/overlay,workdir=${dir}/rw/overlay-workdir/_`, 'overlayroot', merged);
}

function mounts() {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((line) => {
    const f = line.split(' ');
    return { target: f[4].replace(/\\040/g, ' '), options: f[5].split(',') };
  });
}

/** The state after a session: what is mounted in the lower layer, and whether it is read-only. */
function observe() {
  const table = mounts();
  const probe = (where) => {
    try {
      writeFileSync(path.join(where, '.probe'), 'x');
      return 'writable';
    } catch (error) {
      return error.code;
    }
  };
  return {
    mountsInLower: table.filter((m) => m.target.startsWith(`${lower}/`)).map((m) => path.relative(lower, m.target)),
    lowerOptions: table.filter((m) => m.target === lower).at(-1)?.options.filter((o) => o === 'ro' || o === 'rw'),
    lowerWrite: probe(lower),
    homeWrite: probe(path.join(lower, 'home')),
    lockLeft: existsSync('/run/oroot-chroot.lock'),
  };
}

/** Start a session; resolves with its exit code and what it printed. */
function session(args, { onStart } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'chroot', '--overlay', merged, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onStart?.(child);
  });
}

async function waitFor(file) {
  for (let i = 0; i < 200 && !existsSync(file); i++) await sleep(50);
  const text = readFileSync(file, 'utf8').trim();
  return Number(text);
}

buildLayers();
const results = {};

// 1. The exit code comes back; the changes land in the lower layer (and in the filesystem below it).
results.exit7 = await session(['--', 'sh', '-c', 'touch /changed /home/changed-too && cat /etc/marker && ls /dev/null /proc/self >/dev/null && exit 7']);
results.exit7.after = observe();
results.exit7.inLower = existsSync(path.join(lower, 'changed')) && existsSync(path.join(lower, 'home/changed-too'));
results.exit7.inUpper = existsSync(path.join(dir, 'rw/overlay/changed'));

// 2. The command is killed with SIGKILL.
results.killedChild = await session(['--', 'sh', '-c', 'echo $$ >/pid-a; exec sleep 1000'], {
  onStart: async () => process.kill(await waitFor(path.join(lower, 'pid-a')), 'SIGKILL'),
});
results.killedChild.after = observe();

// 3. oroot itself gets SIGTERM: passed on to the command, which ends.
results.terminated = await session(['--', 'sh', '-c', 'echo $$ >/pid-b; exec sleep 1000'], {
  onStart: async (child) => {
    await waitFor(path.join(lower, 'pid-b'));
    child.kill('SIGTERM');
  },
});
results.terminated.after = observe();

// 4. A command that ignores SIGTERM is killed after --kill-after.
results.stubborn = await session(['--kill-after', '0.5', '--', 'sh', '-c', 'trap "" TERM; echo $$ >/pid-c; while :; do sleep 1; done'], {
  onStart: async (child) => {
    await waitFor(path.join(lower, 'pid-c'));
    child.kill('SIGTERM');
  },
});
await sleep(1200); // the orphaned `sleep 1` has gone
results.stubborn.after = observe();

// 5. A second session while one runs is refused; the first is unaffected.
results.concurrent = await new Promise((resolve) => {
  let second;
  const first = session(['--', 'sh', '-c', 'echo $$ >/pid-d; sleep 2; touch /first-done'], {
    onStart: async () => {
      await waitFor(path.join(lower, 'pid-d'));
      second = await session(['--', 'true']);
    },
  });
  first.then((firstResult) => resolve({ first: firstResult, second, firstDone: existsSync(path.join(lower, 'first-done')) }));
});
results.concurrent.after = observe();

// 6. A session killed with SIGKILL left binds and a writable lower: the next one cleans up.
sh('mount', '--bind', '/proc', path.join(lower, 'proc'));
sh('mount', '-o', 'remount,rw', lower);
writeFileSync('/run/oroot-chroot.lock', JSON.stringify({
  pid: 999999999, startTime: '1', lower,
  changes: [{ kind: 'mount', target: path.join(lower, 'proc'), what: '/proc' }, { kind: 'writable', target: lower }],
}));
results.staleBefore = observe();
results.stale = await session(['--', 'true']);
results.stale.after = observe();

// 7. A process the command left behind keeps a file open for writing: the lower cannot be made
//    read-only again, and oroot must say so loudly and exit 1 although the command succeeded.
results.busy = await session(['--', 'sh', '-c', 'sleep 3 >/held-open & exit 0']);
results.busy.during = observe();
await sleep(3500);
sh('mount', '-o', 'remount,ro', lower);
results.busy.after = observe();

process.stdout.write(JSON.stringify(results));
