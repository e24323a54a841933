// The overlayroot= value, split into a mode and its raw options (overlayroot.md §2.4):
//   "" | disabled            → off
//   tmpfs | tmpfs:OPTS       → tmpfs
//   /dev/X[,OPTS]            → device, with dev=/dev/X first
//   device:OPTS | crypt:OPTS → device | crypt
//   OPTS := [KEY[=VALUE] {, KEY[=VALUE]}] [,]   KEY := [0-9A-Za-z_]+   VALUE := all after the first "="
// Meaning and validation of each option live in options.ts; this file only splits.
import { InputError } from '../../errors.js';
import type { OverlayMode } from './types.js';
import { redactSecrets } from './redact.js';

export interface RawOption {
  readonly key: string;
  /** undefined for a bare flag without "=". */
  readonly value: string | undefined;
}

export type SplitValue = { readonly mode: 'disabled' } | { readonly mode: OverlayMode; readonly options: readonly RawOption[] };

const KEY = /^[0-9A-Za-z_]+$/;
const FORMS = 'tmpfs[:OPTIONS], device:dev=DEVICE[,OPTIONS], /dev/DEVICE[,OPTIONS], crypt:dev=DEVICE[,OPTIONS], disabled or nothing';

export function splitOverlayrootValue(value: string, source: string): SplitValue {
  if (value === '' || value === 'disabled') return { mode: 'disabled' };
  if (value === 'tmpfs') return { mode: 'tmpfs', options: [] };
  if (value.startsWith('tmpfs:')) return { mode: 'tmpfs', options: splitOptions(value.slice(6), source) };
  if (value.startsWith('device:')) return { mode: 'device', options: splitOptions(value.slice(7), source) };
  if (value.startsWith('crypt:')) return { mode: 'crypt', options: splitOptions(value.slice(6), source) };
  // overlayroot turns "/dev/vdb,timeout=30" into "dev=/dev/vdb,timeout=30".
  if (value.startsWith('/dev/')) return { mode: 'device', options: splitOptions(`dev=${value}`, source) };
  throw new InputError(source, `invalid value for overlayroot: \`${redactSecrets(value)}\``, { hint: hintFor(value) });
}

function splitOptions(text: string, source: string): RawOption[] {
  const fields = text.split(',');
  if (fields.length > 1 && fields[fields.length - 1] === '') fields.pop(); // one trailing comma is fine
  if (fields.length === 1 && fields[0] === '') return [];
  return fields.map((field, index) => {
    if (field === '') {
      throw new InputError(source, `empty option at position ${index + 1} in \`${redactSecrets(text)}\``, {
        hint: 'Remove the extra comma.',
      });
    }
    const eq = field.indexOf('=');
    const key = eq < 0 ? field : field.slice(0, eq);
    if (!KEY.test(key)) {
      throw new InputError(source, `invalid option name \`${redactSecrets(key)}\` (names are letters, digits and _)`, {
        hint: /\s/.test(key) ? 'Remove the spaces: options are KEY=VALUE separated by commas only.' : 'Options are KEY=VALUE separated by commas.',
      });
    }
    return { key, value: eq < 0 ? undefined : field.slice(eq + 1) };
  });
}

function hintFor(value: string): string {
  const lower = value.toLowerCase();
  for (const mode of ['tmpfs', 'device', 'crypt']) {
    if (value === mode) return `${mode} needs options after a colon, e.g. ${mode}:dev=/dev/vdb.`;
    if (value.startsWith(mode)) return `Follow the mode with a colon: ${mode}:${redactSecrets(value.slice(mode.length).replace(/^[\s,;=]+/, ''))}.`;
    if (lower.startsWith(mode)) {
      return `Write the mode in lower case and follow it with a colon, e.g. ${mode}:${mode === 'tmpfs' ? 'swap=1' : 'dev=/dev/vdb'}.`;
    }
  }
  if (/^(LABEL|UUID|PARTUUID|PARTLABEL)=/i.test(value)) return `A device tag needs the device mode: device:dev=${redactSecrets(value)}.`;
  if (/^(0|off|no|none|false)$/i.test(value)) return 'To turn the overlay off write overlayroot= or overlayroot=disabled.';
  return `Valid forms: ${FORMS}.`;
}
