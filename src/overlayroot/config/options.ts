// Every option the overlayroot= value may carry: which modes take it and how its value is
// checked. overlayroot ignores unknown options and options of other modes silently; we refuse
// both before anything happens, because a misplaced option is always a misunderstanding
// (`pass=` in device mode would otherwise write clear text where the user expects encryption).
import type { OverlayMode } from './types.js';
import { filePath, integer, mapName, oneOf, tmpfsSize, upperDir, zeroOrOne, type Check } from './values.js';

export interface OptionDef {
  readonly modes: readonly OverlayMode[];
  /** Part of overlayroot's own grammar (documented as such), or an oroot addition. */
  readonly origin: 'overlayroot' | 'oroot';
  readonly check: Check<unknown>;
}

const ALL: readonly OverlayMode[] = ['tmpfs', 'device', 'crypt'];
const BLOCK: readonly OverlayMode[] = ['device', 'crypt'];
const CRYPT: readonly OverlayMode[] = ['crypt'];
const keepAsText: Check<string | undefined> = (value) => value;
const rawOrBase64 = oneOf(['raw', 'base64'] as const);

/** debug: overlayroot turns it on for any value but 0, including a bare `debug`. */
const debugFlag: Check<boolean> = (value, key, source) => (value === undefined ? true : zeroOrOne(value, key, source));

export const OPTIONS: Readonly<Record<string, OptionDef>> = {
  // overlayroot's options (overlayroot.md §2.4), same names and defaults.
  dev: { modes: BLOCK, origin: 'overlayroot', check: keepAsText }, // parsed by devspec.ts
  timeout: { modes: BLOCK, origin: 'overlayroot', check: integer(0, 3600, 'seconds') },
  pass: { modes: CRYPT, origin: 'overlayroot', check: keepAsText }, // a secret: never echoed
  mapname: { modes: CRYPT, origin: 'overlayroot', check: mapName },
  fstype: { modes: CRYPT, origin: 'overlayroot', check: oneOf(['ext4', 'ext3', 'ext2'] as const, 'must be ext4, ext3 or ext2: the upper filesystem is made with mke2fs') },
  mkfs: { modes: CRYPT, origin: 'overlayroot', check: integer(0, 2, 'modes (0 never, 1 blank only, 2 always)') },
  swap: { modes: ALL, origin: 'overlayroot', check: zeroOrOne },
  recurse: { modes: ALL, origin: 'overlayroot', check: zeroOrOne },
  debug: { modes: ALL, origin: 'overlayroot', check: debugFlag },
  dir: { modes: ALL, origin: 'overlayroot', check: upperDir },
  driver: { modes: ALL, origin: 'overlayroot', check: oneOf(['auto', 'overlay', 'overlayfs'] as const, { aufs: 'is not supported: oroot mounts overlayfs only' }) },
  // oroot's additions (docs/configuration.md).
  failure: { modes: ALL, origin: 'oroot', check: oneOf(['tmpfs', 'halt', 'open'] as const) },
  size: { modes: ALL, origin: 'oroot', check: tmpfsSize },
  profile: { modes: CRYPT, origin: 'oroot', check: oneOf(['ephemeral', 'persistent', 'plain', 'compat'] as const) },
  keep_key: { modes: CRYPT, origin: 'oroot', check: zeroOrOne },
  keyfile: { modes: CRYPT, origin: 'oroot', check: filePath },
  keyfile_format: { modes: CRYPT, origin: 'oroot', check: rawOrBase64 },
  pass_enc: { modes: CRYPT, origin: 'oroot', check: keepAsText }, // checked in keyref.ts
  pass_iv: { modes: CRYPT, origin: 'oroot', check: keepAsText },
  masterkey: { modes: CRYPT, origin: 'oroot', check: filePath },
  masterkey_format: { modes: CRYPT, origin: 'oroot', check: rawOrBase64 },
};

/**
 * overlayroot options we accept and ignore, with a warning (like systemd's list of crypttab
 * options it does not handle). `path` is declared by overlayroot's device mode but never used.
 */
export const IGNORED_OPTIONS: Readonly<Record<string, { readonly modes: readonly OverlayMode[]; readonly why: string }>> = {
  path: { modes: ['device'], why: 'overlayroot declares it for device mode but never uses it' },
};

export const OPTION_NAMES: readonly string[] = [...Object.keys(OPTIONS), ...Object.keys(IGNORED_OPTIONS)];

/** Built-in defaults, overlayroot's where it has one. */
export const DEFAULTS = {
  dir: '/overlay',
  swap: false,
  recurse: true,
  debug: false,
  driver: 'auto',
  failure: 'tmpfs',
  timeout: 0,
  mapname: 'secure',
  fstype: 'ext4',
  mkfs: 1,
  keepKey: false,
} as const;

/** Every overlayroot option, old and new, for documentation and tests. */
export function optionsFor(mode: OverlayMode): string[] {
  return Object.entries(OPTIONS)
    .filter(([, def]) => def.modes.includes(mode))
    .map(([name]) => name);
}
