// The rules under the golden files: fstab(5) parsing, filesystem classes, option inheritance, the
// flat layout of nested overlays, and properties that must hold for ANY fstab.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyEntry, encodeField, familyOf, mountDirName, nestedOverlayDirs, parseFstab, rewriteFstab, type FstabEntry } from '../../src/overlayroot/fstab/index.js';
import { inheritedOptions, readOnlyOptions } from '../../src/overlayroot/fstab/options.js';
import { decodeOctalEscapes } from '../../src/system/mounts.js';

const entry = (line: string) => parseFstab(line)[0] as FstabEntry;
const options = { dir: '/overlay', swap: false, recurse: true, driver: 'overlay', needsWorkdir: true, kernelReadOnly: false } as const;

describe('parseFstab', () => {
  it('reads the six fields, decoding escapes, and keeps the raw fields and trailing text', () => {
    expect(entry('LABEL=My\\040Disk\t/srv/My\\040Disk  ext4 a\\054b,nofail 0 2  # photos')).toMatchObject({
      kind: 'entry',
      spec: 'LABEL=My Disk',
      file: '/srv/My Disk',
      vfstype: 'ext4',
      options: ['a', 'b', 'nofail'],
      freq: 0,
      passno: 2,
      fields: ['LABEL=My\\040Disk', '/srv/My\\040Disk', 'ext4', 'a\\054b,nofail', '0', '2'],
      rest: '# photos',
    });
  });

  it('accepts three to five fields, with the missing ones at their defaults', () => {
    expect(entry('/dev/a /a ext4')).toMatchObject({ options: [], freq: 0, passno: 0, fields: ['/dev/a', '/a', 'ext4'] });
    expect(entry('/dev/a /a ext4 noatime 1')).toMatchObject({ options: ['noatime'], freq: 1, passno: 0 });
  });

  it('tells comments, blank lines and lines libmount refuses apart', () => {
    expect(parseFstab('  # indented\n\t \n\n/dev/a /a\n/dev/b /b ext4 defaults 0 x\n').map((line) => line.kind)).toEqual([
      'comment', 'blank', 'blank', 'malformed', 'malformed',
    ]);
  });

  it('drops a CR at the end of a line and does not invent a line after the last newline', () => {
    const lines = parseFstab('/dev/a /a ext4 defaults 0 1\r\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ passno: 1, raw: '/dev/a /a ext4 defaults 0 1' });
  });

  it('encodes exactly what decoding reverses', () => {
    fc.assert(fc.property(fc.string(), (text) => decodeOctalEscapes(encodeField(text)) === text));
    fc.assert(fc.property(fc.string(), (text) => !/[ \t\n]/.test(encodeField(text))));
  });
});

describe('classifyEntry', () => {
  it('layers disk filesystems, including btrfs subvolumes and zfs datasets', () => {
    for (const line of ['/dev/a /srv ext4 defaults', '/dev/a /srv btrfs subvol=@srv', 'tank/srv /srv zfs defaults', 'UUID=1 /srv auto defaults']) {
      expect(classifyEntry(entry(line)).kind).toBe('layer');
    }
  });

  it('knows every virtual, network, unsupported and read-only family the specification lists', () => {
    const expected: Record<string, string> = {
      proc: 'virtual', sysfs: 'virtual', devpts: 'virtual', devtmpfs: 'virtual', tmpfs: 'virtual', cgroup: 'virtual',
      cgroup2: 'virtual', securityfs: 'virtual', efivarfs: 'virtual', debugfs: 'virtual', tracefs: 'virtual',
      configfs: 'virtual', pstore: 'virtual', bpf: 'virtual', hugetlbfs: 'virtual', mqueue: 'virtual', fusectl: 'virtual',
      binfmt_misc: 'virtual', autofs: 'virtual', nfs: 'network', nfs4: 'network', cifs: 'network', smb3: 'network',
      '9p': 'network', virtiofs: 'network', 'fuse.sshfs': 'network', 'fuse.mergerfs': 'fuse', vfat: 'caseInsensitive',
      fat: 'caseInsensitive', msdos: 'caseInsensitive', exfat: 'caseInsensitive', ntfs: 'caseInsensitive',
      iso9660: 'readOnly', squashfs: 'readOnly', overlay: 'stacked',
    };
    for (const [type, family] of Object.entries(expected)) expect([type, familyOf(type)]).toEqual([type, family]);
    expect(familyOf('ext4')).toBeUndefined();
  });

  it('puts swap, the root, /usr, bind mounts and mounts on the layers first', () => {
    expect(classifyEntry(entry('/dev/a none swap sw')).kind).toBe('swap');
    expect(classifyEntry(entry('/dev/a // ext4 defaults')).kind).toBe('root');
    expect(classifyEntry(entry('/dev/a /usr/ ext4 defaults')).kind).toBe('early');
    expect(classifyEntry(entry('/dev/a /usr ext4 ro,errors=remount-ro')).kind).toBe('early');
    expect(classifyEntry(entry('/a /b ext4 bind'))).toMatchObject({ kind: 'keep', tag: 'bind-mount' });
    expect(classifyEntry(entry('/dev/a /media/root-ro/x ext4 ro'))).toMatchObject({ kind: 'keep', tag: 'layer-mount' });
  });

  it('follows the last of ro and rw, as mount(8) does', () => {
    expect(classifyEntry(entry('/dev/a /a ext4 rw,ro'))).toMatchObject({ tag: 'fs-readonly' });
    expect(classifyEntry(entry('/dev/a /a ext4 ro,rw')).kind).toBe('layer');
  });

  it('does not layer a mount point overlayfs options cannot carry, and refuses a relative one', () => {
    for (const file of ['/a,b', '/a:b', '/a\\134b', '/a"b']) expect(classifyEntry(entry(`/dev/x ${file} ext4`)).kind).toBe('read-only');
    expect(classifyEntry(entry('/dev/x data ext4')).kind).toBe('invalid');
  });
});

describe('options', () => {
  it('inherits scheduling, x-systemd (except device-only ones) and per-mount restrictions', () => {
    expect(
      inheritedOptions(['defaults', 'nofail', 'noauto', 'nobootwait', '_netdev', 'x-systemd.automount', 'x-systemd.makefs', 'x-systemd.growfs', 'x-systemd.device-timeout=5', 'nodev', 'nosuid', 'noexec', 'noatime', 'errors=remount-ro', 'user']),
    ).toEqual(['nofail', 'noauto', 'nobootwait', '_netdev', 'x-systemd.automount', 'nodev', 'nosuid', 'noexec', 'noatime']);
  });

  it('makes options read-only even when an rw comes later', () => {
    expect(readOnlyOptions(['defaults', 'rw', 'noatime', 'x-systemd.growfs'])).toEqual(['ro', 'defaults', 'noatime']);
    expect(readOnlyOptions([], ['noauto'])).toEqual(['ro', 'noauto']);
  });
});

describe('layout of nested overlays', () => {
  it('escapes mount points into one flat, readable name', () => {
    expect(mountDirName('/home')).toBe('home');
    expect(mountDirName('/var/lib/')).toBe('var-lib');
    expect(mountDirName('/srv/my-data')).toBe('srv-my%2ddata');
    expect(mountDirName('/mnt/.hidden/_x')).toBe('mnt-%2ehidden-%5fx');
    expect(mountDirName('/_')).toBe('%5f');
    expect(mountDirName('/mnt/Données')).toBe('mnt-Donn%c3%a9es');
  });

  it('never maps two mount points to one name, and never to a nested or reserved one', () => {
    const segment = fc.stringMatching(/^[a-z_.\- %]{1,4}$/);
    const mountPoint = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join('/')}`).filter((p) => !p.split('/').includes('..') && !p.split('/').includes('.'));
    fc.assert(
      fc.property(mountPoint, mountPoint, (a, b) => {
        if (a !== b) expect(mountDirName(a)).not.toBe(mountDirName(b));
        expect(mountDirName(a)).not.toMatch(/\/|^_$/);
      }),
    );
  });

  it('keeps every upper and workdir outside the root overlay’s own directories', () => {
    const dirs = nestedOverlayDirs('/overlay', '/var/lib', true);
    expect(dirs).toEqual({ upper: '/media/root-rw/overlay-mounts/var-lib', work: '/media/root-rw/overlay-workdir/var-lib' });
    expect(nestedOverlayDirs('/overlay', '/home', false).work).toBeUndefined();
  });
});

describe('properties of the rewrite', () => {
  const diskEntry = fc.record({
    file: fc.stringMatching(/^(\/[a-z][a-z0-9 -]{0,6}){1,3}$/),
    type: fc.constantFrom('ext4', 'xfs', 'btrfs', 'auto'),
    opts: fc.subarray(['defaults', 'nofail', 'noauto', 'rw', 'nodev', 'x-systemd.automount', 'errors=remount-ro']),
  });

  it('leaves no disk filesystem writable on its own mount point when recurse is on', () => {
    fc.assert(
      fc.property(fc.array(diskEntry, { maxLength: 6 }), (entries) => {
        const input = entries.map((e, i) => `/dev/vd${i} ${encodeField(e.file)} ${e.type} ${e.opts.join(',') || 'defaults'} 0 2`).join('\n');
        const result = rewriteFstab(input, options);
        for (const line of parseFstab(result.text!)) {
          if (line.kind !== 'entry') continue;
          const layered = line.vfstype === 'overlay' || line.options.includes('ro');
          expect(layered, line.raw).toBe(true);
        }
      }),
    );
  });

  it('creates directories only on the backing store, one upper and one workdir per layered entry', () => {
    const result = rewriteFstab('/dev/a / ext4 defaults 0 1\n/dev/b /srv ext4 defaults 0 2\n/dev/c /srv/x ext4 defaults 0 2\n', options);
    expect(result.directories).toHaveLength(4);
    for (const dir of result.directories) expect(dir.startsWith('/media/root-rw/overlay-')).toBe(true);
    expect(rewriteFstab('/dev/b /srv ext4 defaults 0 2\n', { ...options, recurse: false }).directories).toEqual([]);
  });

  it('writes the / line with no option overlayfs would refuse on remount', () => {
    const text = rewriteFstab('UUID=1 / ext4 noatime,errors=remount-ro,discard,nodev 0 1\n', options).text!;
    const root = parseFstab(text).find((line): line is FstabEntry => line.kind === 'entry' && line.file === '/')!;
    expect(root).toMatchObject({ spec: 'overlayroot', vfstype: 'overlay', options: ['noatime', 'nodev'], freq: 0, passno: 0 });
  });
});
