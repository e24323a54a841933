// The fstab rewrite against the real consumers of its output, on this machine:
//   - util-linux's libmount (findmnt --fstab) reads every input exactly as parseFstab does, and
//     every golden output without a parse error;
//   - systemd-fstab-generator turns every golden output into units that layer each disk filesystem;
//   - the `/` line survives `mount -o remount` of a real overlay: with this machine's util-linux
//     (mount(2) and MS_REMOUNT), and the way util-linux >= 2.39 does it (fspick + fsconfig +
//     FSCONFIG_CMD_RECONFIGURE, test/helpers/fsconfig-reconfigure.py), where overlayroot's line
//     fails with "No changes allowed in reconfigure" (its weakness W9). Run as root in a private
//     mount namespace.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeField, parseFstab, rewriteFstab, type FstabEntry } from '../../src/overlayroot/fstab/index.js';
import { requireRoot, requireTool, tempDir } from '../helpers/machine.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/fstab');
const reconfigure = path.resolve(import.meta.dirname, '../helpers/fsconfig-reconfigure.py');
const GENERATOR = '/usr/lib/systemd/system-generators/systemd-fstab-generator';
const cases = readdirSync(fixtures, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
const fixtureFiles = cases.flatMap((name) => ['fstab', 'expected.fstab'].map((file) => path.join(fixtures, name, file))).filter(existsSync);

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  requireRoot();
  for (const tool of ['findmnt', 'mount', 'unshare', 'python3']) requireTool(tool);
  if (!existsSync(GENERATOR)) throw new Error(`this test needs ${GENERATOR} (systemd)`);
  work = tempDir('oroot-fstab-');
});
afterAll(() => work?.cleanup());

interface FindmntEntry {
  source: string;
  target: string;
  fstype: string;
  options: string | null;
  freq: number;
  passno: number;
}

function findmnt(file: string): { entries: FindmntEntry[]; errors: number } {
  const run = spawnSync('findmnt', ['--fstab', '-F', file, '-J', '-o', 'SOURCE,TARGET,FSTYPE,OPTIONS,FREQ,PASSNO'], { encoding: 'utf8' });
  const errors = run.stderr.split('\n').filter((line) => line.includes('parse error')).length;
  return { entries: run.stdout.trim() ? (JSON.parse(run.stdout) as { filesystems: FindmntEntry[] }).filesystems : [], errors };
}

describe('util-linux reads fstab files as parseFstab does', () => {
  const edgeCases = [
    '/dev/a /a ext4',
    '/dev/b /b ext4 defaults 0',
    '/dev/c /c ext4 defaults -1 +2 trailing words',
    '/dev/d /d ext4 defaults 1x 0',
    '/dev/e /e ext4 defaults #early',
    '\t /dev/f\t/f  ext4\tdefaults\t0\t0   ',
    'only two',
    '/dev/g /g\\040h\\011i\\134j\\043 ext4 a\\054b 0 0',
    '/dev/h /h\\40x ext4 defaults 0 0',
    '/dev/i /i ext4 defaults 0 0\r',
  ].join('\n');

  it.each([...fixtureFiles.map((file) => path.relative(fixtures, file)), 'edge cases'])('%s', (name) => {
    let file = path.join(fixtures, name);
    if (name === 'edge cases') {
      file = path.join(work.dir, 'edge.fstab');
      writeFileSync(file, `${edgeCases}\n`);
    }
    const lines = parseFstab(readFileSync(file, 'utf8'));
    const ours = lines.filter((line): line is FstabEntry => line.kind === 'entry');
    const theirs = findmnt(file);
    expect(ours.map((e) => ({ source: e.spec, target: e.file, fstype: e.vfstype, options: e.options.length ? e.options.join(',') : null, freq: e.freq, passno: e.passno }))).toEqual(theirs.entries);
    expect(lines.filter((line) => line.kind === 'malformed')).toHaveLength(theirs.errors);
    if (name.endsWith('expected.fstab')) expect(theirs.errors).toBe(0);
  });
});

describe('systemd-fstab-generator accepts every rewritten fstab', () => {
  const DISK = new Set(['ext4', 'xfs', 'btrfs', 'zfs', 'auto']);

  it.each(cases.filter((name) => existsSync(path.join(fixtures, name, 'expected.fstab'))))('%s', (name) => {
    const out = path.join(work.dir, `units-${name}`);
    mkdirSync(out);
    const run = spawnSync(GENERATOR, [out, out, out], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_FSTAB: path.join(fixtures, name, 'expected.fstab'), SYSTEMD_PROC_CMDLINE: 'ro', SYSTEMD_LOG_LEVEL: 'warning' },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/Failed|Invalid|invalid/);

    const units = readdirSync(out).filter((unit) => unit.endsWith('.mount')).map((unit) => parseUnit(readFileSync(path.join(out, unit), 'utf8')));
    for (const unit of units) {
      // (layer-mount keeps an overlay line of an earlier rewrite as it was.)
      if (name !== 'layer-mount' && unit.Type?.startsWith('overlay') && unit.Where !== '/' && unit.Where !== '/usr' && unit.What?.startsWith('/media/root-ro')) {
        expect(unit.Options, unit.Where).toMatch(/^lowerdir=\/media\/root-ro\/.*,upperdir=\/media\/root-rw\/[^,]*-mounts\//);
      }
      // Nothing on a disk is mounted writable at its own place (recurse=0 asks for exactly that).
      if (name !== 'recurse-0' && DISK.has(unit.Type ?? '') && !unit.Where?.startsWith('/media/root-ro')) {
        expect((unit.Options ?? '').split(','), unit.Where).toContain('ro');
      }
    }
    const root = units.find((unit) => unit.Where === '/');
    if (name === 'empty') return expect(root).toBeUndefined();
    expect(root).toMatchObject({ What: 'overlayroot', Type: name === 'old-kernel' ? 'overlayfs' : 'overlay' });
    expect(root!.Options ?? '').not.toMatch(/lowerdir|upperdir|workdir/);
  });

  function parseUnit(text: string): Record<string, string | undefined> {
    return Object.fromEntries(text.split('\n').filter((line) => /^[A-Za-z]+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  }
});

describe('the / line survives `mount -o remount` of a real overlay', () => {
  let result: Record<string, string>;
  const overlayrootOptions = 'lowerdir=/media/root-ro/,upperdir=/media/root-rw/overlay/,workdir=/media/root-rw/overlay-workdir/_';
  let ourOptions: string;

  beforeAll(() => {
    const text = rewriteFstab('UUID=1 / ext4 noatime,nodev,errors=remount-ro 0 1\n', {
      dir: '/overlay', swap: false, recurse: true, driver: 'overlay', needsWorkdir: true, kernelReadOnly: true,
    }).text!;
    const rootLine = parseFstab(text).find((line): line is FstabEntry => line.kind === 'entry' && line.file === '/')!;
    ourOptions = rootLine.options.join(',');
    const d = work.dir;
    // The same line, at the test overlay's mount point instead of /.
    writeFileSync(path.join(d, 'remount.fstab'), `${rootLine.fields[0]} ${encodeField(`${d}/merged`)} ${rootLine.fields.slice(2).join(' ')}\n`);
    const script = `
      d="$1"; helper="$2"; ours="$3"; theirs="$4"
      mkdir -p "$d/lower" "$d/rw" "$d/merged"
      mount -t tmpfs lower "$d/lower" && echo base >"$d/lower/base" && mount -o remount,ro "$d/lower"
      mount -t tmpfs -o mode=755 tmpfs-root "$d/rw" && mkdir -p "$d/rw/overlay" "$d/rw/overlay-workdir/_"
      mount -t overlay overlayroot -o "lowerdir=$d/lower,upperdir=$d/rw/overlay,workdir=$d/rw/overlay-workdir/_" "$d/merged"
      # As the boot stage leaves it with \`ro\` on the kernel command line:
      mount -o remount,ro "$d/merged"
      touch "$d/merged/a" 2>/dev/null && echo "before=writable" || echo "before=read-only"
      mount -T "$d/remount.fstab" -o remount "$d/merged" && touch "$d/merged/b" && echo "util-linux=ok" || echo "util-linux=failed"
      echo "options=$(findmnt -n -o OPTIONS --mountpoint "$d/merged")"
      mount -o remount,ro "$d/merged"
      echo "new-api-ours=$(python3 "$helper" "$d/merged" "$ours")"
      touch "$d/merged/c" && echo "after-ours=writable"
      mount -o remount,ro "$d/merged"
      echo "new-api-overlayroot=$(python3 "$helper" "$d/merged" "$theirs")"
    `;
    const stdout = execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', d, reconfigure, `rw,${ourOptions}`, `rw,${overlayrootOptions}`], { encoding: 'utf8' });
    result = Object.fromEntries(stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  });

  it('writes a / line whose options are only per-mount flags', () => {
    expect(ourOptions).toBe('noatime,nodev');
  });

  it('remounts read-write with this machine’s mount(8), applying the flags', () => {
    expect(result.before).toBe('read-only');
    expect(result['util-linux']).toBe('ok');
    expect(result.options!.split(',')).toEqual(expect.arrayContaining(['rw', 'noatime', 'nodev']));
  });

  it('remounts read-write through fsconfig, as util-linux >= 2.39 does', () => {
    expect(JSON.parse(result['new-api-ours']!)).toEqual({ ok: true, sent: ['rw'] });
    expect(result['after-ours']).toBe('writable');
  });

  it('while overlayroot’s / line is refused there, which is the bug being avoided', () => {
    const refused = JSON.parse(result['new-api-overlayroot']!) as { ok: boolean; kernel: string[] };
    expect(refused.ok).toBe(false);
    expect(refused.kernel.join('\n')).toContain('No changes allowed in reconfigure');
  });
});
