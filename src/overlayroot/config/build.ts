// overlayroot= value → validated OverlayConfig. Every option is checked here, together, before
// the boot touches anything (overlayroot checks swap/recurse/driver only after formatting: W14).
import { InputError } from '../../errors.js';
import type { CommonOptions, CryptOptions, DeviceOptions, OverlayConfig, OverlayMode, SourceName } from './types.js';
import { splitOverlayrootValue, type RawOption } from './grammar.js';
import { DEFAULTS, IGNORED_OPTIONS, OPTIONS, OPTION_NAMES, optionsFor } from './options.js';
import { parseDeviceSpec } from './devspec.js';
import { buildKeyRef, CMDLINE_KEYS, type KeyPathContext } from './keyref.js';
import { redactSecrets } from './redact.js';
import { didYouMean } from './suggest.js';

export const BUILT_IN = 'built-in default';

/** Parse and validate one overlayroot= value. Pure; throws InputError naming `source`. */
export function parseOverlayrootValue(value: string, source: SourceName, keys: KeyPathContext = CMDLINE_KEYS): OverlayConfig {
  const split = splitOverlayrootValue(value, source);
  const base = { source, value: redactSecrets(value) };
  if (split.mode === 'disabled') return { ...base, mode: 'disabled', warnings: [], origins: { overlayroot: source } };

  const { mode } = split;
  const { given, warnings } = checkOptions(mode, split.options, source);
  const origins: Record<string, SourceName> = { overlayroot: source };
  for (const key of Object.keys(given)) origins[key] = source;
  const pick = <T>(key: string, fallback: T): T => {
    if (key in given) return given[key] as T;
    origins[key] = BUILT_IN;
    return fallback;
  };
  const common: CommonOptions = {
    dir: pick('dir', DEFAULTS.dir),
    swap: pick('swap', DEFAULTS.swap),
    recurse: pick('recurse', DEFAULTS.recurse),
    debug: pick('debug', DEFAULTS.debug),
    driver: pick('driver', DEFAULTS.driver),
    failure: pick('failure', DEFAULTS.failure),
    tmpfsSize: pick<string | undefined>('size', undefined),
  };
  if (common.swap && mode !== 'device') {
    warnings.push(`${source}: swap=1 leaves swap on: pages of the ${mode === 'tmpfs' ? 'tmpfs upper layer' : 'upper layer and its key'} may be written to a swap device in clear text`);
  }
  if (mode === 'tmpfs') return { ...base, mode, common, warnings, origins };

  if (given.dev === undefined) {
    throw new InputError(source, `${mode} mode needs dev= (the backing device)`, { hint: `For example ${mode}:dev=/dev/vdb.` });
  }
  const device: DeviceOptions = {
    device: parseDeviceSpec(given.dev as string, source, 'dev'),
    timeoutSec: pick('timeout', DEFAULTS.timeout),
  };
  if (mode === 'device') return { ...base, mode, common, device, warnings, origins };

  const crypt = cryptOptions(given, device, keys, source, pick, warnings);
  return { ...base, mode, common, crypt, warnings, origins };
}

function checkOptions(mode: OverlayMode, options: readonly RawOption[], source: string) {
  const given: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const { key, value } of options) {
    const def = OPTIONS[key];
    const ignored = IGNORED_OPTIONS[key];
    const modes = def?.modes ?? ignored?.modes;
    if (!modes) {
      throw new InputError(source, `unknown option \`${key}\`${didYouMean(key, OPTION_NAMES)}`, {
        hint: `${mode} mode takes: ${optionsFor(mode).join(', ')}.`,
      });
    }
    if (!modes.includes(mode)) {
      throw new InputError(source, `\`${key}\` applies to ${modes.join(' and ')} mode only, not ${mode}`, {
        hint: `Remove it, or use ${modes.map((m) => `${m}:`).join(' or ')} (${mode} mode takes: ${optionsFor(mode).join(', ')}).`,
      });
    }
    if (!def) {
      warnings.push(`${source}: ignoring \`${key}\`: ${ignored!.why}`);
      continue;
    }
    if (key in given) warnings.push(`${source}: \`${key}\` is given more than once; the last one wins`);
    given[key] = def.check(key === 'pass' ? (value ?? '') : value, key, source);
  }
  return { given, warnings };
}

function cryptOptions(
  given: Record<string, unknown>,
  device: DeviceOptions,
  keys: KeyPathContext,
  source: string,
  pick: <T>(key: string, fallback: T) => T,
  warnings: string[],
): CryptOptions {
  const key = buildKeyRef(
    {
      pass: given.pass as string | undefined,
      keyfile: given.keyfile as string | undefined,
      keyfileFormat: given.keyfile_format as 'raw' | 'base64' | undefined,
      passEnc: given.pass_enc as string | undefined,
      passIv: given.pass_iv as string | undefined,
      masterkey: given.masterkey as string | undefined,
      masterkeyFormat: given.masterkey_format as 'raw' | 'base64' | undefined,
    },
    keys,
    source,
  );
  const generated = key.kind === 'generated';
  const profile = pick<CryptOptions['profile']>('profile', generated ? 'ephemeral' : 'persistent');
  const mkfs = pick<0 | 1 | 2>('mkfs', DEFAULTS.mkfs);
  const keepKey = pick<boolean>('keep_key', DEFAULTS.keepKey);
  if (!generated && (profile === 'ephemeral' || profile === 'plain')) {
    throw new InputError(source, `profile=${profile} is for a key generated at each boot, but a key is given (${key.kind})`, {
      hint: 'Use profile=persistent (the default with a key), or drop the key for an ephemeral volume.',
    });
  }
  if (!generated && keepKey) {
    throw new InputError(source, 'keep_key=1 keeps a generated key; with a given key there is nothing to keep', { hint: 'Remove keep_key=1.' });
  }
  if (generated && mkfs === 0) {
    throw new InputError(source, 'mkfs=0 needs a key (keyfile=, pass_enc= or pass=): a key generated at boot can only open a volume it formats', {
      hint: 'Give a key, or leave mkfs at its default (1).',
    });
  }
  if (key.kind === 'passphrase') {
    const where = source === 'kernel cmdline' ? ' (and /proc/cmdline is readable by every local user)' : '';
    warnings.push(`${source}: pass= keeps the passphrase in clear text${where}; prefer keyfile= or pass_enc= (docs/configuration.md)`);
  }
  return {
    ...device,
    mapname: pick('mapname', DEFAULTS.mapname),
    fstype: pick('fstype', DEFAULTS.fstype),
    mkfs,
    profile,
    key,
    keepKey,
  };
}
