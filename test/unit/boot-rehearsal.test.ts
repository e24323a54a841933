// The rehearsal that runs while the runtime snapshot is built (src/overlayroot/boot/rehearsal.ts):
// every act must end with the overlay configured (a rehearsal that fails early would compile
// little), it must leave nothing behind, and the boot bundle must not use what Node 18 lacks
// while it builds a snapshot.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearseBootStage } from '../../src/overlayroot/boot/rehearsal.js';

const leftovers = () => readdirSync(os.tmpdir()).filter((name) => name.startsWith('oroot-rehearsal-'));

describe('rehearseBootStage', () => {
  it('configures every mode against its made-up machine and removes it afterwards', async () => {
    const before = leftovers();
    const acts = await rehearseBootStage();
    // This machine has block devices, so the disk acts run too.
    expect(acts).toEqual(['tmpfs', 'device:dev=/dev/vdb', 'crypt:dev=/dev/vdb']);
    expect(leftovers()).toEqual(before);
  });
});

describe('the boot bundle', () => {
  // While Node 18 builds a startup snapshot, V8 has not yet installed some ES2022 built-ins (they
  // are added when the snapshot's context is deserialised): the rehearsal would fail on them.
  it('uses none of the built-ins Node 18 lacks while it builds a snapshot', async () => {
    const repo = path.resolve(import.meta.dirname, '../..');
    const result = await build({ absWorkingDir: repo, entryPoints: ['src/boot-main.ts'], bundle: true, platform: 'node', format: 'cjs', target: 'node18', write: false, logLevel: 'silent' });
    const code = result.outputFiles[0]!.text;
    expect(code.length).toBeGreaterThan(50_000);
    for (const late of [/\.at\(/, /\bhasOwn\(/, /\.findLast(Index)?\(/]) expect(code).not.toMatch(late);
  });
});
