// Boot a guest system under QEMU: the recipe's command line (qemu-boot-recipe.md), KVM when /dev/kvm
// really works and TCG otherwise, the kernel console on the first serial port and the check
// script's report on the second, wrapped in a timeout. A disk can be hot-plugged late (hotplug.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accelerator } from './accel.js';
import { lateDiskArgs, plugWhenReady, type LateDisk } from './hotplug.js';
import { parseReport, type GuestReport } from './report.js';
import type { GuestSystem } from './system.js';

export interface Disk {
  readonly file: string;
  readonly readonly?: boolean;
}

export interface BootOptions {
  readonly system: GuestSystem;
  /** Boot from this copy of the system's root image, attached read-write (oroot chroot changes the
   *  lower layer); by default the system's own image is attached read-only. */
  readonly writableRoot?: string;
  /** Extra disks after the root disk, in order: /dev/vdb, /dev/vdc, … */
  readonly disks?: readonly Disk[];
  readonly lateDisk?: LateDisk;
  /** Kernel command line words added to the harness's own. */
  readonly cmdline?: readonly string[];
  /** `check` (default): init=the check script. `systemd`: a full boot, reported by a unit. */
  readonly init?: 'check' | 'systemd';
  readonly quiet?: boolean;
  readonly memoryMiB?: number;
  readonly timeoutMs?: number;
}

export interface BootResult {
  readonly console: string;
  readonly report: GuestReport;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly accel: 'kvm' | 'tcg';
  readonly argv: readonly string[];
}

/** The words every boot gets; `panic=-1` turns an initramfs panic into a reboot, i.e. QEMU exiting. */
export function baseCmdline(options: Pick<BootOptions, 'init' | 'quiet'>): string[] {
  const words = ['console=ttyS0', 'panic=-1', 'printk.time=1', 'root=/dev/vda', 'ro', 'rootfstype=ext4', 'fsck.mode=skip'];
  if (options.quiet) words.push('quiet');
  if ((options.init ?? 'check') === 'check') words.push('init=/usr/local/sbin/oroot-e2e-check');
  else words.push('oroot_e2e.mode=systemd');
  return words;
}

export async function bootGuest(options: BootOptions): Promise<BootResult> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'oroot-e2e-boot-'));
  const consoleLog = path.join(work, 'console.log');
  const reportLog = path.join(work, 'report.log');
  const qmpSocket = path.join(work, 'qmp.sock');
  const accel = await accelerator(options.system.kernel);
  const cmdline = [...baseCmdline(options), ...(options.cmdline ?? [])].join(' ');
  const argv = [
    'qemu-system-x86_64', '-nodefaults', '-no-user-config', '-machine', 'q35',
    '-accel', accel, '-cpu', accel === 'kvm' ? 'host' : 'max', '-smp', '1', '-m', String(options.memoryMiB ?? 1024),
    '-kernel', options.system.kernel, '-initrd', options.system.initrd, '-append', cmdline,
    ...driveArgs(options.writableRoot ? { file: options.writableRoot } : { file: options.system.rootImage, readonly: true }),
    ...(options.disks ?? []).flatMap((disk) => driveArgs(disk)),
    ...(options.lateDisk ? lateDiskArgs(options.lateDisk) : []),
    '-display', 'none', '-monitor', 'none', '-serial', `file:${consoleLog}`, '-serial', `file:${reportLog}`,
    '-qmp', `unix:${qmpSocket},server=on,wait=off`,
    '-no-reboot', '-device', 'virtio-rng-pci',
  ];
  const timeoutMs = options.timeoutMs ?? (accel === 'kvm' ? 180_000 : 600_000);
  const started = Date.now();
  try {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // Settled into a value right away, so a QMP failure is reported below, never left unhandled.
    const plugging = options.lateDisk
      ? plugWhenReady(options.lateDisk, () => readText(consoleLog), qmpSocket, child).then(() => undefined, (error: unknown) => error)
      : undefined;
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => resolve(code));
    });
    clearTimeout(timer);
    const plugError = await plugging;
    if (plugError) throw new Error(`hot-plugging the late disk failed: ${plugError instanceof Error ? plugError.message : String(plugError)}`);
    const durationMs = Date.now() - started;
    if (exitCode !== 0 && !timedOut) throw new Error(`qemu failed (${exitCode}): ${stderr.trim()}\n${argv.join(' ')}`);
    const consoleText = readText(consoleLog);
    return { console: consoleText, report: parseReport(readText(reportLog)), exitCode, timedOut, durationMs, accel, argv };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function driveArgs(disk: Disk): string[] {
  return ['-drive', `file=${disk.file},format=raw,if=virtio${disk.readonly ? ',readonly=on' : ''}`];
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
