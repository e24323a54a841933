// Integration tests use the real machine. They fail (not skip) when what they need is missing,
// so a CI run can never pass by testing nothing. .ci/run installs every tool they need.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('this integration test needs root (CI runs as root)');
}

export function requireTool(name: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`this test needs ${name}; .ci/run installs it (apt-get)`);
  }
}

/** A temporary directory that is removed by the returned cleanup function. */
export function tempDir(prefix = 'oroot-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
