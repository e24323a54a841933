// A tiny hand-written subset of JSON Schema, enough for the stanzas oroot emits: object shape,
// required keys, no unknown keys, value types and enums. Messages are worded like cloud-init's
// `cloud-init schema` output, so a failure here reads the same as the real validator's.

export type ValueType = 'string' | 'boolean' | 'array' | 'object';

export interface ObjectShape {
  properties: Record<string, ValueType>;
  required?: readonly string[];
  enums?: Record<string, readonly string[]>;
  /** Array properties whose items must all be strings. */
  stringArrays?: readonly string[];
}

/** Problems with `value` at `where` (e.g. "write_files.0"); empty when it fits the shape. */
export function checkObject(value: unknown, where: string, shape: ObjectShape): string[] {
  if (typeOf(value) !== 'object') return [`${where}: ${pythonRepr(value)} is not of type 'object'`];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of shape.required ?? []) {
    if (!(key in record)) problems.push(`${where}: '${key}' is a required property`);
  }
  const unknown = Object.keys(record).filter((key) => !(key in shape.properties));
  if (unknown.length > 0) {
    const names = unknown.map((key) => `'${key}'`).join(', ');
    problems.push(`${where}: Additional properties are not allowed (${names} ${unknown.length === 1 ? 'was' : 'were'} unexpected)`);
  }
  for (const [key, type] of Object.entries(shape.properties)) {
    if (!(key in record)) continue;
    const item = record[key];
    if (typeOf(item) !== type) {
      problems.push(`${where}.${key}: ${pythonRepr(item)} is not of type '${type}'`);
      continue;
    }
    const allowed = shape.enums?.[key];
    if (allowed && !allowed.includes(item as string)) {
      problems.push(`${where}.${key}: ${pythonRepr(item)} is not one of [${allowed.map((e) => `'${e}'`).join(', ')}]`);
    }
    if (shape.stringArrays?.includes(key)) {
      (item as unknown[]).forEach((part, index) => {
        if (typeof part !== 'string') problems.push(`${where}.${key}.${index}: ${pythonRepr(part)} is not of type 'string'`);
      });
    }
  }
  return problems;
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

/** How Python prints a loaded YAML value, so our messages read like cloud-init's. */
export function pythonRepr(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `'${k}': ${pythonRepr(v)}`).join(', ')}}`;
  return String(value);
}
