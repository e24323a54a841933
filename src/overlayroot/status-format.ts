// The status report as a person reads it: one labelled line per topic, details indented below.
import type { LayerInfo, SpaceInfo, StatusReport } from './status.js';

export function formatStatus(report: StatusReport): string {
  const out: string[] = [];
  const line = (label: string, text: string) => out.push(`${`${label}:`.padEnd(11)} ${text}`);
  const more = (text: string) => out.push(`${' '.repeat(12)}${text}`);

  if (report.active) {
    line('overlay', `active: / is the overlay ${report.root.source}${report.root.readOnly ? ' (mounted read-only)' : ''}, upper directory ${report.root.upperDir ?? '?'}`);
  } else {
    line('overlay', `not active: / is ${report.root.fstype} from ${report.root.source}; this system does not run on an overlay root`);
  }
  const asked = report.lastBoot?.requested;
  line('mode', `${report.mode}${asked ? ` (asked for: ${asked.mode}, by ${asked.source})` : ''}`);
  if (report.lower) line('lower', describeLayer(report.lower));
  if (report.upper) line('upper', describeLayer(report.upper));
  if (report.crypt) {
    const { live, mapname, recorded, keyFile } = report.crypt;
    if (live.active === true) {
      line('crypt', `/dev/mapper/${mapname} open: ${live.type}, ${live.cipher}, ${live.keyBits ?? '?'}-bit key, on ${live.device}${live.inUse ? ', in use' : ''}`);
    } else if (live.active === 'not-asked') {
      line('crypt', `/dev/mapper/${mapname} (run as root to see whether it is open)`);
    } else {
      line('crypt', `/dev/mapper/${mapname} ${live.active === false ? 'is not open' : `is in an unknown state: ${live.problem}`}`);
    }
    if (recorded) more(`profile ${recorded.profile}; key ${describeKey(recorded.keyStorage, keyFile)}${recorded.formatted ? '; formatted at that boot' : ''}`);
  }
  const boot = report.lastBoot;
  if (boot) {
    line('last boot', `${boot.outcome} at ${boot.startedAt} in ${(boot.durationMs / 1000).toFixed(1)} s (${boot.steps} steps)`);
    if (boot.fallback) more(`fell back to ${boot.fallback.policy}: ${boot.fallback.reason}`);
    for (const step of boot.failedSteps) more(`step ${step.status}: ${step.description}${step.error ? `: ${step.error}` : ''}`);
    if (boot.crngReady === false) more('the kernel random generator was not ready when the key was made');
    for (const warning of boot.warnings) more(`warning: ${warning}`);
  } else {
    line('last boot', report.stateFile.status === 'missing' ? `no record (${report.stateFile.path} does not exist)` : `record unreadable (${report.stateFile.path})`);
  }
  if (report.problems.length === 0) line('problems', 'none');
  else report.problems.forEach((problem, index) => (index === 0 ? line('problems', problem) : more(problem)));
  return `${out.join('\n')}\n`;
}

function describeLayer(layer: LayerInfo): string {
  const device = layer.device;
  const details = [device?.label && `label ${device.label}`, device?.sizeBytes && `${bytes(device.sizeBytes)} device`, device?.model].filter(Boolean);
  return (
    `${layer.mountPoint}: ${layer.source} (${layer.fstype}, ${layer.readOnly ? 'read-only' : 'read-write'})` +
    (layer.space ? `, ${describeSpace(layer.space)}` : '') +
    (details.length > 0 ? ` [${details.join(', ')}]` : '')
  );
}

function describeSpace(space: SpaceInfo): string {
  return `${bytes(space.totalBytes)}, ${bytes(space.availableBytes)} free`;
}

function describeKey(storage: string, keyFile: NonNullable<StatusReport['crypt']>['keyFile']): string {
  if (storage === 'generated-discarded') return 'generated at boot and not kept (what is written cannot be read after a reboot)';
  if (storage.startsWith('generated-kept:')) {
    const state = keyFile?.present ? `mode ${keyFile.mode?.toString(8).padStart(4, '0')}` : 'file missing';
    return `generated at boot and kept in ${storage.slice('generated-kept:'.length)} (${state})`;
  }
  const given: Record<string, string> = {
    'given:passphrase': 'given in the configuration (pass=)',
    'given:keyfile': 'read from a key file named in the configuration (keyfile=)',
    'given:encrypted': 'an encrypted passphrase in the configuration (pass_enc=, with a master key file)',
  };
  return given[storage] ?? storage;
}

/** Binary units, as df -h prints them. */
export function bytes(count: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
