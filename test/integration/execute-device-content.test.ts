// What the crypt step sees on a device, probed for real (header bytes and blkid -p) on images made
// by the real tools, and the open-or-format decision it leads to. Formatting needs no device-mapper,
// so every kind of content is real here; only the open is left to the QEMU tests.
import { openSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeDeviceContent } from '../../src/overlayroot/execute/device-content.js';
import { decideCryptAction } from '../../src/overlayroot/plan/crypt-decision.js';
import { createHost } from '../../src/system/host.js';
import { run } from '../../src/system/spawn.js';
import { requireRoot, requireTool, tempDir } from '../helpers/machine.js';

const { dir, cleanup } = tempDir('oroot-content-');
const host = createHost();
const img = (name: string) => path.join(dir, `${name}.img`);
const luksFormat = (file: string, label: string) =>
  run(['cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks2', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--label', label, '--key-file=-', file], { input: Buffer.from('k'.repeat(64)) });

beforeAll(async () => {
  requireRoot();
  for (const tool of ['cryptsetup', 'mkfs.ext4', 'sfdisk', 'mkswap', 'blkid']) requireTool(tool);
  for (const name of ['blank', 'ext4', 'ephemeral', 'persistent', 'damaged', 'gpt', 'swap']) await run(['truncate', '-s', '32M', img(name)]);
  await run(['mkfs.ext4', '-q', '-L', 'data', img('ext4')]);
  await luksFormat(img('ephemeral'), 'oroot-ephemeral');
  await luksFormat(img('persistent'), 'oroot-persistent');
  await luksFormat(img('damaged'), 'oroot-persistent');
  const fd = openSync(img('damaged'), 'r+');
  writeSync(fd, Buffer.alloc(4096), 0, 4096, 0); // the primary header is gone, the secondary remains
  closeSync(fd);
  await run(['sfdisk', '--quiet', img('gpt')], { input: 'label: gpt\n,16M\n' });
  await run(['mkswap', img('swap')]);
});
afterAll(() => cleanup());

describe('what is on the device', () => {
  it.each([
    ['blank', { kind: 'blank' }],
    ['ext4', { kind: 'other', signature: 'an ext4 signature labelled data' }],
    ['ephemeral', { kind: 'luks', version: '2', label: 'oroot-ephemeral' }],
    ['persistent', { kind: 'luks', version: '2', label: 'oroot-persistent' }],
    ['damaged', { kind: 'luks', version: '2', label: 'oroot-persistent' }],
    ['gpt', { kind: 'other', signature: 'a gpt partition table' }],
    ['swap', { kind: 'other', signature: 'a swap area' }],
  ])('%s', async (name, expected) => {
    expect(await probeDeviceContent(host, img(name))).toEqual(expected);
  });
});

describe('and what the crypt step then decides', () => {
  it.each([
    ['blank', 'generated', 'format'],
    ['ephemeral', 'generated', 'format'],
    ['persistent', 'generated', 'refuse'],
    ['damaged', 'generated', 'refuse'], // a damaged persistent volume is still never replaced
    ['ext4', 'generated', 'refuse'],
    ['gpt', 'given', 'refuse'],
    ['persistent', 'given', 'open'],
    ['damaged', 'given', 'open'],
    ['blank', 'given', 'format'],
  ] as const)('%s with a %s key → %s', async (name, keyOrigin, action) => {
    const content = await probeDeviceContent(host, img(name));
    expect(decideCryptAction({ keyOrigin, mkfs: 1, content }).action).toBe(action);
  });
});
