// Where the harness finds the repository and the files it puts into guests. Everything here is
// relative to this directory, so bench/boot can bundle the harness and point it back here.
import path from 'node:path';

export const harnessDir = import.meta.dirname;
export const repoRoot = path.resolve(harnessDir, '..', '..', '..');
export const guestDir = path.join(harnessDir, 'guest');
