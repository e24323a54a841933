// What `oroot chroot` plans from a mount table (recorded on a real kernel), and its session lock,
// on a fixture root.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, CHROOT_LOCK, recordChange, releaseLock, startTimeOf } from '../../src/overlayroot/chroot-lock.js';
import { planChroot } from '../../src/overlayroot/chroot-plan.js';
import { createHost, type Host } from '../../src/system/host.js';
import { memoryLogger } from '../../src/system/log.js';
import { parseMountinfo } from '../../src/system/mounts.js';
import { tempDir } from '../helpers/machine.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/mounts');
const booted = parseMountinfo(readFileSync(path.join(fixtures, 'overlayroot.mountinfo'), 'utf8'));
const escapes = parseMountinfo(readFileSync(path.join(fixtures, 'escapes.mountinfo'), 'utf8'));

describe('planChroot', () => {
  it('finds the lower layer of the overlay on / and what to bind and remount', () => {
    const plan = planChroot(booted);
    expect(plan.lower).toBe('/media/root-ro');
    expect(plan.binds).toEqual(['/dev', '/dev/pts', '/proc', '/sys', '/run'].map((dir) => ({ source: dir, target: `/media/root-ro${dir}` })));
    expect(plan.scratch).toBe('/media/root-ro/tmp');
    expect(plan.remount).toEqual(['/media/root-ro', '/media/root-ro/home']);
    expect(plan.alreadyWritable).toEqual([]);
  });

  it('binds EFI variables only where they are mounted, and nothing already mounted in the lower', () => {
    const extra = parseMountinfo(
      '90 71 0:50 / /sys/firmware/efi/efivars rw - efivarfs efivarfs rw\n91 64 0:43 / /media/root-ro/proc rw - proc proc rw\n',
    );
    const plan = planChroot([...booted, ...extra]);
    expect(plan.binds.map((b) => b.source)).toEqual(['/dev', '/dev/pts', '/sys', '/sys/firmware/efi/efivars', '/run']);
  });

  it('reports a lower mounted read-write as such instead of remounting it', () => {
    const rw = booted.map((m) => (m.mountPoint === '/media/root-ro' ? { ...m, mountOptions: ['rw', 'relatime'] } : m));
    expect(planChroot(rw)).toMatchObject({ remount: ['/media/root-ro/home'], alreadyWritable: ['/media/root-ro'] });
  });

  it('works on another overlay with --overlay, whatever its name, and unescapes its lowerdir', () => {
    const table = [...escapes, ...parseMountinfo('99 78 0:70 / /tmp/oroot-mounts.fixture/esc/l,o:w ro - ext4 /dev/loop9 ro\n')];
    expect(planChroot(table, '/merged').lower).toBe('/tmp/oroot-mounts.fixture/esc/l,o:w');
  });

  it('refuses what it cannot work on, saying why', () => {
    expect(() => planChroot(escapes, '/with space')).toThrow('/with space is not an overlay (it is tmpfs from source with space)');
    expect(() => planChroot(escapes, '/nowhere')).toThrow('/nowhere is not a mount point');
    expect(() => planChroot(escapes, '/merged')).toThrow(/lower layer .* is not a mount point here/);
    const foreign = booted.map((m) => (m.mountPoint === '/' ? { ...m, source: 'containerd' } : m));
    expect(() => planChroot(foreign)).toThrow('/ is an overlay named containerd, not overlayroot');
    const plain = parseMountinfo('27 1 254:0 / / rw - ext4 /dev/vda rw\n');
    expect(() => planChroot(plain)).toThrow('/ is not an overlay (it is ext4 from /dev/vda)');
  });
});

describe('the session lock', () => {
  let fixture: ReturnType<typeof tempDir>;
  let host: Host;
  const stat = (pid: number, start: string) => `${pid} (node (x) y) S ${Array.from({ length: 18 }, (_, i) => i + 4).join(' ')} ${start} 999 0\n`;
  const writeStat = (pid: number, start: string) => {
    mkdirSync(path.join(fixture.dir, `proc/${pid}`), { recursive: true });
    writeFileSync(path.join(fixture.dir, `proc/${pid}/stat`), stat(pid, start));
  };

  beforeEach(() => {
    fixture = tempDir();
    mkdirSync(path.join(fixture.dir, 'run'));
    host = createHost({ root: fixture.dir, log: memoryLogger() });
    writeStat(process.pid, '4242');
  });
  afterEach(() => fixture.cleanup());

  it('reads a process start time past a command name with spaces and parentheses', async () => {
    expect(await startTimeOf(host, process.pid)).toBe('4242');
    expect(await startTimeOf(host, 12345)).toBeUndefined();
  });

  it('is taken, records each change, and is released', async () => {
    const { record, stale } = await acquireLock(host, '/media/root-ro');
    expect(stale).toBeUndefined();
    const next = await recordChange(host, record, { kind: 'writable', target: '/media/root-ro' });
    expect(JSON.parse(readFileSync(host.path(CHROOT_LOCK), 'utf8'))).toEqual({ pid: process.pid, startTime: '4242', lower: '/media/root-ro', changes: next.changes });
    await releaseLock(host);
    expect(existsSync(host.path(CHROOT_LOCK))).toBe(false);
  });

  it('refuses while its holder runs', async () => {
    writeStat(777, '100');
    writeFileSync(host.path(CHROOT_LOCK), JSON.stringify({ pid: 777, startTime: '100', lower: '/media/root-ro', changes: [] }));
    await expect(acquireLock(host, '/media/root-ro')).rejects.toThrow('another oroot chroot session (pid 777) is working on /media/root-ro');
  });

  it('takes over from a dead holder, or from a reused pid, and hands back what it left', async () => {
    const changes = [{ kind: 'mount', target: '/media/root-ro/proc', what: '/proc' }];
    writeStat(778, '200'); // pid 778 now belongs to a process started later than the holder
    writeFileSync(host.path(CHROOT_LOCK), JSON.stringify({ pid: 778, startTime: '150', lower: '/media/root-ro', changes }));
    const { record, stale } = await acquireLock(host, '/media/root-ro');
    expect(stale).toMatchObject({ pid: 778, changes });
    expect(record.pid).toBe(process.pid);
    await releaseLock(host);
    writeFileSync(host.path(CHROOT_LOCK), '{"pid": 9'); // a holder killed while writing it
    expect((await acquireLock(host, '/media/root-ro')).stale).toBeUndefined();
  });
});
