// Adding and removing LUKS key slots. Both keys of luksAddKey travel on stdin, one after the
// other (see argv.addKeyArgs): no temporary file, no extra descriptor, nothing in argv or env.
// Because that relies on cryptsetup reading exactly --keyfile-size bytes for the first key, the
// new slot is verified with the new key before addKey returns, and taken back if it does not open.
import { InternalError, OrootError } from '../errors.js';
import type { Host } from '../system/host.js';
import type { Secret } from '../system/secret.js';
import * as argv from './argv.js';
import type { LuksHeaderInfo } from './dump.js';
import { explainedError } from './errors.js';
import type { ResolvedProfile } from './profiles.js';
import { mustRun, SLOW_TIMEOUT_MS } from './runner.js';
import { luksDump, requireKey, unlockedSlot } from './volume.js';

export interface AddKeyOptions {
  readonly device: string;
  /** A key that opens the volume now. */
  readonly key: Secret;
  readonly newKey: Secret;
  /** Key derivation for the new slot (ephemeral: PBKDF2-SHA512 1000; persistent: Argon2id with
   *  the memory cap of *this* machine); cryptsetup's defaults when absent. */
  readonly profile?: ResolvedProfile;
}

/** Add a key slot for `newKey`; returns its number. */
export async function addKey(host: Host, o: AddKeyOptions): Promise<number> {
  requireKey(o.key, o.device);
  requireKey(o.newKey, o.device);
  const before = await luksDump(host, o.device);
  const version = before.type === 'luks1' ? 1 : 2;
  const pbkdf = o.profile?.pbkdf ?? { kind: 'cryptsetup-default' as const };
  const context = { operation: 'luksAddKey', device: o.device };
  await mustRun(host, {
    args: argv.addKeyArgs(o.device, o.key.length, pbkdf, version, o.profile?.hash),
    keys: [o.key, o.newKey],
    context,
    timeoutMs: SLOW_TIMEOUT_MS,
  });

  const added = newSlots(before, await luksDump(host, o.device));
  if (added.length !== 1) throw new InternalError(`luksAddKey on ${o.device} changed ${added.length} key slots, expected 1`);
  const slot = added[0]!;
  if ((await unlockedSlot(host, o.device, o.newKey, slot)) === slot) {
    host.log.info(`${o.device}: added key slot ${slot}`);
    return slot;
  }
  await mustRun(host, { args: argv.killSlotArgs(o.device, slot), keys: [o.key], context: { operation: 'luksKillSlot', device: o.device }, timeoutMs: SLOW_TIMEOUT_MS });
  throw new InternalError(`the new key does not open the slot cryptsetup added on ${o.device} (slot ${slot}); the slot was removed again`);
}

export interface RemoveKeyOptions {
  readonly device: string;
  /** The key whose slot is removed. */
  readonly key: Secret;
}

/** Remove the key slot `key` opens. Refuses to remove the last slot: nothing could open the volume afterwards. */
export async function removeKey(host: Host, o: RemoveKeyOptions): Promise<void> {
  const context = { operation: 'luksRemoveKey', device: o.device };
  const slot = await unlockedSlot(host, o.device, o.key);
  if (slot === undefined) throw explainedError('wrong-key', context);
  const info = await luksDump(host, o.device);
  if (info.keyslots.length <= 1) {
    throw new OrootError(`refusing to remove the last key slot of ${o.device}: nothing could open the volume afterwards`, undefined, {
      hint: 'Add another key first (it gets its own slot); to destroy the volume on purpose use cryptsetup luksErase.',
    });
  }
  await mustRun(host, { args: argv.removeKeyArgs(o.device), keys: [o.key], context, timeoutMs: SLOW_TIMEOUT_MS });
  host.log.info(`${o.device}: removed key slot ${slot}`);
}

function newSlots(before: LuksHeaderInfo, after: LuksHeaderInfo): number[] {
  const old = new Set(before.keyslots.map((entry) => entry.slot));
  return after.keyslots.map((entry) => entry.slot).filter((slot) => !old.has(slot));
}
