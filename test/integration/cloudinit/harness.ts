// Running Debian's real cloud-init on user-data that oroot generated, three ways:
//   schemaCheck     `cloud-init schema -c` on one #cloud-config document
//   runPipeline     cloud-init's user-data processing, part merging and write_files handler, as
//                   a library, with every path re-rooted into a temp dir (pipeline.py)
//   bootSandbox     a whole NoCloud first boot in private namespaces on a throwaway overlay of
//                   this machine's root (sandbox-boot.sh; needs root)
// and checking the host stays clean while doing so.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { requireRoot, requireTool, tempDir } from '../../helpers/machine.js';

const here = import.meta.dirname;
// Debian's interpreter: a python3 earlier on PATH (pyenv) cannot import the Debian cloudinit package.
export const PYTHON = '/usr/bin/python3';
export const fixture = (name: string) => path.resolve(here, '../../fixtures/userdata', name);

export function requireCloudInit(): void {
  requireTool('cloud-init');
  const probe = spawnSync(PYTHON, ['-c', 'import cloudinit.user_data, cloudinit.config.cc_write_files']);
  if (probe.status !== 0) throw new Error(`${PYTHON} cannot import cloudinit; .ci/run installs the cloud-init package (apt-get)`);
}

/**
 * Set up one test file: fail unless cloud-init (and root, if asked) is there, give it a scratch
 * workspace, and check at the end that running cloud-init left the host as it found it.
 */
export function cloudInitSuite(prefix: string, options: { root?: boolean } = {}) {
  const ws = workspace(prefix);
  let before: ReturnType<typeof hostState>;
  beforeAll(() => {
    if (options.root) requireRoot();
    requireCloudInit();
    before = hostState();
  });
  afterAll(() => {
    expect(hostState(), '/dev/urandom, /var/lib/cloud, /var/log/cloud-init.log and /run/cloud-init as before').toEqual(before);
    ws.cleanup();
  });
  return ws;
}

/** A scratch directory for one test file. */
export function workspace(prefix: string) {
  const scratch = tempDir(prefix);
  let counter = 0;
  return {
    dir: scratch.dir,
    cleanup: scratch.cleanup,
    file(name: string, content: string | Buffer): string {
      const file = path.join(scratch.dir, name);
      writeFileSync(file, content);
      return file;
    },
    /** A fresh directory inside the workspace. */
    subdir(name = `d${++counter}`): string {
      const dir = path.join(scratch.dir, name);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
  };
}

/** Generate user-data with the built CLI from a known seed (--source), return path and seed. */
export async function generate(ws: ReturnType<typeof workspace>, name: string, args: string[] = [], seedBytes = 512) {
  const seed = randomBytes(seedBytes);
  const seedFile = ws.file(`${name}.seed`, seed);
  const output = path.join(ws.dir, name);
  const result = await runCli(['userdata', '--bytes', String(seedBytes), '--source', seedFile, '--output', output, ...args]);
  if (result.exitCode !== 0) throw new Error(`oroot userdata ${args.join(' ')} failed: ${result.stderr}`);
  return { file: output, seed, bytes: readFileSync(output) };
}

export interface SchemaResult {
  exitCode: number | null;
  output: string;
}

export function schemaCheck(file: string): SchemaResult {
  const result = spawnSync('cloud-init', ['schema', '-c', file], { encoding: 'utf8' });
  return { exitCode: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface PipelineFile {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  content: Buffer;
}

export interface PipelineResult {
  parts: Array<{ type: string; filename: string | null; payload: Buffer }>;
  mergedKeys: string[];
  merged: Record<string, unknown>;
  files: PipelineFile[];
}

/** cloud-init's own processing of a user-data file (§6c): parts, merged config, files written. */
export function runPipeline(userData: string, sandbox: string): PipelineResult {
  const result = spawnSync(PYTHON, [path.join(here, 'pipeline.py'), userData, sandbox], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pipeline.py failed (${result.status}): ${result.stderr}`);
  const raw = JSON.parse(result.stdout) as {
    parts: Array<{ type: string; filename: string | null; payload_b64: string }>;
    merged_keys: string[];
    merged: Record<string, unknown>;
    files: Array<Omit<PipelineFile, 'content'> & { content_b64: string }>;
  };
  return {
    parts: raw.parts.map((part) => ({ type: part.type, filename: part.filename, payload: Buffer.from(part.payload_b64, 'base64') })),
    mergedKeys: raw.merged_keys,
    merged: raw.merged,
    files: raw.files.map(({ content_b64, ...file }) => ({ ...file, content: Buffer.from(content_b64, 'base64') })),
  };
}

/** What a successful seeding looks like: exactly the seed bytes, mode 0666, owned by root. */
export function expectSeeded(result: PipelineResult, seed: Buffer): void {
  const urandom = result.files.filter((file) => file.path === '/dev/urandom');
  expect(urandom, 'one write_files entry for /dev/urandom').toHaveLength(1);
  expect(urandom[0]!.content.equals(seed), 'the bytes written are exactly the seed').toBe(true);
  expect(urandom[0]!.mode.toString(8), 'mode after cloud-init chmods it').toBe('666');
  expect([urandom[0]!.uid, urandom[0]!.gid]).toEqual([0, 0]);
}

export interface BootResult {
  /** Exit codes of each cloud-init stage (init-local, init, final, schema-system) and the chroot. */
  rc: Record<string, number>;
  /** "<octal mode> <file type>" of /dev/urandom after the boot. */
  urandomStat: string;
  /** What was written to /dev/urandom (capture-file mode only). */
  urandom?: Buffer;
  /** Everything cloud-init wrote, as an overlay upper directory. */
  upper: string;
  log: string;
}

/** A NoCloud first boot of real cloud-init in a namespace sandbox (§6a). */
export function bootSandbox(userData: string, out: string, urandom: 'file' | 'chardev' = 'file'): BootResult {
  requireRoot();
  const result = spawnSync('bash', [path.join(here, 'sandbox-boot.sh'), userData, out, urandom], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sandbox-boot.sh failed (${result.status}): ${result.stderr}`);
  const rcLines = [readFileSync(path.join(out, 'rc'), 'utf8'), readFileSync(path.join(out, 'upper/oroot-ci/rc'), 'utf8')].join('\n');
  const rc = Object.fromEntries(rcLines.split('\n').filter(Boolean).map((line) => line.split('=') as [string, string]).map(([k, v]) => [k, Number(v)]));
  const captured = path.join(out, 'urandom.bin');
  return {
    rc,
    urandomStat: readFileSync(path.join(out, 'urandom.stat'), 'utf8').trim(),
    urandom: existsSync(captured) ? readFileSync(captured) : undefined,
    upper: path.join(out, 'upper'),
    log: readFileSync(path.join(out, 'boot.log'), 'utf8'),
  };
}

/** The parts of the host cloud-init could touch, to compare before and after a test file. */
export function hostState() {
  const urandom = statSync('/dev/urandom');
  return {
    urandom: `${(urandom.mode & 0o7777).toString(8)} ${urandom.isCharacterDevice() ? 'char' : 'other'} ${urandom.rdev}`,
    varLibCloud: existsSync('/var/lib/cloud'),
    cloudInitLog: existsSync('/var/log/cloud-init.log'),
    runCloudInit: existsSync('/run/cloud-init'),
  };
}
