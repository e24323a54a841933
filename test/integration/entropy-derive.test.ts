// The derivation against real tools and the real machine: sha512sum recomputes the digest from
// the documented framing, and two derivations from the real kernel never agree.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { derivePassphrase, seedUrandom } from '../../src/entropy/index.js';
import { waitForCrng } from '../../src/entropy/crng.js';
import { createHost } from '../../src/system/host.js';
import { memoryLogger } from '../../src/system/log.js';
import { requireRoot, requireTool, tempDir } from '../helpers/machine.js';
import { aesStream, copyFixtureRoot, documentedStream } from '../fixtures/entropy/fixture.js';

function sha512sum(input: Buffer): string {
  const result = spawnSync(requireTool('sha512sum'), ['-'], { input });
  if (result.status !== 0) throw new Error(`sha512sum failed: ${result.stderr}`);
  return result.stdout.toString('ascii').split(' ')[0]!;
}

describe('reproducible derivation on a fixture root', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ root, cleanup } = copyFixtureRoot()));
  afterEach(() => cleanup());

  it('equals sha512sum of the stream built from docs/entropy.md, run after run', async () => {
    const csprng = aesStream(4096, 42);
    const host = createHost({ root, log: memoryLogger() });
    for (let run = 0; run < 2; run += 1) {
      const { passphrase } = await derivePassphrase(host, { rootmnt: '/root', device: '/media/disk.img', csprng: () => Buffer.from(csprng) });
      // Recomputed after each run: seed mixing rewrites dev/urandom, so /dev's stat data moves on.
      const expected = sha512sum(documentedStream(root, { rootmnt: '/root', device: '/media/disk.img', csprng }));
      expect(expected).toMatch(/^[0-9a-f]{128}$/);
      expect(passphrase.reveal().toString('ascii')).toBe(expected);
    }
  });
});

describe('on this machine', () => {
  it('the kernel CRNG is ready and the check says so at once', async () => {
    const status = await waitForCrng(createHost(), { timeoutMs: 5000 });
    expect(status.ready).toBe(true);
    expect(status.detail).toMatch(/getrandom/);
  });

  it('two derivations from the real kernel give different passphrases', async () => {
    const host = createHost({ log: memoryLogger() });
    const first = await derivePassphrase(host, { mixSeeds: false });
    const second = await derivePassphrase(host, { mixSeeds: false });
    for (const { passphrase } of [first, second]) expect(passphrase.reveal().toString('ascii')).toMatch(/^[0-9a-f]{128}$/);
    expect(first.passphrase.reveal().equals(second.passphrase.reveal())).toBe(false);
    const byName = new Map(first.report.sources.map((s) => [s.name, s]));
    expect(byName.get('csprng')).toMatchObject({ status: 'ok', bytes: 4096, detail: '/dev/urandom' });
    expect(byName.get('stat:/proc')?.status).toBe('ok');
    expect(byName.get('boot_id')).toMatchObject({ status: 'ok', bytes: 37 });
  });

  it('mixes a root seed file into the real /dev/urandom', async () => {
    requireRoot();
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(path.join(dir, 'var/lib/systemd'), { recursive: true });
      writeFileSync(path.join(dir, 'var/lib/systemd/random-seed'), aesStream(512, 9));
      const records = await seedUrandom(createHost({ log: memoryLogger() }), { rootmnt: dir });
      expect(records.find((r) => r.name === 'mix:systemd')).toMatchObject({ status: 'ok', bytes: 512 });
    } finally {
      cleanup();
    }
  });
});
