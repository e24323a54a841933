// `oroot cfgdisk`: the config volume as an image file, ready to upload as a snapshot. ext4 made
// by `mkfs.ext4 -d STAGING` (no loop device, no mount, no root needed), holding overlayroot.conf
// (0600) and, when given, the key file (0400). The value is validated with the same parser the
// boot uses BEFORE anything is written, and the image never replaces a file unless asked.
import { access, link, mkdir, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Host } from '../system/host.js';
import type { Secret } from '../system/secret.js';
import { parseOverlayrootValue } from './config/index.js';
import { CFGDISK_CONFIG_FILE } from './config/cfgdisk.js';
import type { OverlayConfig } from './config/types.js';

export const DEFAULT_CFGDISK_LABEL = 'OROOTCFG';
export const DEFAULT_CFGDISK_SIZE = 4 * 1024 * 1024;
export const MIN_CFGDISK_SIZE = 1024 * 1024;
export const MAX_CFGDISK_SIZE = 1024 * 1024 * 1024;
export const DEFAULT_KEY_FILE = 'overlayroot.key';
const SOURCE = '--config';

export interface ConfigDiskImageOptions {
  readonly output: string;
  /** The overlayroot= value to put on the disk. */
  readonly value: string;
  /** Key bytes to store on the disk (crypt mode); the value then names them with keyfile=. */
  readonly key?: Secret;
  readonly label?: string;
  readonly sizeBytes?: number;
  readonly force?: boolean;
}

export interface ConfigDiskImage {
  readonly output: string;
  readonly label: string;
  readonly sizeBytes: number;
  /** The value as written to the disk (secrets redacted). */
  readonly config: OverlayConfig;
  readonly files: readonly { readonly name: string; readonly mode: number }[];
}

export async function buildConfigDiskImage(host: Host, options: ConfigDiskImageOptions): Promise<ConfigDiskImage> {
  const label = checkLabel(options.label ?? DEFAULT_CFGDISK_LABEL);
  const sizeBytes = options.sizeBytes ?? DEFAULT_CFGDISK_SIZE;
  if (!(sizeBytes >= MIN_CFGDISK_SIZE && sizeBytes <= MAX_CFGDISK_SIZE)) {
    throw new UsageError(`--size must be from 1M to 1G, not ${sizeBytes} bytes`);
  }
  const { value, keyPath, config } = planContents(options.value, options.key !== undefined);
  if (!options.force && (await access(options.output).then(() => true, () => false))) throw alreadyExists(options.output);
  const files = [{ name: CFGDISK_CONFIG_FILE, mode: 0o600, data: Buffer.from(configFileText(value)) }];
  if (keyPath && options.key) {
    const format = config.mode === 'crypt' && config.crypt.key.kind === 'keyfile' ? config.crypt.key.format : 'raw';
    const data = format === 'base64' ? Buffer.from(`${options.key.reveal().toString('base64')}\n`) : Buffer.from(options.key.reveal());
    files.push({ name: keyPath, mode: 0o400, data });
  }

  const staging = await mkdtemp(path.join(os.tmpdir(), 'oroot-cfgdisk-'));
  const temporary = path.join(path.dirname(options.output), `.${path.basename(options.output)}.${process.pid}.tmp`);
  try {
    for (const file of files) {
      const target = path.join(staging, file.name);
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await writeFile(target, file.data, { mode: file.mode, flag: 'wx' });
    }
    await createImageFile(temporary, sizeBytes);
    await host.run(['mkfs.ext4', '-q', '-F', '-L', label, '-m', '0', '-O', '^has_journal', '-E', 'root_owner=0:0', '-d', staging, temporary], {
      timeoutMs: 120_000,
    });
    await publish(temporary, options.output, options.force ?? false);
  } finally {
    for (const file of files) file.data.fill(0);
    await wipeStaging(staging, files);
    await rm(temporary, { force: true });
  }
  return { output: options.output, label, sizeBytes, config, files: files.map(({ name, mode }) => ({ name, mode })) };
}

/** Decide the final value and where the key goes; everything is checked before any file is made. */
function planContents(given: string, haveKey: boolean): { value: string; keyPath?: string; config: OverlayConfig } {
  const keys = { origin: 'cfgdisk', dir: '/' } as const;
  const first = parseOverlayrootValue(given, SOURCE, keys);
  if (first.mode === 'crypt' && first.crypt.key.kind === 'passphrase') {
    throw new UsageError('--config must not hold pass=: a passphrase on the command line shows in ps and shell history', {
      hint: 'Put the key in a file (or pipe it on stdin) and pass --key-file FILE (or -).',
    });
  }
  const key = first.mode === 'crypt' ? first.crypt.key : undefined;
  if (key?.kind === 'encrypted' && key.masterKey.base === 'cfgdisk') {
    throw new UsageError('masterkey= points at the config disk: a master key stored beside its ciphertext protects nothing', {
      hint: 'Keep the master key on the instance and name it with an absolute path, e.g. masterkey=/etc/oroot/master.key.',
    });
  }
  if (!haveKey) {
    if (key?.kind === 'keyfile' && key.base === 'cfgdisk') {
      throw new UsageError(`keyfile=${key.path.slice(1)} names a file on the config disk, but no --key-file was given to put there`);
    }
    return { value: given, config: first };
  }
  if (!key) throw new UsageError(`--key-file is for crypt mode; --config is ${first.mode === 'disabled' ? 'disabled' : `${first.mode} mode`}`);
  if (key.kind === 'generated') {
    const value = `${given.replace(/,$/, '')},keyfile=${DEFAULT_KEY_FILE}`;
    return { value, keyPath: DEFAULT_KEY_FILE, config: parseOverlayrootValue(value, SOURCE, keys) };
  }
  if (key.kind === 'keyfile' && key.base === 'cfgdisk') return { value: given, keyPath: key.path.slice(1), config: first };
  throw new UsageError(
    key.kind === 'keyfile'
      ? `keyfile=${key.path} is on the root filesystem, but --key-file puts the key on the config disk; use a relative keyfile= or drop it`
      : '--key-file conflicts with pass_enc=: give one key only',
  );
}

/** ext4 labels are at most 16 bytes; keep to characters that need no quoting anywhere. */
export function checkLabel(label: string): string {
  if (!/^[A-Za-z0-9_.+@:-]{1,16}$/.test(label)) {
    throw new UsageError(`--label must be 1 to 16 letters, digits or _.+@:- (an ext4 label), not \`${label}\``);
  }
  return label;
}

/** The file the disk carries: one assignment, single-quoted, read as data by oroot. */
export function configFileText(value: string): string {
  const quoted = `'${value.replaceAll("'", `'\\''`)}'`;
  return [
    '# overlayroot configuration written by `oroot cfgdisk`.',
    '# oroot reads this file as data and never runs it.',
    `overlayroot=${quoted}`,
    '',
  ].join('\n');
}

async function createImageFile(file: string, sizeBytes: number): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.truncate(sizeBytes);
  } finally {
    await handle.close();
  }
}

/** Move the finished image into place: link() fails if OUTPUT exists, rename() replaces it. */
async function publish(temporary: string, output: string, force: boolean): Promise<void> {
  if (force) return rename(temporary, output);
  try {
    await link(temporary, output);
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === 'EEXIST' ? alreadyExists(output) : error;
  }
}

function alreadyExists(output: string): UsageError {
  return new UsageError(`${output} already exists; refusing to overwrite it`, { hint: 'Remove it first or pass --force.' });
}

async function wipeStaging(staging: string, files: readonly { name: string; data: Buffer }[]): Promise<void> {
  for (const file of files) {
    const target = path.join(staging, file.name);
    // Overwrite before unlinking, so the key does not linger in the temp directory's blocks.
    await writeFile(target, Buffer.alloc(file.data.length), { flag: 'r+' }).catch(() => undefined);
  }
  await rm(staging, { recursive: true, force: true });
}

/** "4M", "512K", "1G", "4MiB" or plain bytes → bytes. */
export function parseSize(text: string, flag: string): number {
  const match = /^(\d{1,10})\s*([KMG]?)(i?B)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`${flag} must be a size such as 4M, 512K or 1G, not \`${text}\``);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2]!.toUpperCase()] ?? 1;
  return Number(match[1]) * unit;
}
