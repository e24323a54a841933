import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CrngNotReadyError, CsprngUnavailableError, derivePassphrase, seedUrandom } from '../../src/entropy/index.js';
import { createHost, type Host } from '../../src/system/host.js';
import { memoryLogger } from '../../src/system/log.js';
import { ExitCode } from '../../src/errors.js';
import { aesStream, copyFixtureRoot, documentedStream } from '../fixtures/entropy/fixture.js';

const csprngBytes = aesStream(4096, 42);
const fixedCsprng = (n: number): Buffer => Buffer.from(csprngBytes.subarray(0, n));
const ROOTMNT = '/root';
const DEVICE = '/media/disk.img';

let root: string;
let cleanup: () => void;
let log: ReturnType<typeof memoryLogger>;
let host: Host;
beforeEach(() => {
  ({ root, cleanup } = copyFixtureRoot());
  log = memoryLogger('debug');
  host = createHost({ root, log });
});
afterEach(() => cleanup());

const at = (machinePath: string): string => path.join(root, machinePath);
const expectedPassphrase = (): string =>
  createHash('sha512').update(documentedStream(root, { rootmnt: ROOTMNT, device: DEVICE, csprng: csprngBytes })).digest('hex');
const statusOf = (report: { sources: readonly { name: string; status: string }[] }, name: string): string | undefined =>
  report.sources.find((s) => s.name === name)?.status;

describe('derivePassphrase on a fixture root', () => {
  it('hashes the documented stream of every source (recomputed here from the files)', async () => {
    const { passphrase, report } = await derivePassphrase(host, { rootmnt: ROOTMNT, device: DEVICE, csprng: fixedCsprng });
    expect(passphrase.reveal().toString('ascii')).toBe(expectedPassphrase());
    expect(report.crngReady).toBe(true);
    expect(report.sources.map((s) => `${s.name}=${s.status}`)).toEqual([
      'mix:initramfs=ok', 'mix:systemd=ok', 'mix:sysvinit=missing',
      'stat:/dev=ok', 'stat:/proc=ok', 'stat:/sys=ok', 'boot_id=ok', 'uuid=ok',
      'seed:initramfs=ok', 'seed:systemd=ok', 'seed:sysvinit=missing',
      'csprng=ok', 'device=ok', 'hwrng=skipped',
    ]);
  });

  it('a missing optional source changes the report and the passphrase, not the success', async () => {
    const full = await derivePassphrase(host, { rootmnt: ROOTMNT, device: DEVICE, csprng: fixedCsprng, mixSeeds: false });
    rmSync(at('/proc/sys/kernel/random/boot_id'));
    rmSync(at('/root/var/lib/systemd/random-seed'));
    const partial = await derivePassphrase(host, { rootmnt: ROOTMNT, device: DEVICE, csprng: fixedCsprng, mixSeeds: false });
    expect(statusOf(partial.report, 'boot_id')).toBe('missing');
    expect(partial.report.sources.find((s) => s.name === 'seed:systemd')?.detail).toBe('/root/var/lib/systemd/random-seed: ENOENT');
    expect(partial.passphrase.reveal().toString('ascii')).toBe(expectedPassphrase());
    expect(partial.passphrase.reveal()).not.toEqual(full.passphrase.reveal());
  });

  it('the CSPRNG bytes decide the passphrase', async () => {
    const a = await derivePassphrase(host, { mixSeeds: false, csprng: fixedCsprng });
    const b = await derivePassphrase(host, { mixSeeds: false, csprng: (n) => aesStream(n, 43) });
    expect(a.passphrase.reveal()).not.toEqual(b.passphrase.reveal());
  });

  it('fails clearly without a CSPRNG, keeping the report of what it read', async () => {
    rmSync(at('/dev/urandom'));
    const error = await derivePassphrase(host, { rootmnt: ROOTMNT }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CsprngUnavailableError);
    const failure = error as CsprngUnavailableError;
    expect(failure.message).toBe('cannot read the CSPRNG: /dev/urandom: ENOENT');
    expect(failure.hint).toMatch(/devtmpfs/);
    expect(failure.exitStatus).toBe(ExitCode.failure);
    expect(statusOf(failure.report, 'csprng')).toBe('missing');
    expect(statusOf(failure.report, 'mix:systemd')).toBe('failed'); // nowhere to mix it into
  });

  it('refuses a CSPRNG that returns fewer bytes than asked for', async () => {
    const error = await derivePassphrase(host, { csprng: () => Buffer.alloc(100) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CsprngUnavailableError);
    expect((error as Error).message).toMatch(/returned 100 of 4096 bytes/);
  });
});

describe('CRNG readiness', () => {
  /** Turn dev/random into a FIFO held open for writing: reads get EAGAIN until the test writes. */
  function unreadyRandom(): number {
    rmSync(at('/dev/random'));
    execFileSync('mkfifo', [at('/dev/random')]);
    return openSync(at('/dev/random'), constants.O_RDWR | constants.O_NONBLOCK);
  }

  it('waits until /dev/random becomes readable and reports the wait', async () => {
    const writer = unreadyRandom();
    const timer = setTimeout(() => writeSync(writer, 'x'), 150);
    try {
      const { report } = await derivePassphrase(host, { csprng: fixedCsprng, crngWaitMs: 10_000 });
      expect(report.crngReady).toBe(true);
      expect(report.crngWaitMs).toBeGreaterThanOrEqual(100);
    } finally {
      clearTimeout(timer);
      closeSync(writer);
    }
  });

  it('fails closed when the CRNG is not ready within the bound', async () => {
    const writer = unreadyRandom();
    try {
      const error = await derivePassphrase(host, { csprng: fixedCsprng, crngWaitMs: 100 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CrngNotReadyError);
      const failure = error as CrngNotReadyError;
      expect(failure.message).toMatch(/not initialised \(\/dev\/random still not readable after 100 ms\)/);
      expect(failure.report.crngReady).toBe(false);
      expect(failure.report.crngWaitMs).toBeGreaterThanOrEqual(100);
      expect(failure.report.sources.some((s) => s.name === 'csprng')).toBe(false); // nothing was read
      expect(log.events.some((e) => e.level === 'error' && e.message.includes('CRNG not ready'))).toBe(true);
    } finally {
      closeSync(writer);
    }
  });

  it('treats a missing /dev/random as "cannot tell", which fails closed', async () => {
    rmSync(at('/dev/random'));
    await expect(derivePassphrase(host, { csprng: fixedCsprng, crngWaitMs: 50 })).rejects.toThrow(/cannot read \/dev\/random: ENOENT/);
  });

  it('on kernels before 5.6 relies on the getrandom() wait of process start-up', async () => {
    rmSync(at('/dev/random')); // would fail the check if it were consulted
    writeFileSync(at('/proc/sys/kernel/osrelease'), '5.4.0-150-generic\n');
    const { report } = await derivePassphrase(host, { csprng: fixedCsprng });
    expect(report.crngReady).toBe(true);
    expect(log.events.some((e) => e.message.includes('kernel 5.4.0-150-generic < 5.6'))).toBe(true);
  });
});

describe('seed files', () => {
  it('are written into /dev/urandom, and the log says mixed, not credited', async () => {
    const records = await seedUrandom(host, { rootmnt: ROOTMNT });
    const initramfs = readFileSync(at('/.random-seed'));
    const systemd = readFileSync(at('/root/var/lib/systemd/random-seed'));
    expect(readFileSync(at('/dev/urandom')).subarray(0, initramfs.length + systemd.length)).toEqual(Buffer.concat([initramfs, systemd]));
    expect(records.map((r) => [r.name, r.status, r.bytes])).toEqual([
      ['mix:initramfs', 'ok', initramfs.length],
      ['mix:systemd', 'ok', systemd.length],
      ['mix:sysvinit', 'missing', 0],
    ]);
    const infos = log.events.filter((e) => e.level === 'info').map((e) => e.message);
    expect(infos).toHaveLength(2);
    for (const line of infos) expect(line).toMatch(/into \/dev\/urandom \(mixed, not credited/);
  });
});

describe('hardware RNG (opt-in)', () => {
  it('hashes blocks that pass the FIPS tests', async () => {
    writeFileSync(at('/dev/hwrng'), aesStream(4 + 2500, 5));
    const { report } = await derivePassphrase(host, { csprng: fixedCsprng, mixSeeds: false, hwrng: '/dev/hwrng' });
    const hwrng = report.sources.find((s) => s.name === 'hwrng');
    expect(hwrng).toMatchObject({ status: 'ok', bytes: 2500, detail: '/dev/hwrng: 1 of 1 FIPS 140-2 blocks passed, 0 discarded' });
  });

  it('discards and counts failing blocks; with none left the source is reported failed, the derivation goes on', async () => {
    writeFileSync(at('/dev/hwrng'), Buffer.concat([aesStream(4 + 2500, 5), Buffer.alloc(2500)]));
    const two = await derivePassphrase(host, { csprng: fixedCsprng, mixSeeds: false, hwrng: '/dev/hwrng', hwrngBlocks: 2 });
    expect(two.report.sources.find((s) => s.name === 'hwrng')).toMatchObject({ status: 'ok', bytes: 2500, detail: '/dev/hwrng: 1 of 2 FIPS 140-2 blocks passed, 1 discarded' });
    writeFileSync(at('/dev/hwrng'), Buffer.alloc(2504));
    const none = await derivePassphrase(host, { csprng: fixedCsprng, mixSeeds: false, hwrng: '/dev/hwrng' });
    expect(none.report.sources.find((s) => s.name === 'hwrng')).toMatchObject({ status: 'failed', bytes: 0 });
    expect(none.passphrase.length).toBe(128);
  });

  it('gives up on a device that does not deliver in time', async () => {
    writeFileSync(at('/dev/hwrng'), Buffer.alloc(10));
    const { report } = await derivePassphrase(host, { csprng: fixedCsprng, mixSeeds: false, hwrng: '/dev/hwrng', hwrngWaitMs: 50 });
    expect(report.sources.find((s) => s.name === 'hwrng')?.detail).toBe('/dev/hwrng gave 10 of 2504 bytes within 50 ms');
  });
});

describe('secrets stay out of logs and reports', () => {
  it('no passphrase, CSPRNG bytes or seed contents in any log line or in the report', async () => {
    const { passphrase, report } = await derivePassphrase(host, { rootmnt: ROOTMNT, device: DEVICE, csprng: fixedCsprng });
    const text = passphrase.reveal().toString('ascii');
    const logged = log.events.map((e) => e.message).join('\n');
    const reported = JSON.stringify(report);
    const secrets = [text, text.slice(0, 16), csprngBytes.subarray(0, 16).toString('hex'), csprngBytes.subarray(0, 16).toString('base64'), readFileSync(at('/.random-seed'), 'utf8').trim()];
    for (const secret of secrets) {
      expect(logged).not.toContain(secret);
      expect(reported).not.toContain(secret);
    }
    expect(log.events.length).toBeGreaterThan(5); // it did log, at debug level too
  });
});
