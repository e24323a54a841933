// Where the e2e harness keeps what is slow to make (the debootstrapped base, prepared guest
// systems): outside the repository, keyed by a hash of everything that went into it, so a second
// run with the same inputs takes seconds and a changed input can never reuse a stale build.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../../../src/system/spawn.js';

export const cacheRoot = process.env.OROOT_E2E_CACHE ?? '/var/cache/oroot-e2e';

export function hashOf(...parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(String(part.length));
    hash.update(':');
    hash.update(part);
  }
  return hash.digest('hex').slice(0, 16);
}

export function progress(message: string): void {
  process.stderr.write(`e2e: ${message}\n`);
}

const COMPLETE = '.complete';

/**
 * The cached directory `<kind>/<key>`, built by `build(tmpDir)` when missing. A build writes into a
 * temporary directory that is renamed into place only when complete, so an interrupted build
 * never looks finished. Older entries of the same kind beyond `keep` are removed.
 */
export async function cached(
  kind: string,
  key: string,
  build: (dir: string) => Promise<void>,
  keep = 2,
): Promise<string> {
  const dir = path.join(cacheRoot, kind, key);
  if (existsSync(path.join(dir, COMPLETE))) return dir;
  mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  await removeTree(tmp);
  mkdirSync(tmp);
  try {
    await build(tmp);
    writeFileSync(path.join(tmp, COMPLETE), new Date().toISOString());
    await removeTree(dir);
    renameSync(tmp, dir);
  } catch (error) {
    await removeTree(tmp);
    throw error;
  }
  prune(path.dirname(dir), keep);
  return dir;
}

/** Remove a tree that may contain a debootstrapped system (unmounting anything left mounted in it). */
export async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  await unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}

async function unmountUnder(dir: string): Promise<void> {
  const prefix = path.resolve(dir) + '/';
  const targets = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((target) => target.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const target of targets) await run(['umount', '-l', target], { reject: false });
}

function prune(kindDir: string, keep: number): void {
  const entries = readdirSync(kindDir)
    .filter((name) => !name.includes('.tmp-') && existsSync(path.join(kindDir, name, COMPLETE)))
    .map((name) => ({ name, mtime: statSync(path.join(kindDir, name, COMPLETE)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const stale of entries.slice(keep)) rmSync(path.join(kindDir, stale.name), { recursive: true, force: true });
}
