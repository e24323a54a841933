// Property tests: whatever bytes or option soups reach the config reader, it either returns a
// config or throws InputError (never another error), and never names a device that the input
// did not name. A config file written by `oroot cfgdisk` always reads back unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseOverlayrootValue, parseShellVars, tokenizeCmdline } from '../../src/overlayroot/config/index.js';
import { cmdlineLayer, fileLayer, mergeLayers, BUILT_IN_LAYER } from '../../src/overlayroot/config/sources.js';
import { configFileText } from '../../src/overlayroot/cfgdisk-image.js';
import type { OverlayConfig } from '../../src/overlayroot/config/types.js';

const RUNS = { numRuns: 3000 };

/** Run `parse`; anything thrown must be an InputError. */
function onlyInputErrors<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    expect(error.message.length).toBeGreaterThan(0);
    return undefined;
  }
}

function deviceSpecOf(config: OverlayConfig | undefined): string | undefined {
  if (config?.mode === 'device') return config.device.device.spec;
  if (config?.mode === 'crypt') return config.crypt.device.spec;
  return undefined;
}

const bytesAsText = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('utf8'));
const anyText = fc.oneof(bytesAsText, fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme-ascii', maxLength: 200 }));

const KEYS = ['dev', 'timeout', 'pass', 'mapname', 'fstype', 'mkfs', 'swap', 'recurse', 'debug', 'dir', 'driver', 'path', 'failure', 'size', 'profile', 'keep_key', 'keyfile', 'keyfile_format', 'pass_enc', 'pass_iv', 'masterkey', 'masterkey_format', 'recurce', 'Dev', 'x'];
const VALUES = ['', '0', '1', '2', '-1', '30', '/dev/vdb', 'vdb', 'LABEL=data', 'UUID=1-2', 'PARTUUID=ab', 'PARTLABEL=p', 'LABEL=', '/dev/../x', '/overlay', '/', 'ext4', 'xfs', 'overlay', 'aufs', 'tmpfs', 'halt', 'plain', '50%', '512m', 'raw', 'base64', 'AAECAwQFBgcICQoLDA0ODw==', 'k.key', '../k', "it's", '$(x)'];
// Mostly known names and plausible values (so many soups are valid), sometimes anything at all.
const mostly = <T>(known: fc.Arbitrary<T>, other: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: known }, { weight: 1, arbitrary: other });
const option = fc.tuple(mostly(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), fc.option(mostly(fc.constantFrom(...VALUES), fc.string({ maxLength: 12 })), { nil: undefined, freq: 8 }));
const optionSoup = fc
  .tuple(fc.constantFrom('tmpfs:', 'device:', 'crypt:', '/dev/xvdb,', 'tmpfs', 'disabled', ''), fc.array(option, { maxLength: 5 }), fc.boolean())
  .map(([mode, options, trailingComma]) => `${mode}${options.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join(',')}${trailingComma ? ',' : ''}`);
/** Values that name a device in every way the grammar allows, with random names. */
const deviceSoup = fc
  .tuple(
    fc.constantFrom('device:dev=', 'crypt:dev=', '/dev/'),
    fc.constantFrom('', '/dev/', 'LABEL=', 'UUID=', 'PARTUUID=', 'PARTLABEL=', 'label=', 'ID='),
    fc.string({ unit: fc.constantFrom(...'abz09-_./=: \\x'), maxLength: 12 }),
    fc.constantFrom('', ',timeout=5', ',mkfs=2', ',recurse=0', ',dev=vdc'),
  )
  .map((parts) => parts.join(''));

describe('the overlayroot= parser', () => {
  it('turns random text into a config or an InputError', () => {
    fc.assert(fc.property(anyText, (value) => void onlyInputErrors(() => parseOverlayrootValue(value, 'fuzz'))), RUNS);
  });

  it('never yields a device the option soup did not name', () => {
    let devices = 0;
    fc.assert(
      fc.property(fc.oneof(optionSoup, deviceSoup), (value) => {
        const config = onlyInputErrors(() => parseOverlayrootValue(value, 'fuzz', { origin: 'root', dir: '/etc' }));
        const spec = deviceSpecOf(config);
        if (spec !== undefined) {
          devices++;
          expect(value).toContain(spec);
        }
        for (const [, shown] of config?.value.matchAll(/(?:^|[^0-9A-Za-z_])(?:pass|pass_enc)=([^,]*)/g) ?? []) expect(shown).toBe('<redacted>');
      }),
      RUNS,
    );
    expect(devices).toBeGreaterThan(300); // the soup does reach valid device configs
  });

  it('never shows a pass= value in a message, a warning or the value', () => {
    const secret = fc.string({ unit: fc.constantFrom(...'abcXYZ019 .\'"$'), minLength: 8, maxLength: 16 }).filter((v) => !/^\s|\s$/.test(v));
    const withPass = fc.tuple(optionSoup, secret, fc.nat(8)).map(([soup, pass, at]) => {
      const parts = soup.split(',');
      parts.splice(Math.min(at, parts.length), 0, `pass=${pass}`);
      return { value: parts.join(','), pass };
    });
    fc.assert(
      fc.property(withPass, ({ value, pass }) => {
        let shown: string;
        try {
          const config = parseOverlayrootValue(value, 'fuzz');
          shown = JSON.stringify([config.value, config.warnings]);
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          shown = `${error.message}\n${error.hint ?? ''}`;
        }
        expect(shown).not.toContain(pass);
      }),
      RUNS,
    );
  });

  it('accepts every soup that is made only of valid options for its mode', () => {
    const valid = fc
      .record({ swap: fc.constantFrom('0', '1'), recurse: fc.constantFrom('0', '1'), driver: fc.constantFrom('auto', 'overlay', 'overlayfs'), failure: fc.constantFrom('tmpfs', 'halt', 'open') })
      .chain((common) => fc.tuple(fc.constant(common), fc.constantFrom('tmpfs:', 'device:dev=/dev/vdb,', 'crypt:dev=LABEL=up,')));
    fc.assert(
      fc.property(valid, ([common, prefix]) => {
        const value = `${prefix}${Object.entries(common).map(([k, v]) => `${k}=${v}`).join(',')}`;
        const config = parseOverlayrootValue(value, 'fuzz');
        expect(config.mode === 'disabled' ? undefined : config.common.swap).toBe(common.swap === '1');
      }),
      { numRuns: 500 },
    );
  });
});

describe('the config file reader', () => {
  it('turns random bytes into assignments or an InputError naming file:line', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        try {
          parseShellVars(text, 'f');
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          expect((error as InputError).source).toMatch(/^f:\d+$/);
        }
      }),
      RUNS,
    );
  });

  it('and whole files go on to a config or an InputError', () => {
    const file = fc.tuple(fc.constantFrom('overlayroot=', 'overlayroot="', "overlayroot='", 'export overlayroot=', 'overlayroot_cfgdisk='), optionSoup, fc.constantFrom('', '"', "'", ' # c', '\n', ';')).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(file, anyText), (text) => {
        const layer = onlyInputErrors(() => fileLayer(text, '/etc/overlayroot.conf', { origin: 'root', dir: '/etc' }));
        if (!layer) return;
        const { overlayroot } = mergeLayers([BUILT_IN_LAYER, layer]);
        const spec = deviceSpecOf(onlyInputErrors(() => parseOverlayrootValue(overlayroot.value, overlayroot.source, overlayroot.keys)));
        // Quotes are removed from the text, so the device is looked for in the value read from it.
        if (spec !== undefined) expect(overlayroot.value).toContain(spec);
      }),
      RUNS,
    );
  });

  it('reads back exactly the value `oroot cfgdisk` writes, whatever it holds', () => {
    const value = fc.string({ unit: 'binary', maxLength: 80 }).filter((v) => !v.includes('\0') && !v.includes('\r'));
    fc.assert(
      fc.property(value, (v) => {
        expect(parseShellVars(configFileText(v), 'cfg')).toEqual([{ name: 'overlayroot', value: v, line: 3 }]);
      }),
      RUNS,
    );
  });
});

describe('the kernel cmdline reader', () => {
  it('never throws, and every token comes from the input', () => {
    fc.assert(
      fc.property(anyText, (cmdline) => {
        for (const token of tokenizeCmdline(cmdline)) {
          expect(cmdline).toContain(token.name);
          if (token.value !== undefined) expect(cmdline).toContain(token.value);
        }
        const { overlayroot } = mergeLayers([BUILT_IN_LAYER, cmdlineLayer(cmdline)]);
        const spec = deviceSpecOf(onlyInputErrors(() => parseOverlayrootValue(overlayroot.value, overlayroot.source)));
        if (spec !== undefined) expect(cmdline).toContain(spec);
      }),
      RUNS,
    );
  });
});
