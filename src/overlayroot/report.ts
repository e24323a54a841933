// Where the boot stage reports: the kernel log (`oroot:` prefix), /run/initramfs/oroot.log, and
// the state file `oroot status` reads. Loud messages (a fallback, a halt) go to the kernel log at
// KERN_CRIT, which the console shows even with `quiet`, and straight to /dev/console when the
// console log level hides even that. Every sink is synchronous so nothing is lost if the boot stops
// right after, and a sink that cannot be written is dropped, never fatal.
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Host } from '../system/host.js';
import { createLogger, type LogEvent, type LogLevel, type Logger } from '../system/log.js';
import { writeNewFile } from '../system/files.js';
import { LOG_FILE, STATE_FILE, type BootState } from './state.js';

/** Kernel log levels (syslog priorities): KERN_CRIT is shown on the console even with `quiet`. */
const KMSG_LEVEL: Record<LogLevel | 'loud', number> = { loud: 2, error: 3, warn: 4, info: 6, debug: 7 };
/** /dev/kmsg takes one record per write, up to about 1 KiB. */
const KMSG_MAX = 900;
/** The kernel lets each open /dev/kmsg descriptor write this many records per 5 s (unless
 *  printk.devkmsg=on), and drops the rest. */
const KMSG_BURST = 10;

export interface BootReporter {
  readonly logger: Logger;
  /** A message that must be seen on the console. */
  shout(message: string): void;
  /** Send debug messages to the kernel log too (overlayroot's debug=1); the log file always has them. */
  setDebug(on: boolean): void;
  writeState(state: BootState): Promise<void>;
  /** Close the log file and the kernel log. */
  close(): void;
}

export function openBootReporter(host: Host): BootReporter {
  let kmsgDebug = false;
  const kmsg = kernelLog(host);
  const file = logFile(host);
  const logger = createLogger(
    [
      (event) => file(event.level, event.message, event.atMs),
      (event: LogEvent) => (event.level !== 'debug' || kmsgDebug) && kmsg(KMSG_LEVEL[event.level], event.message),
    ],
    'debug',
  );
  const started = performance.now();
  return {
    logger,
    shout(message) {
      kmsg(KMSG_LEVEL.loud, message);
      file('error', message, performance.now() - started);
      if (consoleLevel(host) <= KMSG_LEVEL.loud) writeConsole(host, `oroot: ${message}\n`);
    },
    setDebug(on) {
      kmsgDebug = on;
    },
    async writeState(state) {
      const target = host.path(STATE_FILE);
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      await writeNewFile(target, `${JSON.stringify(state, null, 2)}\n`, { overwrite: true, mode: 0o600 });
    },
    close() {
      file.close();
      kmsg.close();
    },
  };
}

/** A fresh descriptor every KMSG_BURST records, so nothing is dropped; opening one per record
 *  would cost the boot an open and a close per line, slow under emulation. */
function kernelLog(host: Host): ((level: number, message: string) => void) & { close(): void } {
  let usable = true;
  let fd: number | undefined;
  let written = 0;
  const close = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  const write = (level: number, message: string) => {
    if (!usable) return;
    try {
      for (const line of message.split('\n')) {
        if (fd === undefined || written === KMSG_BURST) {
          close();
          fd = openSync(host.path('/dev/kmsg'), 'a');
          written = 0;
        }
        writeSync(fd, `<${level}>oroot: ${line.slice(0, KMSG_MAX)}\n`);
        written += 1;
      }
    } catch {
      usable = false;
    }
  };
  return Object.assign(write, { close });
}

/** Opened at the first line and kept open: under emulation, a mkdir, open and close per line cost
 *  the boot as much as the lines themselves. */
function logFile(host: Host): ((level: LogLevel, message: string, atMs: number) => void) & { close(): void } {
  let fd: number | undefined;
  let usable = true;
  const write = (level: LogLevel, message: string, atMs: number) => {
    if (!usable) return;
    try {
      if (fd === undefined) {
        const target = host.path(LOG_FILE);
        mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
        fd = openSync(target, 'a', 0o600);
      }
      writeSync(fd, `[${(atMs / 1000).toFixed(3).padStart(8)}] ${level}: ${message}\n`);
    } catch {
      usable = false;
    }
  };
  return Object.assign(write, {
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  });
}

/** The console log level (first field of /proc/sys/kernel/printk); 7 when unknown. */
function consoleLevel(host: Host): number {
  try {
    return Number(readFileSync(host.path('/proc/sys/kernel/printk'), 'utf8').trim().split(/\s+/)[0]) || 7;
  } catch {
    return 7;
  }
}

function writeConsole(host: Host, text: string): void {
  try {
    appendFileSync(host.path('/dev/console'), text);
  } catch {
    // no console: the kernel log and the log file still have it
  }
}
