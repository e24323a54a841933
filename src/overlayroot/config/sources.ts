// The six configuration sources as layers, lowest precedence first (overlayroot.md §2.1):
//   built-in < initramfs /conf/conf.d/overlayroot < <root>/etc/overlayroot.conf
//   < <root>/etc/overlayroot.local.conf < config disk < kernel cmdline
// A layer overrides a variable only if it SETS it (an empty value counts as set and disables).
import { readFileSync, statSync, type Stats } from 'node:fs';
import { InputError } from '../../errors.js';
import type { Host } from '../../system/host.js';
import { cmdlineVariables } from './cmdline.js';
import type { KeyPathContext } from './keyref.js';
import { parseShellVars } from './shellvars.js';
import { closestName } from './suggest.js';
import type { SourceName } from './types.js';

export const VARIABLES = ['overlayroot', 'overlayroot_cfgdisk'] as const;
export type VariableName = (typeof VARIABLES)[number];

export interface Setting {
  readonly value: string;
  readonly source: SourceName;
  /** What key paths in this value are relative to (the file that set it). */
  readonly keys: KeyPathContext;
}

export interface Layer {
  readonly name: string;
  readonly settings: Partial<Record<VariableName, Setting>>;
  readonly warnings: readonly string[];
}

export type Settings = Record<VariableName, Setting>;

export const BUILT_IN_LAYER: Layer = {
  name: 'built-in default',
  settings: {
    overlayroot: { value: '', source: 'built-in default', keys: { origin: 'cmdline' } },
    overlayroot_cfgdisk: { value: 'disabled', source: 'built-in default', keys: { origin: 'cmdline' } },
  },
  warnings: [],
};

/** Later layers win, variable by variable. */
export function mergeLayers(layers: readonly Layer[]): Settings {
  const merged: Partial<Settings> = {};
  for (const layer of layers) Object.assign(merged, layer.settings);
  for (const name of VARIABLES) if (!merged[name]) merged[name] = BUILT_IN_LAYER.settings[name];
  return merged as Settings;
}

/** A layer from a shell-style file's text; `name` is how messages call the file. */
export function fileLayer(text: string, name: string, keys: KeyPathContext): Layer {
  const settings: Partial<Record<VariableName, Setting>> = {};
  const warnings: string[] = [];
  for (const { name: variable, value, line } of parseShellVars(text, name)) {
    if ((VARIABLES as readonly string[]).includes(variable)) {
      settings[variable as VariableName] = { value, source: `${name}:${line}`, keys };
      continue;
    }
    const near = closestName(variable, VARIABLES);
    if (near) {
      // A misspelt variable would silently leave the overlay off (or the config disk unsearched).
      throw new InputError(`${name}:${line}`, `unknown variable \`${variable}\` (did you mean \`${near}\`?)`);
    }
    warnings.push(`${name}:${line}: ignoring variable \`${variable}\` (oroot reads only ${VARIABLES.join(' and ')})`);
  }
  return { name, settings, warnings };
}

export function cmdlineLayer(cmdline: string): Layer {
  const { assignments, warnings } = cmdlineVariables(cmdline, VARIABLES);
  const settings: Partial<Record<VariableName, Setting>> = {};
  for (const { name, value } of assignments) settings[name as VariableName] = { value, source: 'kernel cmdline', keys: { origin: 'cmdline' } };
  return { name: 'kernel cmdline', settings, warnings };
}

const MAX_FILE_BYTES = 256 * 1024;

/** Read a config file through the host; a missing file is an empty layer, as in overlayroot. */
export async function readFileLayer(host: Host, machinePath: string, keys: KeyPathContext): Promise<Layer | undefined> {
  const file = host.path(machinePath);
  const cannotRead = (error: NodeJS.ErrnoException) => new InputError(machinePath, `cannot be read (${error.code ?? error.message})`);
  // Read synchronously: a few small files, and at boot, under emulation, every asynchronous read
  // is a costly round trip through libuv's thread pool.
  let info: Stats | undefined;
  try {
    info = statSync(file, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw cannotRead(error as NodeJS.ErrnoException);
  }
  if (!info) return undefined;
  if (!info.isFile()) {
    return { name: machinePath, settings: {}, warnings: [`${machinePath}: not a regular file; ignored`] };
  }
  if (info.size > MAX_FILE_BYTES) throw new InputError(machinePath, `is larger than ${MAX_FILE_BYTES} bytes; that is not an overlayroot config file`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw cannotRead(error as NodeJS.ErrnoException);
  }
  return fileLayer(text, machinePath, keys);
}
