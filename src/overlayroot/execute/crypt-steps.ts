// The crypt half of a plan: seed the RNG, get the key, decide open-or-format from what is on the
// device (plan/crypt-decision.ts), attach the volume, and make a filesystem only on a volume this
// boot formatted. The key lives in state.secret (a Secret) and is wiped when the run ends.
import { InternalError, OrootError } from '../../errors.js';
import { decideCryptAction, describe } from '../plan/crypt-decision.js';
import type { PlanStep } from '../plan/types.js';
import { runProgramStep } from './program-steps.js';
import type { Defer, RunState } from './types.js';

type Step<K extends PlanStep['kind']> = Extract<PlanStep, { kind: K }>;

export async function seedUrandom(step: Step<'seed-urandom'>, state: RunState): Promise<void> {
  state.seedSources = await state.services.seedUrandom(state.host, { rootmnt: step.rootmnt });
}

export async function deriveKey(step: Step<'derive-key'>, state: RunState, defer: Defer): Promise<void> {
  const { passphrase, report } = await state.services.derivePassphrase(state.host, {
    rootmnt: step.rootmnt,
    device: needDevice(state),
    crngWaitMs: step.crngWaitMs,
  });
  holdSecret(state, passphrase, defer);
  state.entropy = report;
}

export async function loadKey(step: Step<'load-key'>, state: RunState, defer: Defer): Promise<void> {
  if (!state.key || state.key.kind === 'generated') throw new InternalError('load-key step without a given key');
  holdSecret(state, await state.services.loadKey(state.host, state.key, { rootmnt: step.rootmnt }), defer);
}

export async function attachVolume(step: Step<'crypt-attach'>, state: RunState, defer: Defer): Promise<void> {
  const { host, services } = state;
  const device = needDevice(state);
  const key = state.secret;
  if (!key) throw new InternalError('crypt-attach step without a key');
  const content = await services.probeDevice(host, device);
  const decision = decideCryptAction({ keyOrigin: step.keyOrigin, mkfs: step.mkfs, content });
  host.log.info(`${device} holds: ${describe(content)}; ${decision.action === 'refuse' ? 'refusing' : decision.action}: ${decision.reason}`);
  if (decision.action === 'refuse') throw new OrootError(`${device}: ${decision.reason}`, undefined, { hint: decision.hint });
  if (decision.action === 'format') {
    await services.formatVolume(host, { device, key, step });
    state.formatted = true;
  }
  let opened;
  try {
    opened = await services.openVolume(host, { device, key, step });
  } catch (error) {
    // Never reformat after a failed open: say so, and let the failure policy decide.
    const reason = error instanceof Error ? error.message : String(error);
    throw new OrootError(`cannot open the volume on ${device}: ${reason}${state.formatted ? '' : '; it was left exactly as it was (never reformatted after a failed open)'}`, undefined, {
      cause: error,
      hint: step.keyOrigin === 'given' ? 'Check the key (oroot recover can test it from another machine).' : undefined,
    });
  }
  defer(`cryptsetup close ${step.mapname}`, () => services.closeVolume(host, step.mapname));
  const keyStorage = step.keyOrigin === 'generated' ? 'generated-discarded' : `given:${state.key?.kind ?? 'unknown'}`;
  state.crypt = { ...opened, keyStorage, formatted: state.formatted };
}

export async function makeFilesystem(step: Step<'mkfs'>, state: RunState, defer: Defer): Promise<void> {
  const device = state.host.path(step.device);
  if (state.formatted) {
    await runProgramStep(step, state, defer);
    state.filesystems.set(device, step.fstype);
    return;
  }
  const existing = await state.services.filesystemOn(state.host, step.device);
  if (existing) {
    state.host.log.info(`${step.device} already holds a ${existing} filesystem; not making one`);
    state.filesystems.set(device, existing);
    return;
  }
  throw new OrootError(`the volume opened, but ${step.device} holds no filesystem, and this boot did not format it: refusing to make one`, undefined, {
    hint: `If the volume really is meant to be empty, make the filesystem yourself (mkfs.${step.fstype} ${step.device} after opening it with its key).`,
  });
}

function holdSecret(state: RunState, secret: NonNullable<RunState['secret']>, defer: Defer): void {
  state.secret = secret;
  defer('wipe the key from memory', async () => secret.wipe());
}

function needDevice(state: RunState): string {
  if (!state.device) throw new InternalError('a crypt step ran before wait-device found the device');
  return state.device;
}
