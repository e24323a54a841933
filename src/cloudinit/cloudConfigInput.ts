// Reading a user's #cloud-config (or archive): load it with js-yaml (imported only when a merge
// needs it), turn YAML errors into "file:line:column" messages, and refuse content that would
// undo the seed.
import { InputError } from '../errors.js';
import { checkWriteFilesItem } from './writeFiles.js';

export type CloudConfigData = Record<string, unknown>;

/** Where a YAML text sits in its file, for error messages. */
export interface TextOrigin {
  /** The file name as shown to the user. */
  source: string;
  /** Lines of the file before this text (a MIME part starts mid-file). */
  lineOffset?: number;
  /** Set when line numbers cannot map to the file (a base64 part): e.g. "part 2 (base64)". */
  label?: string;
}

/** Load one YAML document; a syntax error becomes an InputError naming file:line:column. */
export async function loadYaml(text: string, origin: TextOrigin): Promise<unknown> {
  const yaml = await import('js-yaml');
  try {
    return yaml.load(text);
  } catch (error) {
    throw yamlError(error, text, origin);
  }
}

export async function loadCloudConfig(text: string, origin: TextOrigin): Promise<CloudConfigData> {
  const data = await loadYaml(text, origin);
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new InputError(where(origin, firstContentLine(text), 1), `is cloud-config but holds a YAML ${Array.isArray(data) ? 'list' : typeof data}, not a mapping of keys`, {
      hint: 'cloud-config must be a mapping such as "write_files: [...]"; cloud-init ignores anything else.',
    });
  }
  checkSeedIsNotUndone(data as CloudConfigData, text, origin);
  return data as CloudConfigData;
}

/** A #cloud-config-archive must load as a YAML list of parts, or cloud-init skips all of it. */
export async function checkArchive(text: string, origin: TextOrigin): Promise<void> {
  const data = await loadYaml(text, origin);
  if (!Array.isArray(data)) {
    throw new InputError(where(origin, firstContentLine(text), 1), `is a #cloud-config-archive but holds a YAML ${data === null ? 'null' : typeof data}, not a list of parts`, {
      hint: 'Write each part as a list item: "- type: text/cloud-config" with "content: |" below it.',
    });
  }
}

function yamlError(error: unknown, text: string, origin: TextOrigin): InputError {
  const { reason, mark } = error as { reason?: string; mark?: { line: number; column: number } };
  if (!reason) throw error;
  if (!mark) {
    // js-yaml gives no position for a second document; find its "---" ourselves.
    const lines = text.split(/\r?\n/);
    const separator = lines.findIndex((line, i) => i >= firstContentLine(text) && /^---(\s|$)/.test(line));
    return new InputError(where(origin, separator + 1 || 1, 1), 'holds more than one YAML document, and cloud-init reads it as exactly one', {
      hint: 'Remove the "---" separator, or split the documents into MIME parts.',
    });
  }
  const hint = reason.startsWith('duplicated mapping key')
    ? 'cloud-init would silently keep only the last of the two; merge them into one key.'
    : 'Fix the YAML there; `cloud-init schema -c FILE` checks a cloud-config on its own.';
  return new InputError(where(origin, mark.line + 1, mark.column + 1), `invalid YAML: ${reason}`, { hint });
}

/**
 * A user's write_files entry for /dev/urandom or /dev/random without mode 0666 would chmod the
 * device after our entry ran (the 2012 `perms:` recipe does exactly that). Refuse it.
 */
function checkSeedIsNotUndone(data: CloudConfigData, text: string, origin: TextOrigin): void {
  const files = data.write_files;
  if (files === undefined || files === null) return;
  if (!Array.isArray(files)) {
    throw new InputError(where(origin, lineOfKey(text, 'write_files'), 1), 'write_files must be a list of entries', {
      hint: 'Write it as a YAML list: "write_files:" followed by "- path: ..." items.',
    });
  }
  files.forEach((item, index) => {
    const path = (item as { path?: unknown } | null)?.path;
    if (path !== '/dev/urandom' && path !== '/dev/random') return;
    const permissions = (item as { permissions?: unknown }).permissions;
    const problems = checkWriteFilesItem(item, `write_files.${index}`);
    if (problems.length === 0 && typeof permissions === 'string' && parseInt(permissions, 8) === 0o666) return;
    const why = 'perms' in (item as object) ? 'uses the key "perms", which cloud-init never read' : `does not set permissions: '0666'`;
    throw new InputError(where(origin, lineOfKey(text, 'write_files'), 1), `write_files entry ${index} for ${String(path)} ${why}, so cloud-init would chmod the device to 0644 after writing`, {
      hint: `Remove that entry (oroot adds its own seed) or set permissions: '0666'.${problems.length > 0 ? ` Schema: ${problems.join('; ')}` : ''}`,
    });
  });
}

function lineOfKey(text: string, key: string): number {
  const index = text.split(/\r?\n/).findIndex((line) => line.startsWith(`${key}:`));
  return index < 0 ? 1 : index + 1;
}

function firstContentLine(text: string): number {
  const index = text.split(/\r?\n/).findIndex((line) => /\S/.test(line) && !line.trimStart().startsWith('#'));
  return index < 0 ? 1 : index + 1;
}

function where(origin: TextOrigin, line: number, column: number): string {
  if (origin.label) return `${origin.source}: ${origin.label}, line ${line}:${column}`;
  return `${origin.source}:${line + (origin.lineOffset ?? 0)}:${column}`;
}
