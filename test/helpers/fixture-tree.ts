// Build a small machine tree (etc/, proc/, conf/…) in a temp dir for a Host with that root.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Write `files` (machine path → content) under `root`; `mode` applies to every file. */
export function writeTree(root: string, files: Record<string, string | Buffer>, mode = 0o644): void {
  for (const [machinePath, content] of Object.entries(files)) {
    const file = path.join(root, machinePath);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content, { mode });
  }
}
