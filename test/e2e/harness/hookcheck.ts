// Run our hook in a scratch copy of the base guest with one file removed, to prove that a missing
// piece fails the initramfs build loudly. The copy is an overlay on the cached base, so the base
// itself is never modified.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../src/system/spawn.js';
import { repoRoot } from './paths.js';
import { baseImage } from './image.js';
import type { GuestSystem } from './system.js';

const installed = [
  ['initramfs-hooks/initramfs-tools/hooks/oroot', 'usr/share/initramfs-tools/hooks/oroot'],
  ['initramfs-hooks/initramfs-tools/scripts/init-bottom/oroot', 'usr/share/initramfs-tools/scripts/init-bottom/oroot'],
] as const;

export async function tryHookWithout(system: GuestSystem, removed: string): Promise<{ exitCode: number | null; output: string }> {
  const base = await baseImage();
  const work = mkdtempSync(path.join(os.tmpdir(), 'oroot-e2e-hook-'));
  const [upper, workdir, merged] = ['upper', 'work', 'merged'].map((name) => path.join(work, name)) as [string, string, string];
  for (const dir of [upper, workdir, merged]) mkdirSync(dir);
  await run(['mount', '-t', 'overlay', 'oroot-e2e-hook', '-o', `lowerdir=${base.root},upperdir=${upper},workdir=${workdir}`, merged]);
  try {
    for (const [from, to] of installed) copyFileSync(path.join(repoRoot, from), path.join(merged, to));
    rmSync(path.join(merged, removed));
    await run(['mount', '-t', 'proc', 'proc', path.join(merged, 'proc')]);
    const result = await run(['chroot', merged, 'mkinitramfs', '-o', '/tmp/initrd.img', system.kernelVersion], {
      reject: false,
      timeoutMs: 600_000,
    });
    return { exitCode: result.exitCode, output: result.stdout + result.stderr };
  } finally {
    await run(['umount', path.join(merged, 'proc')], { reject: false });
    await run(['umount', merged], { reject: false });
    rmSync(work, { recursive: true, force: true });
  }
}
