/**
 * Turns suggested source paths into expressions that pass preview: a path alone is only right
 * when the source already has the canonical type. Money becomes `$toMinor(amount, currency)`
 * (the canonical amount is an integer of minor units), dates `$toIso(x)`, enums
 * `$mapEnum(x, {table}, "other")` with a table proposed from the source's declared or sampled
 * values, numbers-as-text `$number(x)`, ids-as-numbers `$string(x)`. Line items become
 * `lineItems[]` (the source array) plus per-element fields relative to one element; any other
 * field found inside a list of the record (`addresses[].city`) reads the list's first element.
 *
 * Also: `$ref`s inside a stored action schema are expanded here (bounded, cycles cut), so the
 * suggester sees a list action's item schema.
 */
import { z } from 'zod';
import type { CdmEntity } from '../domain/cdm.ts';
import { CORE_FIELDS, type FieldKind } from './core-fields.ts';
import { entitySchema } from './entities.ts';
import type { FieldSuggestion } from './suggest.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Resolves `#/…` pointers in `root`; a components/definitions name missing there is looked up by its last segment. */
export function localResolver(root: unknown): (ref: string) => unknown {
  return (ref) => {
    if (!ref.startsWith('#')) return undefined;
    let node: unknown = root;
    for (const token of ref.slice(1).replace(/^\//, '').split('/').filter(Boolean)) {
      const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
      node = isObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
    }
    if (node !== undefined) return node;
    const name = ref.split('/').pop() ?? '';
    for (const home of ['$defs', 'definitions']) {
      const defs = isObject(root) ? root[home] : undefined;
      if (isObject(defs) && Object.hasOwn(defs, name)) return defs[name];
    }
    return undefined;
  };
}

/** A copy with `$ref`s replaced by their targets: at most `maxDepth` deep, cycles cut to `{}`. */
export function expandRefs(
  schema: unknown,
  resolve: (ref: string) => unknown,
  maxDepth = 12,
): unknown {
  const walk = (node: unknown, depth: number, stack: readonly string[]): unknown => {
    if (depth > maxDepth) return {};
    if (Array.isArray(node)) return node.map((n) => walk(n, depth + 1, stack));
    if (!isObject(node)) return node;
    const ref = node['$ref'];
    if (typeof ref === 'string') {
      if (stack.includes(ref)) return { description: `(cycle through ${ref})` };
      const target = resolve(ref);
      if (target === undefined) return node;
      return walk(target, depth + 1, [...stack, ref]);
    }
    const out: Json = {};
    for (const [k, v] of Object.entries(node))
      out[k] = k === 'enum' || k === 'example' || k === 'examples' ? v : walk(v, depth + 1, stack);
    return out;
  };
  return walk(schema, 0, []);
}

/** The schema at a suggestion path (`a.b`, `lines[].sku`), through properties, items and allOf. */
function schemaAt(schema: unknown, path: string): Json | undefined {
  let node: unknown = schema;
  for (const raw of path.split('.')) {
    const array = raw.endsWith('[]');
    const name = array ? raw.slice(0, -2) : raw;
    if (name !== '') node = propertyOf(node, name);
    if (array) node = isObject(node) ? node['items'] : undefined;
    if (node === undefined) return undefined;
  }
  return isObject(node) ? node : undefined;
}

function propertyOf(node: unknown, name: string): unknown {
  if (!isObject(node)) return undefined;
  const props = node['properties'];
  if (isObject(props) && Object.hasOwn(props, name)) return props[name];
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const parts = node[key];
    if (Array.isArray(parts))
      for (const part of parts) {
        const found = propertyOf(part, name);
        if (found !== undefined) return found;
      }
  }
  return undefined;
}

function typeOf(node: Json | undefined): string | undefined {
  const t = node?.['type'];
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === 'string' && x !== 'null');
  return undefined;
}

function valuesAt(record: unknown, path: string): unknown[] {
  let current: unknown[] = [record];
  for (const raw of path.split('.')) {
    const array = raw.endsWith('[]');
    const name = array ? raw.slice(0, -2) : raw;
    current = current.flatMap((v) => {
      const next = name === '' ? v : isObject(v) ? v[name] : undefined;
      if (array) return Array.isArray(next) ? (next as unknown[]) : [];
      return next === undefined ? [] : [next];
    });
  }
  return current;
}

/** The canonical values of an enum target field (`status`), read from the entity's zod schema. */
function targetEnum(entity: CdmEntity, field: string): readonly string[] | undefined {
  let schema: z.ZodType = entitySchema(entity);
  for (const raw of field.split('.')) {
    const name = raw.replace(/\[\]$/, '');
    schema = unwrap(schema);
    if (!(schema instanceof z.ZodObject)) return undefined;
    const next = (schema.shape as Record<string, z.ZodType>)[name];
    if (next === undefined) return undefined;
    schema = next;
    if (raw.endsWith('[]')) {
      schema = unwrap(schema);
      if (!(schema instanceof z.ZodArray)) return undefined;
      schema = schema.element as z.ZodType;
    }
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodEnum ? (schema.options as string[]) : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  return s;
}

// Common source spellings of canonical statuses; anything unmatched goes to the fallback.
const STATUS_SYNONYMS: Record<string, readonly string[]> = {
  cancelled: ['canceled', 'cancelled', 'void', 'voided', 'cancel'],
  pending: ['pending', 'new', 'created', 'awaiting payment', 'unpaid', 'on hold', 'draft'],
  open: ['open', 'processing', 'confirmed', 'in progress', 'active', 'accepted'],
  paid: ['paid', 'completed payment', 'captured', 'settled'],
  fulfilled: ['fulfilled', 'shipped', 'delivered', 'completed', 'complete', 'done', 'closed'],
  partially_fulfilled: ['partially fulfilled', 'partially shipped', 'partial'],
  refunded: ['refunded', 'returned', 'reversed'],
  active: ['active', 'published', 'enabled', 'live'],
  archived: ['archived', 'disabled', 'inactive', 'deleted'],
  draft: ['draft', 'unpublished'],
};

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

export function proposeEnumTable(
  sourceValues: readonly string[],
  targets: readonly string[],
): { table: Record<string, string>; unmatched: string[] } {
  const table: Record<string, string> = {};
  const unmatched: string[] = [];
  for (const value of sourceValues) {
    const n = norm(value);
    const direct = targets.find((t) => norm(t) === n);
    const viaSynonym = targets.find((t) => (STATUS_SYNONYMS[t] ?? []).includes(n));
    const target = direct ?? viaSynonym;
    if (target === undefined) unmatched.push(value);
    else if (target !== value) table[value] = target;
  }
  return { table, unmatched };
}

export interface FieldExpression {
  cdmField: string;
  expression: string;
  /** Why the expression is more than the path, when it is. */
  note?: string;
}

const quote = (s: string) => JSON.stringify(s);

/** Quotes path segments JSONata would not read as names (`first-name` → `` `first-name` ``). */
function jsonataPath(path: string): string {
  return path
    .split('.')
    .map((seg) => {
      // An array step read for one value (`addresses[].city`): its first element.
      const first = seg.endsWith('[]');
      const name = first ? seg.slice(0, -2) : seg;
      const quoted = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)
        ? name
        : `\`${name.replaceAll('`', '')}\``;
      return first ? `${quoted}[0]` : quoted;
    })
    .join('.');
}

/**
 * Expressions for the suggested fields of one record. Line-item fields (`lineItems[].x` from
 * `lines[].y`) become `lineItems[]: lines` plus `lineItems[].x: y`.
 */
export function expressionsFor({
  entity,
  fields,
  schema,
  samples,
}: {
  entity: CdmEntity;
  fields: readonly FieldSuggestion[];
  schema: unknown;
  samples: readonly unknown[];
}): { fields: FieldExpression[]; unmatchedEnumValues: Record<string, string[]> } {
  const kinds = new Map(CORE_FIELDS[entity].map((f) => [f.name, f.kind] as const));
  const currency = fields.find((f) => f.cdmField === 'currency' && !f.sourcePath.includes('[]'));
  const out: FieldExpression[] = [];
  const unmatchedEnumValues: Record<string, string[]> = {};
  const arrays = new Map<string, string>();
  for (const field of fields) {
    const kind: FieldKind = kinds.get(field.cdmField) ?? 'text';
    let target = field.cdmField;
    let source = field.sourcePath;
    const targetArray = target.indexOf('[]');
    if (targetArray >= 0) {
      const sourceArray = source.indexOf('[]');
      // A line-item field whose source is not in an array cannot be mapped per element.
      if (sourceArray < 0) continue;
      const containerTarget = target.slice(0, targetArray + 2);
      const containerSource = source.slice(0, sourceArray);
      if ((arrays.get(containerTarget) ?? containerSource) !== containerSource) continue;
      arrays.set(containerTarget, containerSource);
      target = `${containerTarget}${target.slice(targetArray + 2)}`;
      source = source.slice(sourceArray + 3);
      if (source === '' || source.includes('[]')) continue;
    }
    const node = schemaAt(schema, field.sourcePath);
    const type = typeOf(node);
    const path = jsonataPath(source);
    const sampled = samples.flatMap((s) => valuesAt(s, field.sourcePath));
    const expression = ((): FieldExpression => {
      switch (kind) {
        case 'money': {
          if (type === 'integer')
            return {
              cdmField: target,
              expression: path,
              note: 'integer: taken as minor units already',
            };
          const cur =
            currency === undefined
              ? quote('USD')
              : targetArray >= 0
                ? `$record.${jsonataPath(currency.sourcePath)}`
                : jsonataPath(currency.sourcePath);
          return {
            cdmField: target,
            expression: `$toMinor(${path}, ${cur})`,
            note: `a decimal amount: converted to minor units${currency === undefined ? ' (no currency field found: USD assumed, check it)' : ''}`,
          };
        }
        case 'datetime':
        case 'date':
          return {
            cdmField: target,
            expression: `$toIso(${path})`,
            note: 'normalized to ISO 8601',
          };
        case 'status': {
          const targets = targetEnum(entity, target) ?? [];
          const declared = Array.isArray(node?.['enum']) ? (node['enum'] as unknown[]) : [];
          const values = [
            ...new Set([...declared, ...sampled].filter((v): v is string => typeof v === 'string')),
          ];
          if (targets.length === 0) return { cdmField: target, expression: path };
          const { table, unmatched } = proposeEnumTable(values, targets);
          if (unmatched.length > 0) unmatchedEnumValues[target] = unmatched;
          const fallback = targets.includes('other') ? `, ${quote('other')}` : '';
          return {
            cdmField: target,
            expression: `$mapEnum(${path}, ${JSON.stringify(table)}${fallback})`,
            note: `values mapped to ${targets.join(', ')}${unmatched.length > 0 ? `; ${unmatched.join(', ')} go to the fallback: check them` : ''}`,
          };
        }
        case 'quantity':
          return type === 'string' || sampled.some((v) => typeof v === 'string')
            ? { cdmField: target, expression: `$number(${path})`, note: 'text in the source' }
            : { cdmField: target, expression: path };
        case 'id':
        case 'text':
          return type === 'integer' ||
            type === 'number' ||
            sampled.some((v) => typeof v === 'number')
            ? { cdmField: target, expression: `$string(${path})`, note: 'a number in the source' }
            : { cdmField: target, expression: path };
        case 'country':
        case 'currency':
        case 'email':
        case 'phone':
        case 'url':
          return { cdmField: target, expression: path };
      }
    })();
    // A single field read from a list inside the record (a customer's `addresses[]`): the
    // first entry's, as the record's own value for it.
    const fromList = targetArray < 0 && source.includes('[]');
    out.push(
      fromList
        ? {
            ...expression,
            note: [expression.note, `from the first of ${source.slice(0, source.indexOf('[]'))}`]
              .filter((n) => n !== undefined)
              .join('; '),
          }
        : expression,
    );
  }
  const containers = [...arrays].map(([t, s]) => ({
    cdmField: t,
    expression: jsonataPath(s),
    note: 'the source array; the fields below are per element',
  }));
  return { fields: [...containers, ...out], unmatchedEnumValues };
}
