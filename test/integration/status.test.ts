// `oroot status` for real. On this machine, which does not run on an overlay root, it must say so
// plainly, describe / as util-linux sees it, and exit 0. Then inside a root laid out as the boot
// stage leaves it — built in a private mount namespace exactly as at boot (a busybox "initramfs"
// moves the root, a read-only bind of this machine's root filesystem, to /media/root-ro, mounts
// tmpfs-root and the overlay `overlayroot`, and moves both layers into the new root) — where oroot
// runs chrooted with / being the overlay.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootState } from '../../src/overlayroot/state.js';
import { LAY_OUT_OVERLAY_ROOT, MAKE_INITRAMFS, tmpfsBootState } from '../helpers/overlay-root.js';
import { cliPath, runCli } from '../helpers/cli.js';
import { requireRoot, requireTool, tempDir } from '../helpers/machine.js';

let root: { source: string; fstype: string };
beforeAll(() => {
  requireTool('findmnt');
  const [source, fstype] = execFileSync('findmnt', ['-n', '-o', 'SOURCE,FSTYPE', '/'], { encoding: 'utf8' }).trim().split(/\s+/);
  root = { source: source!, fstype: fstype! };
});

describe('oroot status on this machine', () => {
  it('says that / is not an overlay, and what it is', async () => {
    const result = await runCli(['status']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`overlay:    not active: / is ${root.fstype} from ${root.source}; this system does not run on an overlay root`);
    expect(result.stdout).toMatch(/^problems: {3}none$/m);
  });

  it('gives the same as JSON', async () => {
    const result = await runCli(['status', '--json']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: 1, active: false, mode: 'none', root, problems: [] });
  });
});

describe('oroot status on an overlay root', () => {
  let work: ReturnType<typeof tempDir>;
  const boot = tmpfsBootState({ durationMs: 950, steps: [] });
  beforeAll(() => {
    requireRoot();
    for (const tool of ['unshare', 'busybox', 'chroot', 'mount']) requireTool(tool);
    work = tempDir('oroot-status-');
  });
  afterAll(() => work?.cleanup());

  function statusInOverlayRoot(state: BootState): { code: number; report: Record<string, unknown> } {
    const stateFile = path.join(work.dir, 'state.json');
    writeFileSync(stateFile, JSON.stringify(state));
    const script = `
      set -eu
      d="$1"; node="$2"; cli="$3"; state="$4"
      ${MAKE_INITRAMFS}
      mount --bind / "$d/root" && mount -o remount,bind,ro "$d/root"
      ${LAY_OUT_OVERLAY_ROOT}
      mkdir -p "$d/root/run/initramfs" && cp "$state" "$d/root/run/initramfs/oroot.state.json"
      code=0; chroot "$d/root" "$node" "$cli" status --json >"$d/../status.json" || code=$?
      echo "$code"`;
    const mountDir = path.join(work.dir, 'ns');
    mkdirSync(mountDir, { recursive: true });
    const code = Number(execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', mountDir, process.execPath, cliPath, stateFile], { encoding: 'utf8' }).trim());
    return { code, report: JSON.parse(readFileSync(path.join(work.dir, 'status.json'), 'utf8')) as Record<string, unknown> };
  }

  it('describes the overlay on /, both layers and the last boot', () => {
    const { code, report } = statusInOverlayRoot(boot);
    expect(code).toBe(0);
    expect(report).toMatchObject({
      active: true,
      mode: 'tmpfs',
      root: { source: 'overlayroot', fstype: 'overlay', upperDir: '/media/root-rw/overlay' },
      lower: { mountPoint: '/media/root-ro', source: root.source, fstype: root.fstype, readOnly: true },
      upper: { mountPoint: '/media/root-rw', source: 'tmpfs-root', fstype: 'tmpfs', readOnly: false },
      lastBoot: { outcome: 'configured' },
      problems: [],
    });
    expect((report.upper as { space: { totalBytes: number } }).space.totalBytes).toBeGreaterThan(0);
  });

  it('exits 1 and names the problem after a fallback', () => {
    const { code, report } = statusInOverlayRoot({
      ...boot,
      outcome: 'fallback',
      requested: { mode: 'crypt', source: 'kernel cmdline', value: 'crypt:dev=/dev/vdb' },
      fallback: { policy: 'tmpfs', reason: 'cryptsetup open failed' },
    });
    expect(code).toBe(1);
    expect(report.problems).toEqual(['the last boot did not set up the requested crypt overlay and fell back to tmpfs: cryptsetup open failed']);
  });
});
