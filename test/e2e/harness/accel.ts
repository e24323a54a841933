// Which QEMU accelerator the harness boots with. KVM when /dev/kvm exists *and* a guest kernel
// really boots with it (nested or restricted hosts often expose a /dev/kvm that cannot run a guest:
// QEMU then fails with "failed to set MSR 0x10a" or hangs), TCG otherwise.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../../../src/system/spawn.js';
import { cacheRoot, hashOf, progress } from './cache.js';

let chosenAccelerator: Promise<'kvm' | 'tcg'> | undefined;

/** Probed once per host kernel, QEMU and guest kernel (the answer is cached); OROOT_E2E_ACCEL=kvm|tcg overrides. */
export function accelerator(kernel: string): Promise<'kvm' | 'tcg'> {
  const forced = process.env.OROOT_E2E_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return Promise.resolve(forced);
  chosenAccelerator ??= probeKvm(kernel);
  return chosenAccelerator;
}

async function probeKvm(kernel: string): Promise<'kvm' | 'tcg'> {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return 'tcg';
  }
  const qemuVersion = (await run(['qemu-system-x86_64', '--version'])).stdout;
  const answerFile = path.join(cacheRoot, `kvm-probe-${hashOf(readFileSync('/proc/version', 'utf8'), qemuVersion, readFileSync(kernel))}`);
  if (existsSync(answerFile)) return readFileSync(answerFile, 'utf8').trim() === 'kvm' ? 'kvm' : 'tcg';
  // No initrd: the kernel boots, cannot mount a root and panics; panic=-1 makes QEMU exit.
  const probe = await run(
    ['qemu-system-x86_64', '-nodefaults', '-no-user-config', '-machine', 'q35', '-accel', 'kvm', '-cpu', 'host', '-m', '256',
      '-kernel', kernel, '-append', 'console=ttyS0 panic=-1', '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot'],
    { reject: false, timeoutMs: 30_000 },
  );
  const answer = probe.exitCode === 0 && /Kernel panic/.test(probe.stdout) ? 'kvm' : 'tcg';
  progress(answer === 'kvm' ? 'KVM works: booting with -accel kvm' : `/dev/kvm cannot boot a guest here (${probe.timedOut ? 'hangs' : probe.stderr.trim().split('\n')[0] ?? 'fails'}): booting with TCG`);
  mkdirSync(cacheRoot, { recursive: true });
  writeFileSync(answerFile, `${answer}\n`);
  return answer;
}
