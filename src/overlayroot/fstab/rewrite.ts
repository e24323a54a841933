// The fstab of the overlay root, made from the lower layer's /etc/fstab (docs/fstab.md has the
// rules and every difference from overlayroot). The boot stage writes the result into the upper
// layer, so the lower copy is never touched, and creates `directories` on the backing store.
import { cleanPath, OVERLAY_SOURCE, ROOT_RO, rootOverlayDirs } from '../plan/layout.js';
import type { OverlayDriver } from '../plan/types.js';
import { classifyEntry, normalizeMountPoint } from './classify.js';
import { nestedOverlayDirs } from './layout.js';
import { inheritedOptions, readOnlyOptions, vfsFlags } from './options.js';
import { encodeField, parseFstab, type FstabEntry, type FstabLine } from './parse.js';

export interface RewriteOptions {
  readonly dir: string;
  readonly swap: boolean;
  readonly recurse: boolean;
  readonly driver: OverlayDriver;
  readonly needsWorkdir: boolean;
  /** `ro` is on the kernel command line. */
  readonly kernelReadOnly: boolean;
  /** The real root's mount (from /proc/mounts), for fabricating a `/` entry when there is no fstab. */
  readonly root?: { readonly spec: string; readonly fstype: string; readonly options: string };
}

export interface RewriteResult {
  /** The new fstab; undefined when none is to be written (no fstab and no `ro`). */
  readonly text: string | undefined;
  /** Upper and work directories the overlay lines need, as paths on the backing store. */
  readonly directories: string[];
  /** What a person should know about the result, one line each (for the boot log). */
  readonly notes: string[];
}

export const HEADER = `#
#  This fstab was written at boot by oroot for the overlay root. The real one
#  is in the read-only lower layer: /media/root-ro/etc/fstab.
#  '/' and the filesystems listed below are mounted read-only under
#  /media/root-ro, with a writable overlay on top whose changes are kept on
#  /media/root-rw.
#  To change a file of the lower layer for good (this one included), work in
#  a writable view of it:
#      sudo oroot chroot
#
`;

const FABRICATED = '# oroot: the root filesystem has no /etc/fstab; this entry for / was made from its mount so that\n#        the real init can remount / read-write (`ro` is on the kernel command line).';

export function rewriteFstab(input: string | undefined, options: RewriteOptions): RewriteResult {
  if (input !== undefined) {
    const lines = parseFstab(input);
    const result = rewriteLines(lines, options);
    const hasRoot = lines.some((line) => line.kind === 'entry' && classifyEntry(line).kind === 'root');
    if (!hasRoot && options.kernelReadOnly) {
      result.notes.push('/etc/fstab has no entry for /: with `ro` on the kernel command line, / stays read-only until remounted by hand');
    }
    return { ...result, text: `${HEADER}${result.text}` };
  }
  if (!options.kernelReadOnly) {
    return { text: undefined, directories: [], notes: ['the root filesystem has no /etc/fstab and `ro` is not on the kernel command line: no fstab written'] };
  }
  // Like overlayroot 0.46, but a root missing from the mount table still gives a usable line.
  const root = options.root;
  const result = root
    ? rewriteLines(parseFstab(`${encodeField(root.spec)} / ${encodeField(root.fstype)} ${encodeField(root.options || 'defaults')} 0 0`), options)
    : { text: remountOnlyLines('/', '/', [], options).map((line) => `${line}\n`).join(''), directories: [], notes: [] };
  return {
    ...result,
    text: `${HEADER}${FABRICATED}\n${result.text}`,
    notes: ['the root filesystem has no /etc/fstab: wrote one with an entry for / so the real init can remount / read-write', ...result.notes],
  };
}

/** The rewritten lines (without the header). */
function rewriteLines(lines: readonly FstabLine[], options: RewriteOptions): RewriteResult & { text: string } {
  const out: string[] = [];
  const directories: string[] = [];
  const notes: string[] = [];
  for (const line of lines) {
    if (line.kind === 'blank' || line.kind === 'comment') {
      out.push(line.raw);
      continue;
    }
    if (line.kind === 'malformed') {
      out.push(`#overlayroot:malformed-line#${line.raw}`);
      notes.push(`line ${line.lineNumber}: commented out, mount(8) would ignore it too: ${line.problem}`);
      continue;
    }
    const treatment = classifyEntry(line);
    const where = `line ${line.lineNumber}: ${line.file} (${line.vfstype})`;
    switch (treatment.kind) {
      case 'invalid':
        out.push(`#overlayroot:malformed-line#${line.raw}`);
        notes.push(`line ${line.lineNumber}: commented out: ${treatment.why}`);
        break;
      case 'swap':
        out.push(swapLine(line, options.swap));
        notes.push(swapNote(line, options.swap));
        break;
      case 'root':
      case 'early':
        out.push(...earlyMountLines(line, options));
        break;
      case 'layer':
        if (!options.recurse) {
          out.push(line.raw);
          notes.push(`${where} left as written (recurse=0): it is not layered and stays writable`);
          break;
        }
        out.push(...layerLines(line, options, directories));
        break;
      case 'keep':
        out.push(tagged(line.fields, line.rest, line.raw, treatment.tag));
        if (treatment.noted) notes.push(`${where} left as it is: ${treatment.why}`);
        break;
      case 'read-only':
        out.push(tagged(readOnlyFields(line, line.fields[1]!), line.rest, undefined, treatment.tag));
        notes.push(`${where} mounted read-only where it is, not layered: ${treatment.why}`);
        break;
    }
  }
  return { text: out.map((line) => `${line}\n`).join(''), directories: [...new Set(directories)], notes };
}

/** A read-only lower mount under /media/root-ro and an overlay on top, at the entry's place. */
function layerLines(entry: FstabEntry, options: RewriteOptions, directories: string[]): string[] {
  const lower = cleanPath(ROOT_RO, entry.file);
  const dirs = nestedOverlayDirs(options.dir, entry.file, options.needsWorkdir);
  directories.push(dirs.upper, ...(dirs.work ? [dirs.work] : []));
  const overlayOptions = [
    `lowerdir=${lower}`,
    `upperdir=${dirs.upper}`,
    ...(dirs.work ? [`workdir=${dirs.work}`] : []),
    ...inheritedOptions(entry.options),
  ];
  return [
    joinLine(readOnlyFields(entry, encodeField(lower)), entry.rest),
    // The spec is the lower mount point: systemd orders a local mount after the mount holding its
    // What= path, so the overlay waits for its lower. freq and passno stay on the lower line: fsck
    // checks the device, and an overlay has none.
    [encodeField(lower), entry.fields[1], options.driver, encodeField(overlayOptions.join(',')), '0', '0'].join(' '),
  ];
}

/**
 * `/` (and `/usr`, which initramfs-tools mounts before init-bottom) are layered by the boot stage
 * itself; their lines only tell the real init how to REMOUNT them. util-linux >= 2.39 hands every
 * filesystem option of the fstab line to the kernel through fsconfig(2) on `mount -o remount`,
 * and overlayfs refuses lowerdir/upperdir/workdir on a reconfigure ("No changes allowed in
 * reconfigure"), which left / read-only (overlayroot's W9). So the overlay line carries only
 * per-mount flags (applied with mount_setattr, never parsed by overlayfs); the layers are recorded
 * in a comment. The lower line is commented out, as overlayroot does for `/` (its mount is the one
 * the initramfs moved to /media/root-ro).
 */
function earlyMountLines(entry: FstabEntry, options: RewriteOptions): string[] {
  const mountPoint = normalizeMountPoint(entry.file);
  return [
    `#${joinLine(readOnlyFields(entry, encodeField(cleanPath(ROOT_RO, mountPoint)), ['noauto']), entry.rest)}`,
    ...remountOnlyLines(mountPoint, entry.fields[1]!, entry.options, options),
  ];
}

/** The overlay line of `/` or `/usr` (mountPoint), with its layers in a comment above it. */
function remountOnlyLines(mountPoint: string, rawFile: string, original: readonly string[], options: RewriteOptions): string[] {
  const isRoot = mountPoint === '/';
  const lower = isRoot ? ROOT_RO : cleanPath(ROOT_RO, mountPoint);
  const dirs = isRoot ? rootOverlayDirs(options.dir, options.needsWorkdir) : nestedOverlayDirs(options.dir, mountPoint, options.needsWorkdir);
  const layers = [`lowerdir=${lower}`, `upperdir=${dirs.upper}`, ...(dirs.work ? [`workdir=${dirs.work}`] : [])].join(',');
  const flags = vfsFlags(original);
  return [
    `# overlayroot: ${mountPoint} is layered by the initramfs (${layers}); only options safe on remount below`,
    [isRoot ? OVERLAY_SOURCE : encodeField(lower), rawFile, options.driver, flags.length > 0 ? flags.join(',') : 'defaults', '0', '0'].join(' '),
  ];
}

function readOnlyFields(entry: FstabEntry, file: string, extra: readonly string[] = []): string[] {
  return [entry.fields[0]!, file, entry.fields[2]!, encodeField(readOnlyOptions(entry.options, extra).join(',')), entry.fields[4] ?? '0', entry.fields[5] ?? '0'];
}

/** overlayroot's swap policy: swap=0 disables every swap line; swap=1 keeps partitions and
 *  disables swap FILES, which would live on the overlay (swapon refuses files on overlayfs). */
function swapLine(entry: FstabEntry, swap: boolean): string {
  if (!swap) return `#overlayroot:swap=0#${entry.raw}`;
  return isSwapFile(entry) ? `#overlayroot:swapfile#${entry.raw}` : entry.raw;
}

function swapNote(entry: FstabEntry, swap: boolean): string {
  const where = `line ${entry.lineNumber}: swap ${entry.spec}`;
  if (!swap) return `${where} disabled (swap=0)`;
  if (isSwapFile(entry)) return `${where} disabled: a swap file would be on the overlay, where swapon cannot use it`;
  return `${where} kept (swap=1): memory, including a tmpfs upper layer, can be paged out to it unencrypted`;
}

function isSwapFile(entry: FstabEntry): boolean {
  return entry.spec.startsWith('/') && !entry.spec.startsWith('/dev/');
}

/**
 * An entry kept as written, with `# overlayroot:<tag>` appended where mount(8) ignores it: after
 * the sixth field. A shorter line gets its optional fields filled in first (defaults 0 0), or the
 * tag would be read as its options or freq.
 */
function tagged(fields: readonly string[], rest: string, raw: string | undefined, tag: string): string {
  const base = raw !== undefined && fields.length === 6 ? raw.trimEnd() : joinLine([...fields, ...['defaults', '0', '0'].slice(fields.length - 3)], rest);
  return `${base} # overlayroot:${tag}`;
}

function joinLine(fields: readonly string[], rest: string): string {
  return rest ? `${fields.join(' ')} ${rest}` : fields.join(' ');
}
