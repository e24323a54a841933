// Config disks for the guest, made by our own `oroot cfgdisk` (the built CLI), as an operator would.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../../helpers/cli.js';

/** Write a fresh 64-byte random key file (0600) and return its path. */
export function newKeyFile(dir: string, name: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, randomBytes(64), { mode: 0o600 });
  return file;
}

/** An OROOTCFG disk image whose overlayroot.conf says `config`, with the key file stored on it. */
export async function configDisk(file: string, config: string, keyFile?: string): Promise<string> {
  const result = await runCli(['cfgdisk', '--output', file, '--force', '--config', config, ...(keyFile ? ['--key-file', keyFile] : [])]);
  if (result.exitCode !== 0) throw new Error(`oroot cfgdisk failed (${result.exitCode}): ${result.stderr}`);
  return file;
}

/** The kernel command line word that makes the boot read the config disk. */
export const CFGDISK_WORD = 'overlayroot_cfgdisk=LABEL=OROOTCFG';
