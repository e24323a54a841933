// Plan-time refusals that depend on the machine: which overlay driver exists, and whether the
// configured backing device is the very filesystem we are about to protect.
import { InputError, OrootError } from '../../errors.js';
import type { CommonOptions, DeviceSpec } from '../config/types.js';
import type { MachineFacts } from '../facts.js';
import type { OverlayDriver } from './types.js';

/** The machine cannot carry the plan (no driver, no root, a submount overlayfs cannot layer). */
export class PlanRefusedError extends OrootError {
  override name = 'PlanRefusedError';
  constructor(message: string, hint: string) {
    super(message, undefined, { hint });
  }
}

/** overlayroot's search: `overlay` first, then Ubuntu's old `overlayfs`; loaded before loadable. */
export function chooseDriver(wanted: CommonOptions['driver'], facts: MachineFacts): OverlayDriver {
  const candidates: OverlayDriver[] = wanted === 'auto' ? ['overlay', 'overlayfs'] : [wanted];
  for (const availability of ['loaded', 'loadable'] as const) {
    const driver = candidates.find((name) => facts.overlayDrivers[name] === availability);
    if (driver) return driver;
  }
  throw new PlanRefusedError(
    `no overlay filesystem driver: ${candidates.join(' and ')} ${candidates.length > 1 ? 'are' : 'is'} neither in /proc/filesystems nor a module of kernel ${facts.kernelRelease || '(unknown)'}`,
    'Build the initramfs with the overlay module (the oroot hook adds it), or use a kernel with overlayfs built in.',
  );
}

/** Refuse a backing device that is the root filesystem, or holds a filesystem mounted under it. */
export function refuseRootDevice(device: DeviceSpec, facts: MachineFacts): void {
  const mounted = [facts.root, ...facts.submounts].filter((m) => m !== undefined);
  const node = device.kind === 'path' ? device.path : facts.blockDevices.find((d) => matchesTag(d, device))?.device;
  const hit = mounted.find((m) => m.source === node || m.source === device.path || m.source === device.spec);
  if (hit) {
    throw new InputError(
      'overlayroot dev=',
      `${device.spec} is ${node && node !== device.spec ? `${node}, ` : ''}the filesystem mounted at ${hit.mountPoint}: it cannot also hold the upper layer`,
      { hint: 'Point dev= at a separate, empty disk (for example the instance-store volume).' },
    );
  }
}

function matchesTag(fact: MachineFacts['blockDevices'][number], device: DeviceSpec): boolean {
  switch (device.kind) {
    case 'label':
      return fact.label === device.value;
    case 'uuid':
      return fact.uuid?.toLowerCase() === device.value.toLowerCase();
    case 'partuuid':
      return fact.partuuid?.toLowerCase() === device.value.toLowerCase();
    case 'partlabel':
      return fact.partlabel === device.value;
    case 'path':
      return fact.device === device.path;
  }
}
