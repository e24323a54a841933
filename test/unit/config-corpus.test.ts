// The configuration corpus (test/fixtures/config/*.yaml): every documented overlayroot example,
// the real-world forms, the grammar's edge cases and oroot's own options, each with the expected
// parse or the exact error message. The files are data; this runner only replays them.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseOverlayrootValue } from '../../src/overlayroot/config/index.js';
import type { KeyPathContext } from '../../src/overlayroot/config/keyref.js';
import { BUILT_IN_LAYER, cmdlineLayer, fileLayer, mergeLayers, type Layer } from '../../src/overlayroot/config/sources.js';
import { summarize } from '../helpers/config-summary.js';
import { tempDir } from '../helpers/machine.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/config');
const load = <T>(name: string): T[] => yaml.load(readFileSync(path.join(fixtures, name), 'utf8')) as T[];

interface Expectation {
  error?: string;
  hint?: string;
  expect?: Record<string, unknown>;
  valueError?: string;
}
interface ValueCase extends Expectation {
  name: string;
  value: string;
  source?: string;
  keys?: 'cmdline' | 'root' | 'initramfs' | 'cfgdisk';
}
interface FileCase extends Expectation {
  name: string;
  text: string;
  file?: string;
}
interface CmdlineCase extends Expectation {
  name: string;
  cmdline: string;
}

const KEY_CONTEXTS: Record<NonNullable<ValueCase['keys']>, KeyPathContext> = {
  cmdline: { origin: 'cmdline' },
  root: { origin: 'root', dir: '/etc' },
  initramfs: { origin: 'initramfs', dir: '/conf/conf.d' },
  cfgdisk: { origin: 'cfgdisk', dir: '/' },
};

function caught(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError, but parsing succeeded');
}

function expectError(run: () => unknown, message: string, hint?: string): void {
  const error = caught(run);
  expect(error.message).toBe(message);
  if (hint !== undefined) expect(error.hint).toBe(hint);
}

/** The variables after one layer, plus the parse of the resulting value when the case asks. */
function checkLayer(layer: Layer, c: Expectation): void {
  const merged = mergeLayers([BUILT_IN_LAYER, layer]);
  const { overlayroot, overlayroot_cfgdisk } = merged;
  const { mode, valueWarnings, overlayrootSource, cfgdiskSource, warnings, ...variables } = c.expect ?? {};
  expect({ overlayroot: overlayroot.value, overlayroot_cfgdisk: overlayroot_cfgdisk.value }).toMatchObject(variables);
  if (overlayrootSource !== undefined) expect(overlayroot.source).toBe(overlayrootSource);
  if (cfgdiskSource !== undefined) expect(overlayroot_cfgdisk.source).toBe(cfgdiskSource);
  if (warnings !== undefined) expect(layer.warnings).toEqual(warnings);
  const parse = () => parseOverlayrootValue(overlayroot.value, overlayroot.source, overlayroot.keys);
  if (c.valueError !== undefined) expectError(parse, c.valueError);
  if (mode !== undefined) expect(parse().mode).toBe(mode);
  if (valueWarnings !== undefined) expect(parse().warnings).toEqual(valueWarnings);
}

describe('overlayroot= values', () => {
  const cases = load<ValueCase>('values.yaml');
  it('has the corpus the issue asks for', () => expect(cases.length).toBeGreaterThanOrEqual(100));
  for (const c of cases) {
    it(c.name, () => {
      const run = () => parseOverlayrootValue(c.value, c.source ?? 'kernel cmdline', KEY_CONTEXTS[c.keys ?? 'cmdline']);
      if (c.error !== undefined) return expectError(run, c.error, c.hint);
      const summary = summarize(run());
      expect(summary).toMatchObject(c.expect ?? {});
      // A passphrase never reaches the value or a warning.
      if (typeof summary.passphrase === 'string') {
        expect(JSON.stringify([summary.value, summary.warnings])).not.toContain(`pass=${summary.passphrase}`);
      }
    });
  }
});

describe('config files read as data', () => {
  const { dir, cleanup } = tempDir('oroot-corpus-');
  afterAll(cleanup);
  const cases = load<FileCase>('files.yaml');
  for (const [index, c] of cases.entries()) {
    it(c.name, () => {
      // Cases that would run shell code name a marker file; it must never appear.
      const marker = path.join(dir, `marker-${index}`);
      const text = c.text.replaceAll('{marker}', marker);
      const error = c.error?.replaceAll('{marker}', marker);
      const layer = () => fileLayer(text, c.file ?? '/etc/overlayroot.conf', { origin: 'root', dir: '/etc' });
      if (error !== undefined) expectError(layer, error, c.hint);
      else checkLayer(layer(), c);
      expect(existsSync(marker)).toBe(false);
    });
  }
});

describe('kernel command lines', () => {
  for (const c of load<CmdlineCase>('cmdline.yaml')) {
    it(c.name, () => checkLayer(cmdlineLayer(c.cmdline), c));
  }
});
