// Device specifications as users write them (dev=…, overlayroot_cfgdisk=…) and the node udev
// would create for them. overlayroot knows LABEL=, UUID=, /dev/… and bare names; we add
// PARTUUID= and PARTLABEL=, and refuse anything that would silently become a nonexistent path.
import path from 'node:path';
import { InputError } from '../../errors.js';
import type { DeviceSpec } from './types.js';

const TAGS = {
  LABEL: { kind: 'label', dir: '/dev/disk/by-label' },
  UUID: { kind: 'uuid', dir: '/dev/disk/by-uuid' },
  PARTUUID: { kind: 'partuuid', dir: '/dev/disk/by-partuuid' },
  PARTLABEL: { kind: 'partlabel', dir: '/dev/disk/by-partlabel' },
} as const;
type Tag = keyof typeof TAGS;
const TAG_NAMES = Object.keys(TAGS) as Tag[];
const FORMS = 'LABEL=…, UUID=…, PARTUUID=…, PARTLABEL=…, /dev/… or a name under /dev such as vdb';

/** Parse a device spec; `source` and `what` name it in errors ("kernel cmdline", "dev"). */
export function parseDeviceSpec(spec: string, source: string, what: string): DeviceSpec {
  const fail = (problem: string, hint?: string): never => {
    throw new InputError(source, `${what}=${spec}: ${problem}`, { hint: hint ?? `Use ${FORMS}.` });
  };
  if (spec === '') fail('no device given');
  if (/[\0-\x1f\x7f]/.test(spec)) fail('contains control characters');
  if (spec.length > 1024) fail('is too long');

  const eq = spec.indexOf('=');
  if (eq > 0) {
    const tag = spec.slice(0, eq);
    const value = spec.slice(eq + 1);
    if (!isTag(tag)) {
      const upper = tag.toUpperCase();
      if (isTag(upper)) fail(`write the tag in capitals, ${upper}=`);
      fail(`\`${tag}=\` is not a device tag oroot knows`);
    }
    if (value === '') fail(`empty ${tag}`);
    const { kind, dir } = TAGS[tag as Tag];
    return { spec, kind, value, path: `${dir}/${encodeUdevName(value)}` };
  }

  if (/\s/.test(spec)) fail('a device path cannot contain whitespace');
  const devPath = spec.startsWith('/') ? spec : `/dev/${spec}`;
  if (!devPath.startsWith('/dev/')) fail('a device path must be under /dev');
  const segments = devPath.split('/');
  if (segments.includes('..') || segments.includes('.')) fail('`.` and `..` are not allowed in a device path');
  const normalized = path.posix.normalize(devPath);
  if (normalized === '/dev/' || normalized === '/dev' || normalized.endsWith('/')) fail('names a directory, not a device');
  return { spec, kind: 'path', value: normalized, path: normalized };
}

function isTag(tag: string): tag is Tag {
  return (TAG_NAMES as string[]).includes(tag);
}

/**
 * The name udev (through blkid's encoding) gives a label in /dev/disk/by-label: bytes outside
 * [0-9A-Za-z#+-.:=@_] and outside valid UTF-8 become \xNN, so "a/b" is "a\x2fb".
 */
export function encodeUdevName(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code > 0x7f && char !== '\ufffd') out += char;
    else if (/[0-9A-Za-z#+\-.:=@_]/.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}
