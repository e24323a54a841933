// The init-bottom script's own logic, run on the host with both shells an initramfs may have
// (busybox sh, which Debian's initramfs uses, and dash): resolving the root's loader and libraries
// without escaping into the initramfs, the cheap "was an overlay asked for?" look at the
// configuration, and the fstab the shell fallback leaves. The boots (faults.test.ts) prove the
// same paths end to end; these cover the cases a boot does not reach.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/machine.js';
import { repoRoot } from './harness/paths.js';
import { scratchDir } from './harness/scenario.js';

const script = path.join(repoRoot, 'initramfs-hooks/initramfs-tools/scripts/init-bottom/oroot');
const scratch = scratchDir();
const root = path.join(scratch.dir, 'root');
/** The script's functions without its main part and without initramfs-tools' functions file. */
const library = path.join(scratch.dir, 'functions.sh');

beforeAll(() => {
  requireTool('busybox');
  requireTool('dash');
  const text = readFileSync(script, 'utf8');
  const main = text.indexOf('# --- main');
  expect(main).toBeGreaterThan(0);
  writeFileSync(library, text.slice(0, main).replace(/^\. \/scripts\/functions$/m, ''));
  // A Debian-like root: merged /usr and the loader behind an absolute symlink.
  for (const dir of ['usr/lib/x86_64-linux-gnu', 'usr/lib64', 'usr/bin', 'usr/lib/oroot', 'usr/share/nodejs', 'etc/ld.so.conf.d', 'opt/lib']) {
    mkdirSync(path.join(root, dir), { recursive: true });
  }
  symlinkSync('usr/lib', path.join(root, 'lib'));
  symlinkSync('usr/lib64', path.join(root, 'lib64'));
  symlinkSync('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', path.join(root, 'usr/lib64/ld-linux-x86-64.so.2'));
  writeFileSync(path.join(root, 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'), '');
  writeFileSync(path.join(root, 'usr/bin/node'), '');
  symlinkSync('node', path.join(root, 'usr/bin/nodejs'));
  // An absolute link that only makes sense inside the root.
  symlinkSync('/opt/lib', path.join(root, 'usr/lib/private'));
  writeFileSync(path.join(root, 'etc/ld.so.conf.d/x86_64-linux-gnu.conf'), '# Multiarch support\n/lib/x86_64-linux-gnu\n/usr/lib/private\n/usr/local/lib\n');
});
afterAll(() => scratch.cleanup());

/** Run `body` after sourcing the script's functions, with ROOTMNT and the config inputs set. */
function sh(shell: 'busybox' | 'dash', body: string, cmdline = 'root=/dev/vda ro'): string {
  writeFileSync(path.join(scratch.dir, 'cmdline'), `${cmdline}\n`);
  const prelude = `. '${library}'; ROOTMNT='${root}'; CMDLINE_FILE='${scratch.dir}/cmdline'; INITRAMFS_CONF='${scratch.dir}/conf.d-overlayroot'; DPKG_ARCH=amd64;`;
  const argv = shell === 'busybox' ? ['sh', '-c', `${prelude}\n${body}`] : ['-c', `${prelude}\n${body}`];
  return execFileSync(shell === 'busybox' ? 'busybox' : 'dash', argv, { encoding: 'utf8' }).trim();
}

function writeRootFile(file: string, content: string | undefined): void {
  const target = path.join(root, file);
  if (content === undefined) writeFileSync(target, '');
  else writeFileSync(target, content);
}

describe.each(['busybox', 'dash'] as const)('the init-bottom script under %s', (shell) => {
  it('resolves the loader inside the root, following absolute symlinks there, not in the initramfs', () => {
    expect(sh(shell, 'loader_candidates; find_in_root $LOADERS && echo "$RESOLVED"')).toBe(path.join(root, 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'));
    expect(sh(shell, 'find_in_root /usr/lib/oroot/node /usr/bin/node /usr/bin/nodejs && echo "$RESOLVED"')).toBe(path.join(root, 'usr/bin/node'));
    expect(sh(shell, 'resolve_in_root "$ROOTMNT" /usr/lib/private && echo "$RESOLVED"')).toBe(path.join(root, 'opt/lib'));
    expect(sh(shell, 'resolve_in_root "$ROOTMNT" /usr/bin/../lib/x86_64-linux-gnu && echo "$RESOLVED"')).toBe(path.join(root, 'usr/lib/x86_64-linux-gnu'));
    expect(sh(shell, 'resolve_in_root "$ROOTMNT" /usr/bin/missing || echo none')).toBe('none');
  });

  it('refuses a symlink loop instead of hanging', () => {
    const loop = path.join(root, `loop-${shell}`);
    symlinkSync(`/loop-${shell}`, loop);
    expect(sh(shell, `resolve_in_root "$ROOTMNT" /loop-${shell} || echo refused`)).toBe('refused');
  });

  it("builds the library path from the loader's directory and the root's ld.so.conf.d, resolved and without duplicates", () => {
    const libs = sh(shell, 'loader_candidates; find_in_root $LOADERS; library_path "$RESOLVED"; echo "$LIBS"').split(':');
    expect(libs).toEqual([path.join(root, 'usr/lib/x86_64-linux-gnu'), path.join(root, 'usr/lib'), path.join(root, 'opt/lib')]);
  });

  it('sees an overlay request with the stage’s precedence, never sourcing the files', () => {
    const requested = (cmdline?: string) => sh(shell, 'if overlay_requested; then echo "yes $REQUESTED_MODE"; else echo no; fi', cmdline);
    writeFileSync(path.join(scratch.dir, 'conf.d-overlayroot'), 'overlayroot="tmpfs"\n');
    writeRootFile('etc/overlayroot.conf', '# overlayroot="device:dev=/dev/vdc"\noverlayroot=""\noverlayroot_cfgdisk="disabled"\n$(touch /tmp/never-run)\n');
    writeRootFile('etc/overlayroot.local.conf', "overlayroot='crypt:dev=/dev/vdb,pass=a b' # comment\n");
    expect(requested()).toBe('yes crypt');
    expect(requested('ro overlayroot=/dev/vdb,timeout=5')).toBe('yes device');
    expect(requested('ro overlayroot=tmpfs overlayroot=')).toBe('no');
    expect(requested('ro overlayroot=disabled')).toBe('no');
    writeRootFile('etc/overlayroot.local.conf', undefined);
    // /etc/overlayroot.conf's empty value overrides the initramfs conf.d file, as in the stage.
    expect(requested()).toBe('no');
    expect(requested('ro overlayroot_cfgdisk=LABEL=OROOTCFG')).toBe('yes config disk');
    expect(requested('ro overlayroot_cfgdisk=LABEL=OROOTCFG overlayroot_cfgdisk=disabled')).toBe('no');
  });

  it('leaves an fstab that cannot write to a disk: disk entries commented out, virtual ones kept', () => {
    const fstab = path.join(root, 'etc/fstab');
    writeFileSync(
      fstab,
      [
        '# <file system> <mount point> <type> <options> <dump> <pass>',
        'UUID=1234 / ext4 errors=remount-ro 0 1',
        '/dev/vdb1\t/home\text4\tdefaults\t0\t2',
        '/swap.img none swap sw 0 0',
        'proc /proc proc defaults 0 0',
        'tmpfs /tmp tmpfs mode=1777 0 0',
        '',
        'LABEL=data /srv/My\\040Data xfs defaults 0 0',
      ].join('\n'),
    );
    sh(shell, 'neutralise_fstab');
    const lines = readFileSync(fstab, 'utf8').split('\n');
    expect(lines.slice(0, 3).every((line) => line.startsWith('# '))).toBe(true);
    expect(lines.slice(3)).toEqual([
      '# <file system> <mount point> <type> <options> <dump> <pass>',
      '#oroot-fallback# UUID=1234 / ext4 errors=remount-ro 0 1',
      '#oroot-fallback# /dev/vdb1\t/home\text4\tdefaults\t0\t2',
      '#oroot-fallback# /swap.img none swap sw 0 0',
      'proc /proc proc defaults 0 0',
      'tmpfs /tmp tmpfs mode=1777 0 0',
      '',
      '#oroot-fallback# LABEL=data /srv/My\\040Data xfs defaults 0 0',
      '',
    ]);
  });

  it('reads the prepared runtime record, prefixing the root, and rejects one that names a missing path', () => {
    const conf = 'usr/lib/oroot/boot-runtime/runtime.conf';
    mkdirSync(path.join(root, 'usr/lib/oroot/boot-runtime'), { recursive: true });
    const record = (libs: string) =>
      writeRootFile(conf, `# comment=ignored\nloader=/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\nnode=/usr/bin/node\nlibs=${libs}\nnode_share=/usr/share/nodejs\nsnapshot=/usr/lib/oroot/boot-runtime/oroot-boot.blob\nsnapshot_ref=/usr/bin/node\nsnapshot_flags=--no-verify-snapshot-checksum --foo\nunknown=/x\n`);
    const read = 'if prepared_runtime; then printf "%s|%s|%s|%s|%s|%s|%s" "$loader" "$node" "$LIBS" "$SHARE_TARGET" "$SNAPSHOT" "$SNAPSHOT_REF" "$SNAPSHOT_FLAGS"; else echo none; fi';
    record('/usr/lib/x86_64-linux-gnu:/usr/lib');
    expect(sh(shell, read).split('|')).toEqual([
      path.join(root, 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'),
      path.join(root, 'usr/bin/node'),
      `${path.join(root, 'usr/lib/x86_64-linux-gnu')}:${path.join(root, 'usr/lib')}`,
      path.join(root, 'usr/share/nodejs'),
      path.join(root, 'usr/lib/oroot/boot-runtime/oroot-boot.blob'),
      path.join(root, 'usr/bin/node'),
      // The V8 flags the snapshot was made with: passed on as they are.
      '--no-verify-snapshot-checksum --foo',
    ]);
    // A library directory gone since (a removed package): looked up the slow way instead.
    record('/usr/lib/x86_64-linux-gnu:/usr/lib/gone');
    expect(sh(shell, read)).toBe('none');
    writeRootFile(conf, 'loader=/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\nlibs=/usr/lib\n');
    expect(sh(shell, read)).toBe('none');
  });

  // busybox's test compares whole seconds, dash's nanoseconds. Either way a snapshot that slips
  // through is refused by Node.js itself (V8's version tag), and the plain bundle follows.
  it(`uses a snapshot only while its time equals its reference file’s (to the ${shell === 'dash' ? 'nanosecond' : 'second'})`, () => {
    const blob = path.join(root, `usr/lib/oroot/snapshot-${shell}.blob`);
    const ref = path.join(root, 'usr/bin/node');
    writeFileSync(blob, 'snapshot');
    const matches = () => sh(shell, `SNAPSHOT='${blob}'; SNAPSHOT_REF='${ref}'; LOG_FILE=/dev/null; if snapshot_matches 2>/dev/null; then echo yes; else echo no; fi`);
    execFileSync('touch', ['-d', '2026-01-02 03:04:05.123456789', ref]);
    execFileSync('touch', ['-r', ref, blob]);
    expect(matches()).toBe('yes');
    execFileSync('touch', ['-d', '2026-01-02 03:04:05.123456788', blob]);
    expect(matches()).toBe(shell === 'dash' ? 'no' : 'yes');
    execFileSync('touch', ['-d', '2026-01-02 03:04:04.123456789', blob]);
    expect(matches()).toBe('no');
    execFileSync('touch', ['-d', '2026-01-02 03:04:06.123456789', blob]);
    expect(matches()).toBe('no');
    expect(sh(shell, `SNAPSHOT='${blob}.missing'; SNAPSHOT_REF='${ref}'; if snapshot_matches; then echo yes; else echo no; fi`)).toBe('no');
  });

  it('computes elapsed milliseconds from two /proc/uptime readings without octal surprises', () => {
    const elapsed = (from: string, to: string) => sh(shell, `elapsed_ms ${from} ${to}; echo "$ELAPSED_MS"`);
    expect(elapsed('8.92', '16.20')).toBe('7280');
    expect(elapsed('0.08', '0.09')).toBe('10');
    expect(elapsed('100.09', '101.00')).toBe('910');
    expect(elapsed('0.00', '0.00')).toBe('0');
  });

  it('writes a state file oroot status can read, with nothing from the configuration value in it', () => {
    const state = path.join(scratch.dir, `state-${shell}.json`);
    sh(shell, `STATE_FILE='${state}'; REQUESTED_MODE=crypt; write_fallback_state 'no "runtime" \\\\ here' 80`);
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({
      version: 1,
      outcome: 'fallback',
      durationMs: 80,
      requested: { mode: 'crypt', source: 'init-bottom', value: '' },
      applied: { mode: 'tmpfs', upper: 'tmpfs-root', fstype: 'tmpfs' },
      fallback: { policy: 'tmpfs', reason: 'no runtime  here' },
      steps: [],
    });
  });
});
