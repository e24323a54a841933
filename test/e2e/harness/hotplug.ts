// Plugging a disk into a running guest, for the "disk appears late" scenario: its backend exists
// from the start (-drive if=none), the virtio device is added on a PCIe root port through QMP once
// the console shows a given line.
import { createConnection } from 'node:net';

export interface LateDisk {
  readonly file: string;
  readonly readonly?: boolean;
  /** Plug the disk in once the console shows this (then after `delayMs`). */
  readonly afterConsole: RegExp;
  readonly delayMs: number;
}

/** QEMU arguments for the root port and the disk's backend. */
export function lateDiskArgs(disk: LateDisk): string[] {
  return [
    '-device', 'pcie-root-port,id=latebus,chassis=1,slot=1',
    '-drive', `file=${disk.file},format=raw,if=none,id=late${disk.readonly ? ',readonly=on' : ''}`,
  ];
}

/** Wait for the console line, then plug the disk in; resolves without plugging if QEMU exits first. */
export async function plugWhenReady(disk: LateDisk, consoleText: () => string, socket: string, child: { exitCode: number | null }): Promise<void> {
  while (child.exitCode === null && !disk.afterConsole.test(consoleText())) await sleep(100);
  if (child.exitCode !== null) return;
  await sleep(disk.delayMs);
  await qmp(socket, [
    { execute: 'qmp_capabilities' },
    { execute: 'device_add', arguments: { driver: 'virtio-blk-pci', id: 'latedisk', drive: 'late', bus: 'latebus' } },
  ]);
}

/** Send QMP commands one after another; reject on the first error reply. */
function qmp(socket: string, commands: readonly object[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const connection = createConnection(socket);
    let buffered = '';
    let sent = 0;
    const sendNext = () => {
      if (sent === commands.length) {
        connection.end();
        resolve();
        return;
      }
      connection.write(`${JSON.stringify(commands[sent++])}\n`);
    };
    connection.on('data', (chunk) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const message = JSON.parse(buffered.slice(0, newline)) as { QMP?: unknown; return?: unknown; error?: { desc: string } };
        buffered = buffered.slice(newline + 1);
        if (message.error) {
          connection.destroy();
          reject(new Error(`QMP: ${message.error.desc}`));
          return;
        }
        if (message.QMP !== undefined || message.return !== undefined) sendNext();
      }
    });
    connection.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
