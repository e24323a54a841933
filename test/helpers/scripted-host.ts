// A host for executor unit tests: machine paths resolve into a temp dir (so in-process file work
// really happens there), and programs are not run but recorded, each answered by a script that can
// make it fail. Also fake boot services (config, entropy, cryptsetup, fstab) with the same record.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { CommandFailedError, quoteArg, type RunOptions, type RunResult } from '../../src/system/spawn.js';
import { createHost, type Host } from '../../src/system/host.js';
import { memoryLogger } from '../../src/system/log.js';
import { Secret } from '../../src/system/secret.js';
import type { BootServices } from '../../src/overlayroot/execute/types.js';
import type { OverlayConfig } from '../../src/overlayroot/config/types.js';
import type { DeviceContent } from '../../src/overlayroot/plan/crypt-decision.js';

export interface Script {
  /** Return stderr text to make this command fail with exit code 1; undefined lets it succeed. */
  fail?: (argv: readonly string[]) => string | undefined;
  /** stdout for a successful command. */
  stdout?: (argv: readonly string[]) => string;
}

export function scriptedHost(root: string, script: Script = {}) {
  const calls: string[][] = [];
  const log = memoryLogger();
  const run = async (argv: readonly string[], options: RunOptions = {}): Promise<RunResult> => {
    calls.push([...argv]);
    const stderr = script.fail?.(argv);
    const result: RunResult = {
      command: argv.map(quoteArg).join(' '),
      argv,
      exitCode: stderr === undefined ? 0 : 1,
      signal: null,
      stdout: stderr === undefined ? (script.stdout?.(argv) ?? '') : '',
      stdoutBytes: Buffer.alloc(0),
      stderr: stderr ?? '',
      durationMs: 1,
      failed: stderr !== undefined,
      timedOut: false,
    };
    if (result.failed && options.reject !== false) throw new CommandFailedError(result);
    return result;
  };
  const host: Host = createHost({ root, run, log });
  return { host, calls, log, commands: () => calls.map((argv) => argv.join(' ')) };
}

/** A block-device node at `machinePath` under `root`: mknod where allowed (root), else a symlink to
 *  a block device of this machine. Throws when neither is possible (tests fail, never skip). */
export function fakeBlockDevice(root: string, machinePath: string): void {
  const target = path.join(root, machinePath);
  mkdirSync(path.dirname(target), { recursive: true });
  try {
    execFileSync('mknod', [target, 'b', '7', '250'], { stdio: 'ignore' });
    return;
  } catch {
    const any = readdirSync('/dev').map((name) => `/dev/${name}`).find((p) => statSync(p, { throwIfNoEntry: false })?.isBlockDevice());
    if (!any) throw new Error('this test needs mknod (root) or a block device under /dev');
    symlinkSync(any, target);
  }
}

export interface FakeServices extends BootServices {
  readonly events: string[];
  readonly secrets: Secret[];
}

/** Boot services that record what they are asked and answer from `answers`. */
export function fakeServices(answers: {
  config?: OverlayConfig | (() => OverlayConfig);
  content?: DeviceContent;
  filesystem?: string;
  failOpen?: string;
  failFormat?: string;
  failClose?: string;
  fstab?: (input: string | undefined) => { text: string | undefined; directories: string[] };
} = {}): FakeServices {
  const events: string[] = [];
  const secrets: Secret[] = [];
  const secret = (text: string) => {
    const s = Secret.fromString(text);
    secrets.push(s);
    return s;
  };
  return {
    events,
    secrets,
    async readConfig() {
      events.push('readConfig');
      const config = typeof answers.config === 'function' ? answers.config() : answers.config;
      if (!config) throw new Error('no config scripted');
      return config;
    },
    async loadKey(_host, key) {
      events.push(`loadKey ${key.kind}`);
      return secret('given-key-0123456789');
    },
    async seedUrandom(_host, { rootmnt }) {
      events.push(`seedUrandom ${rootmnt}`);
      return [{ name: 'seed', bytes: 512, durationMs: 1, status: 'ok' }];
    },
    async derivePassphrase(_host, { device }) {
      events.push(`derivePassphrase ${device}`);
      return { passphrase: secret('a'.repeat(128)), report: { crngReady: true, crngWaitMs: 3, sources: [{ name: 'urandom', bytes: 4096, durationMs: 1, status: 'ok' }] } };
    },
    async probeDevice(_host, device) {
      events.push(`probeDevice ${device}`);
      return answers.content ?? { kind: 'blank' };
    },
    async filesystemOn(_host, device) {
      events.push(`filesystemOn ${device}`);
      return answers.filesystem;
    },
    async formatVolume(_host, { device, step }) {
      events.push(`formatVolume ${device} ${step.formatLabel}`);
      if (answers.failFormat) throw new Error(answers.failFormat);
    },
    async openVolume(_host, { device, step }) {
      events.push(`openVolume ${device} ${step.mapname}`);
      if (answers.failOpen) throw new Error(answers.failOpen);
      return { profile: step.profile, type: 'luks2', cipher: 'aes-xts-plain64', keyBits: 512, mapname: step.mapname };
    },
    async closeVolume(_host, mapname) {
      events.push(`closeVolume ${mapname}`);
      if (answers.failClose) throw new Error(answers.failClose);
    },
    rewriteFstab(input, options) {
      events.push(`rewriteFstab swap=${options.swap} recurse=${options.recurse}${input === undefined ? ' (no fstab)' : ''}`);
      // As the real rewriter: nothing to write without an fstab, unless `ro` asks for a `/` line.
      const fabricated = options.kernelReadOnly && options.root ? `${options.root.spec} / ${options.root.fstype} ${options.root.options} 0 0\n` : undefined;
      const out = answers.fstab?.(input) ?? { text: input === undefined ? fabricated : `# rewritten\n${input}`, directories: [] };
      return { ...out, notes: [] };
    },
  };
}
