#!/usr/bin/env node
// prepare-boot-runtime: make the boot stage start fast. Run by the package's maintainer scripts
// (at install, and again through a dpkg trigger whenever /usr/bin/node changes) with the Node.js
// the init-bottom script will use; it writes /usr/lib/oroot/boot-runtime/:
//
//   oroot-boot.blob  a V8 startup snapshot of oroot-boot.cjs built by this very Node.js. Started
//                    from it, Node neither compiles its own bootstrap code (Debian's Node.js is
//                    built without a snapshot) nor parses the bundle: under emulation that is
//                    seconds. A snapshot only works with the exact Node.js that made it, on a CPU
//                    with the same features (V8 refuses it otherwise), so its modification time
//                    is set to that of the file holding V8 (libnode, or node itself): an upgraded
//                    runtime has another time, and the init-bottom script then starts the plain
//                    bundle instead; it does the same when Node.js refuses the snapshot.
//                    Before the snapshot is taken, the bundle rehearses the boot stage against a
//                    made-up machine (src/overlayroot/boot/rehearsal.ts), so the snapshot holds
//                    the stage's code compiled as well.
//   runtime.conf     where the loader, node, the library directories and /usr/share/nodejs really
//                    are (every symlink resolved), so the init-bottom script need not resolve
//                    them with one `readlink` process per symlink; and the V8 flags the snapshot
//                    was made with, which it must be started with too (V8 refuses it otherwise).
//
// Usage: prepare-boot-runtime (no arguments). Exits non-zero when nothing usable could be made
// (the old files are gone then too: the boot stage starts without them, only slower). The prerm
// removes the directory with rm, which works even when Node.js is already gone.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const libDir = __dirname;
const bundle = path.join(libDir, 'oroot-boot.cjs');
const outDir = path.join(libDir, 'boot-runtime');
const BLOB = 'oroot-boot.blob';
const CONF = 'runtime.conf';
/** Debian's Node.js loads part of its built-in modules from here at every start. */
const NODE_SHARE = '/usr/share/nodejs';
const CHILD_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };
/**
 * V8's check of the snapshot's checksum reads the whole blob at every start (≈ 0.15 s under
 * emulation). The blob is made on this machine and renamed into place whole; a blob damaged later
 * makes Node fail before the stage begins, and the init-bottom script then runs the plain bundle.
 */
const SNAPSHOT_FLAGS = ['--no-verify-snapshot-checksum'];

function main() {
  const work = fs.mkdtempSync(path.join(libDir, '.boot-runtime-'));
  try {
    const node = fs.realpathSync(process.execPath);
    const blob = path.join(work, BLOB);
    const rehearsed = buildSnapshot(node, blob);
    const runtime = describeRuntime(node);
    // The snapshot carries the runtime's modification time, to the nanosecond (fs.utimes would
    // round it): how the boot tells it still matches.
    run('touch', ['-r', runtime.snapshotRef, blob]);
    fs.writeFileSync(path.join(work, CONF), runtimeConf({ ...runtime, snapshot: path.join(outDir, BLOB), nodeFlags: SNAPSHOT_FLAGS }), { mode: 0o644 });
    fs.chmodSync(work, 0o755);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.renameSync(work, outDir);
    console.log(`oroot: boot runtime prepared in ${outDir} (Node.js ${process.version}, snapshot ${kib(fs.statSync(path.join(outDir, BLOB)).size)}, ${rehearsed})`);
  } catch (error) {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Build the snapshot, then prove this Node.js starts from it and runs the same code as the bundle.
 * Returns what the build's rehearsal of the stage reports ("rehearsed tmpfs, …").
 */
function buildSnapshot(node, blob) {
  // The rehearsal makes its machine under TMPDIR: here, beside the blob, on the filesystem that
  // holds the package's programs. A /tmp mounted noexec would fail it (it looks for an
  // executable cryptsetup there, as the boot does on the real machine).
  const built = run(node, [...SNAPSHOT_FLAGS, '--snapshot-blob', blob, '--build-snapshot', bundle], { TMPDIR: path.dirname(blob) });
  const rehearsed = /^oroot-boot: (rehearsed .*)$/m.exec(built);
  if (!rehearsed) throw new Error(`building the snapshot did not rehearse the boot stage: ${built.trim() || '(no output)'}`);
  const fromSnapshot = run(node, [...SNAPSHOT_FLAGS, '--snapshot-blob', blob, 'version']).trim();
  const fromBundle = run(node, [bundle, 'version']).trim();
  if (!fromSnapshot.startsWith('oroot-boot ') || fromSnapshot !== fromBundle) {
    throw new Error(`the snapshot answers "${fromSnapshot}" where the bundle answers "${fromBundle}"`);
  }
  return rehearsed[1];
}

function run(program, args, env = {}) {
  const result = spawnSync(program, args, { env: { ...CHILD_ENV, ...env }, encoding: 'utf8', timeout: 300_000 });
  if (result.error) throw new Error(`${program} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${program} ${args.join(' ')} exited with ${result.status ?? result.signal}: ${result.stderr.trim().split('\n').slice(-5).join('\n')}`);
  }
  return result.stdout;
}

/**
 * The files this process really runs from (as the kernel mapped them, every symlink resolved):
 * the ELF loader, the file holding V8, and the directories of the loaded libraries plus those the
 * loader would search (its own, the multiarch and plain lib directories, ld.so.conf.d), so a
 * library loaded later at run time is found as well.
 */
function describeRuntime(node) {
  const mapped = [...new Set(fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((line) => line.slice(line.indexOf('/'))).filter((file) => file.startsWith('/')))];
  const loader = mapped.find((file) => /\/ld(-linux[^/]*|64)\.so\.\d+$/.test(file));
  if (!loader) throw new Error(`${node} runs without an ELF loader (a static build): the init-bottom script cannot start it that way`);
  const libnode = mapped.find((file) => /\/libnode\.so[.\d]*$/.test(file));
  const triplet = path.basename(path.dirname(loader));
  const candidates = [
    path.dirname(loader),
    ...mapped.filter((file) => /\.so[.\d]*$/.test(file) && file !== loader).map((file) => path.dirname(file)),
    `/lib/${triplet}`,
    `/usr/lib/${triplet}`,
    '/lib',
    '/usr/lib',
    ...ldSoConfDirs(),
  ];
  const libs = [...new Set(candidates.map(realDir).filter(Boolean))];
  return { loader, node, libs, nodeShare: realDir(NODE_SHARE), snapshotRef: libnode ?? node };
}

function ldSoConfDirs() {
  const dir = '/etc/ld.so.conf.d';
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith('.conf')).sort() : [];
  return files.flatMap((name) =>
    fs
      .readFileSync(path.join(dir, name), 'utf8')
      .split('\n')
      .map((line) => line.trim().split(/\s/)[0])
      .filter((entry) => entry.startsWith('/')),
  );
}

function realDir(dir) {
  try {
    const real = fs.realpathSync(dir);
    return fs.statSync(real).isDirectory() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** key=value lines; the init-bottom script reads them with `read`, never by sourcing the file. */
function runtimeConf({ loader, node, libs, nodeShare, snapshot, snapshotRef, nodeFlags }) {
  return [
    `# Written by ${path.join(libDir, 'prepare-boot-runtime.cjs')} with Node.js ${process.version}; read by the oroot`,
    '# init-bottom script. Paths are as seen from the root filesystem, every symlink resolved.',
    `loader=${loader}`,
    `node=${node}`,
    `libs=${libs.join(':')}`,
    `node_share=${nodeShare ?? ''}`,
    `snapshot=${snapshot}`,
    `snapshot_ref=${snapshotRef}`,
    `snapshot_flags=${nodeFlags.join(' ')}`,
    '',
  ].join('\n');
}

function kib(bytes) {
  return `${Math.round(bytes / 1024)} KiB`;
}

try {
  main();
} catch (error) {
  console.error(`oroot: could not prepare the boot runtime: ${error instanceof Error ? error.message : String(error)}`);
  console.error('oroot: the boot stage will start without it (slower); run /usr/lib/oroot/prepare-boot-runtime.cjs to retry');
  process.exitCode = 1;
}
