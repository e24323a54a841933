import { describe, expect, it } from 'vitest';
import { decideCryptAction, type DeviceContent } from '../../src/overlayroot/plan/crypt-decision.js';

const blank: DeviceContent = { kind: 'blank' };
const ephemeral: DeviceContent = { kind: 'luks', version: '2', label: 'oroot-ephemeral' };
const persistent: DeviceContent = { kind: 'luks', version: '2', label: 'oroot-persistent' };
const unlabelled: DeviceContent = { kind: 'luks', version: '1', label: undefined };
const ext4: DeviceContent = { kind: 'other', signature: 'an ext4 signature labelled data' };
const gpt: DeviceContent = { kind: 'other', signature: 'a gpt partition table' };

type Row = [keyOrigin: 'generated' | 'given', mkfs: 0 | 1 | 2, content: DeviceContent, action: 'format' | 'open' | 'refuse'];

// The whole table: every key origin × mkfs × kind of content.
const table: Row[] = [
  // generated key (ephemeral volume)
  ['generated', 1, blank, 'format'],
  ['generated', 1, ephemeral, 'format'],
  ['generated', 1, unlabelled, 'format'], // overlayroot's own volumes carry no label
  ['generated', 1, persistent, 'refuse'],
  ['generated', 1, ext4, 'refuse'],
  ['generated', 1, gpt, 'refuse'],
  ['generated', 2, persistent, 'format'],
  ['generated', 2, ext4, 'format'],
  ['generated', 2, blank, 'format'],
  ['generated', 0, blank, 'refuse'],
  ['generated', 0, ephemeral, 'refuse'],
  // given key (persistent volume)
  ['given', 0, persistent, 'open'],
  ['given', 1, persistent, 'open'],
  ['given', 2, persistent, 'open'], // mkfs=2 never reformats a LUKS volume the key may open
  ['given', 1, ephemeral, 'open'],
  ['given', 1, unlabelled, 'open'],
  ['given', 0, blank, 'refuse'],
  ['given', 1, blank, 'format'],
  ['given', 2, blank, 'format'],
  ['given', 0, ext4, 'refuse'],
  ['given', 1, ext4, 'refuse'],
  ['given', 1, gpt, 'refuse'],
  ['given', 2, ext4, 'format'],
  ['given', 2, gpt, 'format'],
];

describe('open or format', () => {
  it.each(table)('%s key, mkfs=%s, %o → %s', (keyOrigin, mkfs, content, action) => {
    expect(decideCryptAction({ keyOrigin, mkfs, content }).action).toBe(action);
  });

  it('explains a refusal and says how to proceed', () => {
    const decision = decideCryptAction({ keyOrigin: 'generated', mkfs: 1, content: persistent });
    expect(decision).toMatchObject({ action: 'refuse' });
    if (decision.action !== 'refuse') return;
    expect(decision.reason).toContain('persistent oroot volume (LUKS label oroot-persistent)');
    expect(decision.hint).toContain('mkfs=2');
    const data = decideCryptAction({ keyOrigin: 'given', mkfs: 1, content: ext4 });
    expect(data.reason).toBe('the device holds an ext4 signature labelled data, not a LUKS volume; refusing to overwrite data');
  });

  it('a key that is given never leads to a format of a LUKS volume, whatever mkfs says', () => {
    for (const mkfs of [0, 1, 2] as const) {
      for (const content of [ephemeral, persistent, unlabelled]) {
        expect(decideCryptAction({ keyOrigin: 'given', mkfs, content }).action).toBe('open');
      }
    }
  });
});
