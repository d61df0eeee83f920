/**
 * The fields of a CDM entity (read from its JSON Schema, plus the organisation's custom
 * fields) and the coercion of mapped values to their types. Coercion is lenient where the
 * meaning is plain (`"12"` → 12, `"true"` → true) and refuses the rest with a message naming
 * the value, so that a mapping fails on the field rather than storing the wrong type.
 */
import {
  entityJsonSchema,
  type CdmEntity,
  type CustomField,
  type JsonSchema,
} from '../entities.ts';

export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'any';

interface FieldInfo {
  type: FieldType;
  /** An object without declared properties (`raw`, a `json` custom field): any sub-path goes. */
  open: boolean;
}

function nonNull(node: JsonSchema): JsonSchema {
  const anyOf = node['anyOf'];
  if (Array.isArray(anyOf)) {
    const branch = (anyOf as JsonSchema[]).find((b) => b['type'] !== 'null');
    return branch ? nonNull(branch) : node;
  }
  return node;
}

function fieldType(node: JsonSchema): FieldType {
  const declared = node['type'];
  // Nullable primitives come out of zod as `type: ['string', 'null']`.
  const type = Array.isArray(declared)
    ? (declared as unknown[]).find((t) => t !== 'null')
    : declared;
  switch (type) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
    case 'object':
    case 'array':
      return type;
    default:
      return 'any';
  }
}

function collectFields(
  node: JsonSchema,
  { prefix, into }: { prefix: string; into: Map<string, FieldInfo> },
): void {
  const properties = node['properties'];
  if (typeof properties !== 'object' || properties === null) return;
  for (const [name, raw] of Object.entries(properties as Record<string, JsonSchema>)) {
    const child = nonNull(raw);
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const type = fieldType(child);
    const open = type === 'any' || (type === 'object' && child['properties'] === undefined);
    into.set(path, { type, open });
    if (type === 'object') collectFields(child, { prefix: path, into });
    if (type === 'array' && typeof child['items'] === 'object') {
      const items = nonNull(child['items'] as JsonSchema);
      into.set(`${path}[]`, { type: fieldType(items), open: false });
      collectFields(items, { prefix: `${path}[]`, into });
    }
  }
}

export function entityFields({
  entity,
  customFields,
}: {
  entity: CdmEntity;
  customFields: readonly CustomField[] | undefined;
}): Map<string, FieldInfo> {
  const fields = new Map<string, FieldInfo>();
  collectFields(entityJsonSchema(entity), { prefix: '', into: fields });
  if (customFields && customFields.length > 0) {
    fields.set('custom', { type: 'object', open: false });
    for (const field of customFields) {
      const type: FieldType =
        field.type === 'json' ? 'any' : field.type === 'date' ? 'string' : field.type;
      fields.set(`custom.${field.name}`, { type, open: field.type === 'json' });
    }
  }
  return fields;
}

export function lookupField({
  fields,
  path,
}: {
  fields: Map<string, FieldInfo>;
  path: string;
}): FieldInfo | undefined {
  const exact = fields.get(path);
  if (exact) return exact;
  // A sub-path of an open object (`raw.anything`) is allowed and untyped.
  const parts = path.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    if (fields.get(parts.slice(0, i).join('.'))?.open) return { type: 'any', open: true };
  }
  return undefined;
}

export type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return JSON.stringify(value) ?? String(value);
}

export function coerce({ value, type }: { value: unknown; type: FieldType }): Coerced {
  if (value === undefined || value === null) return { ok: true, value };
  switch (type) {
    case 'number':
    case 'integer': {
      let n = value;
      if (typeof value === 'string' && NUMERIC.test(value)) n = Number(value);
      if (typeof n !== 'number' || !Number.isFinite(n)) {
        return { ok: false, message: `cannot coerce ${describe(value)} to a number` };
      }
      if (type === 'integer' && !Number.isInteger(n)) {
        return {
          ok: false,
          message: `expected an integer (money is in minor units; use $toMinor), got ${n}`,
        };
      }
      return { ok: true, value: n };
    }
    case 'string':
      if (typeof value === 'string') return { ok: true, value };
      if (typeof value === 'number' || typeof value === 'boolean') {
        return { ok: true, value: String(value) };
      }
      return { ok: false, message: `expected a string, got ${describe(value)}` };
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
      return { ok: false, message: `cannot coerce ${describe(value)} to a boolean` };
    case 'object':
    case 'array':
    case 'any':
      return { ok: true, value };
  }
}
