// A plan as people read it: like a `sh -x` trace, one `+ command` per step under a numbered
// comment saying what it achieves, with how it is undone. Pure text from plan data (no secrets
// can appear: the plan holds none).
import { quoteArg } from '../../system/spawn.js';
import type { BootPlan, PlanStep } from './types.js';

export function renderTrace(plan: BootPlan): string {
  const lines: string[] = [];
  const width = String(plan.steps.length).length;
  for (const [index, step] of plan.steps.entries()) {
    const number = String(index + 1).padStart(width);
    lines.push(`# ${number}. ${step.description}`);
    lines.push(...commandLines(step).map((line) => `+ ${line}`));
    const pad = ' '.repeat(width + 2);
    for (const note of stepNotes(step)) lines.push(`# ${pad}${note}`);
    if (step.undo) lines.push(`# ${pad}undo: ${step.undo.command ? quoted(step.undo.command) : step.undo.description}`);
  }
  for (const note of plan.notes) lines.push(`# note: ${note}`);
  return `${lines.join('\n')}\n`;
}

function commandLines(step: PlanStep): string[] {
  if (step.kind !== 'crypt-attach') return [quoted(step.command)];
  // The decision is made at boot from what is on the device: show every command it may run.
  return [
    quoted(['blkid', '-p', '-o', 'export', step.device.path]),
    ...(step.cryptsetup.format ? [`${quoted(step.cryptsetup.format)}    # only if the device may be formatted (see notes)`] : []),
    quoted(step.cryptsetup.open),
  ];
}

function stepNotes(step: PlanStep): string[] {
  switch (step.kind) {
    case 'crypt-attach':
      return [
        step.keyOrigin === 'generated'
          ? `format when blank or an earlier ephemeral volume; refuse a persistent volume or other data${step.mkfs === 2 ? ' (mkfs=2: format regardless)' : ''}`
          : `open an existing LUKS volume; format only a blank device${step.mkfs === 0 ? ' (not even that: mkfs=0)' : ''}${step.mkfs === 2 ? ', or replace other data (mkfs=2)' : ''}; never after a failed open`,
        ...step.resolved.decisions,
        'the key goes to cryptsetup on stdin (--key-file=-), never in arguments',
      ];
    case 'write-fstab':
      return [`options: dir=${step.options.dir} swap=${Number(step.options.swap)} recurse=${Number(step.options.recurse)} driver=${step.options.driver}`];
    default:
      return [];
  }
}

function quoted(argv: readonly string[]): string {
  return argv.map((arg) => (['>', '>>', '<'].includes(arg) || /^<[^>]*>$/.test(arg) ? arg : quoteArg(arg))).join(' ');
}
