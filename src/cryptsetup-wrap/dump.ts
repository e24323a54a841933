// `cryptsetup luksDump` as typed data. LUKS2 gives JSON (--dump-json-metadata), which lacks the
// binary header's UUID and label: those come from header.ts. LUKS1 has only the text form.
// Parsers are pure and tested against outputs recorded from cryptsetup 2.6.1.
import { OrootError } from '../errors.js';

export type KeyslotPbkdf =
  | { readonly type: 'pbkdf2'; readonly hash: string; readonly iterations: number }
  | { readonly type: 'argon2id' | 'argon2i'; readonly time: number; readonly memoryKiB: number; readonly parallel: number };

export interface LuksKeyslot {
  readonly slot: number;
  readonly pbkdf: KeyslotPbkdf;
}

export interface LuksHeaderInfo {
  readonly type: 'luks1' | 'luks2';
  readonly uuid: string;
  readonly label: string | undefined;
  /** dm-crypt cipher spec, e.g. "aes-xts-plain64". */
  readonly cipher: string;
  /** Volume key size in bits (512 for AES-256-XTS); undefined for a LUKS2 header without key slots. */
  readonly keyBits: number | undefined;
  readonly sectorSize: number;
  /** Where the encrypted data starts. */
  readonly dataOffsetBytes: number;
  /** The first slot's key derivation: what opening the volume costs. */
  readonly pbkdf: KeyslotPbkdf | undefined;
  readonly keyslots: readonly LuksKeyslot[];
}

class DumpFormatError extends OrootError {
  override name = 'DumpFormatError';
  constructor(source: string, problem: string) {
    super(`cannot read ${source}: ${problem}`, undefined, {
      hint: 'cryptsetup printed something oroot does not understand; please report it with `cryptsetup --version`.',
    });
  }
}

type Json = Record<string, unknown>;

/** Parse `cryptsetup luksDump --dump-json-metadata` (LUKS2). */
export function parseLuks2Json(text: string, binaryHeader: { uuid: string; label?: string }): LuksHeaderInfo {
  const source = 'LUKS2 metadata (luksDump --dump-json-metadata)';
  let root: Json;
  try {
    root = object(JSON.parse(text), source, 'the document');
  } catch (error) {
    if (error instanceof DumpFormatError) throw error;
    throw new DumpFormatError(source, `not JSON (${(error as Error).message})`);
  }
  const keyslotsJson = object(root.keyslots, source, 'keyslots');
  const segments = object(root.segments, source, 'segments');
  const segment = object(segments['0'] ?? Object.values(segments)[0], source, 'segments.0');

  const keyslots = Object.entries(keyslotsJson)
    .map(([slot, value]) => ({ slot: Number(slot), json: object(value, source, `keyslots.${slot}`) }))
    .sort((a, b) => a.slot - b.slot);
  const firstKeySize = keyslots[0]?.json.key_size;
  return {
    type: 'luks2',
    uuid: binaryHeader.uuid,
    label: binaryHeader.label || undefined,
    cipher: string(segment.encryption, source, 'segments.0.encryption'),
    keyBits: typeof firstKeySize === 'number' ? firstKeySize * 8 : undefined,
    sectorSize: number(segment.sector_size, source, 'segments.0.sector_size'),
    dataOffsetBytes: number(segment.offset, source, 'segments.0.offset'),
    pbkdf: keyslots[0] && luks2Kdf(keyslots[0].json, source, keyslots[0].slot),
    keyslots: keyslots.map(({ slot, json }) => ({ slot, pbkdf: luks2Kdf(json, source, slot) })),
  };
}

function luks2Kdf(keyslot: Json, source: string, slot: number): KeyslotPbkdf {
  const kdf = object(keyslot.kdf, source, `keyslots.${slot}.kdf`);
  const type = string(kdf.type, source, `keyslots.${slot}.kdf.type`);
  const field = (name: string): number => number(kdf[name], source, `keyslots.${slot}.kdf.${name}`);
  if (type === 'pbkdf2') return { type, hash: string(kdf.hash, source, `keyslots.${slot}.kdf.hash`), iterations: field('iterations') };
  if (type === 'argon2id' || type === 'argon2i') return { type, time: field('time'), memoryKiB: field('memory'), parallel: field('cpus') };
  throw new DumpFormatError(source, `keyslots.${slot}.kdf.type "${type}" is unknown`);
}

/** Parse the text of `cryptsetup luksDump` for a LUKS1 header. */
export function parseLuks1Text(text: string): LuksHeaderInfo {
  const source = 'LUKS1 header (luksDump)';
  const fields = new Map<string, string>(); // header lines: "Cipher name:   \taes"
  const slotIterations: Array<{ slot: number; iterations: string }> = [];
  let enabledSlot: number | undefined;
  for (const line of text.split('\n')) {
    const slotLine = /^Key Slot (\d+): (ENABLED|DISABLED)/.exec(line);
    if (slotLine) enabledSlot = slotLine[2] === 'ENABLED' ? Number(slotLine[1]) : undefined;
    const field = /^(\s*)([A-Za-z][A-Za-z ]*?):\s*(.*)$/.exec(line);
    if (!field || slotLine) continue;
    const [, indent, key, value] = field as unknown as [string, string, string, string];
    if (indent === '') fields.set(key, value.trim());
    else if (key === 'Iterations' && enabledSlot !== undefined) slotIterations.push({ slot: enabledSlot, iterations: value });
  }
  const get = (key: string): string => {
    const value = fields.get(key);
    if (!value) throw new DumpFormatError(source, `no "${key}:" line`);
    return value;
  };
  if (get('Version') !== '1') throw new DumpFormatError(source, `version is ${get('Version')}, not 1`);
  // LUKS1 derives every slot's key with PBKDF2 over the header's hash.
  const hash = get('Hash spec');
  const keyslots = slotIterations.map(({ slot, iterations }) => ({
    slot,
    pbkdf: { type: 'pbkdf2' as const, hash, iterations: number(iterations, source, `Key Slot ${slot} Iterations`) },
  }));
  return {
    type: 'luks1',
    uuid: get('UUID'),
    label: undefined,
    cipher: `${get('Cipher name')}-${get('Cipher mode')}`,
    keyBits: number(get('MK bits'), source, 'MK bits'),
    sectorSize: 512,
    dataOffsetBytes: number(get('Payload offset'), source, 'Payload offset') * 512,
    pbkdf: keyslots[0]?.pbkdf,
    keyslots,
  };
}

function object(value: unknown, source: string, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DumpFormatError(source, `${what} is not an object`);
  return value as Json;
}

function string(value: unknown, source: string, what: string): string {
  if (typeof value !== 'string' || value === '') throw new DumpFormatError(source, `${what} is missing`);
  return value;
}

/** LUKS2 JSON writes 64-bit numbers as strings ("16777216"); accept both forms. */
function number(value: unknown, source: string, what: string): number {
  const parsed = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isSafeInteger(parsed)) throw new DumpFormatError(source, `${what} is not a number`);
  return parsed;
}
