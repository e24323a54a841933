// The native addon (native/oroot_sys.c) for the integration tests: built from the current source
// (which proves the build script too) and loaded into the test runner's own Node.js; and the
// errors its functions throw, for their properties.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';
import { loadNativeSys, type NativeSys } from '../../src/system/native.js';
import { SYS_ADDON } from './boot-fixture.js';
import { repoRoot } from './cli.js';

/** Build the addon to `output` (default: where `npm run build:native` puts it). */
export function buildAddon(output = SYS_ADDON): void {
  execFileSync('sh', [path.join(repoRoot, 'scripts/build-native.sh'), output], { cwd: repoRoot, stdio: 'pipe' });
}

export function buildAndLoadAddon(): NativeSys {
  buildAddon();
  const loaded = loadNativeSys(SYS_ADDON);
  if (!loaded.ok) throw new Error(loaded.reason);
  return loaded.sys;
}

/** The error a call throws. */
export function thrown(call: () => unknown): NodeJS.ErrnoException {
  try {
    call();
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error('expected the call to throw');
}

/** "code: message" of the TypeError a call throws for a wrong argument. */
export function typeErrorOf(call: () => unknown): string {
  const error = thrown(call);
  expect(error).toBeInstanceOf(TypeError);
  return `${error.code}: ${error.message}`;
}
