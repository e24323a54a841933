// Validators for single option values. Each returns the typed value or throws an InputError
// that names the option, the bad value and the accepted range. Pure.
import path from 'node:path';
import { InputError } from '../../errors.js';

export type Check<T> = (value: string | undefined, key: string, source: string) => T;

export function fail(source: string, key: string, value: string | undefined, problem: string, hint?: string): never {
  const shown = value === undefined ? `\`${key}\`` : `\`${key}=${value}\``;
  throw new InputError(source, `${shown} ${problem}`, hint ? { hint } : undefined);
}

function needValue(value: string | undefined, key: string, source: string, accepted: string): string {
  if (value === undefined || value === '') fail(source, key, value, `needs a value: ${accepted}`);
  return value;
}

export const zeroOrOne: Check<boolean> = (value, key, source) => {
  const v = needValue(value, key, source, `${key}=0 or ${key}=1`);
  if (v === '0') return false;
  if (v === '1') return true;
  return fail(source, key, value, 'must be 0 or 1');
};

/** One of `choices`; `refuse` explains a refusal, for all values (a string) or for some. */
export function oneOf<T extends string>(choices: readonly T[], refuse: string | Record<string, string> = {}): Check<T> {
  const accepted = choices.join(', ');
  return (value, key, source) => {
    const v = needValue(value, key, source, `one of ${accepted}`);
    if ((choices as readonly string[]).includes(v)) return v as T;
    return fail(source, key, value, (typeof refuse === 'string' ? refuse : refuse[v]) ?? `must be one of ${accepted}`);
  };
}

export function integer(min: number, max: number, unit: string): Check<number> {
  return (value, key, source) => {
    const v = needValue(value, key, source, `a whole number of ${unit} from ${min} to ${max}`);
    const n = /^\d{1,9}$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) fail(source, key, value, `must be a whole number of ${unit} from ${min} to ${max}`);
    return n;
  };
}

/** dir=: the upper directory inside the backing filesystem. overlayroot breaks on dir=/ (W17). */
export const upperDir: Check<string> = (value, key, source) => {
  const v = needValue(value, key, source, 'an absolute directory such as /overlay');
  if (!v.startsWith('/')) fail(source, key, value, 'must be an absolute path such as /overlay');
  if (/[\s\0-\x1f\x7f:\\]/.test(v)) fail(source, key, value, 'must not contain whitespace, control characters, `:` or `\\` (they break the overlay mount options and fstab)');
  const segments = v.split('/').filter((s) => s !== '');
  if (segments.includes('..') || segments.includes('.')) fail(source, key, value, 'must not contain `.` or `..`');
  if (segments.length === 0) fail(source, key, value, 'must not be `/`: the work directory would land inside the upper directory', 'Use a subdirectory such as dir=/overlay (the default).');
  return `/${segments.join('/')}`;
};

/** A device-mapper name: /dev/mapper/<name>. */
export const mapName: Check<string> = (value, key, source) => {
  const v = needValue(value, key, source, 'a device-mapper name such as secure');
  if (!/^[A-Za-z0-9_+.-]{1,127}$/.test(v) || v === '.' || v === '..') {
    fail(source, key, value, 'must be 1 to 127 letters, digits or `_+.-` (it becomes /dev/mapper/NAME)');
  }
  return v;
};

/** tmpfs size= as tmpfs(5) takes it: bytes with an optional k/m/g/t/p/e suffix, or a percentage of RAM. */
export const tmpfsSize: Check<string> = (value, key, source) => {
  const v = needValue(value, key, source, 'a size such as 512m, 2g or 50%');
  const percent = /^(\d{1,3})%$/.exec(v);
  if (percent) {
    const n = Number(percent[1]);
    if (n < 1 || n > 100) fail(source, key, value, 'must be a percentage of RAM from 1% to 100%');
    return v;
  }
  const bytes = /^(\d{1,19})([kKmMgGtTpPeE]?)$/.exec(v);
  if (!bytes) fail(source, key, value, 'must be a size such as 512m, 2g or 50% (as tmpfs(5) takes it)');
  if (/^0+$/.test(bytes[1]!)) fail(source, key, value, 'would mean "no limit" to tmpfs', 'Leave size= out for the kernel default (half of RAM), or give a limit such as 50%.');
  return v;
};

/** A file name as written in an option (resolved against its base in keyref.ts). */
export const filePath: Check<string> = (value, key, source) => {
  const v = needValue(value, key, source, 'a file name');
  if (/[\0-\x1f\x7f]/.test(v)) fail(source, key, value, 'contains control characters');
  if (v.endsWith('/')) fail(source, key, value, 'names a directory, not a file');
  return path.posix.normalize(v);
};
