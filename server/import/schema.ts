import { truncate } from './names.ts';
import { htmlToText } from './html-text.ts';
import { UNRESOLVED_KEY } from './types.ts';

/**
 * Lazy `$ref` resolution over a loaded spec, and the inlining of schemas into self-contained
 * JSON Schemas for actions and events. Specs keep their internal `$ref`s (Stripe's schemas
 * reach each other in cycles, so a full dereference would never end); each action inlines
 * what it needs, up to a depth and a size, and cuts cycles.
 */

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own property only: spec keys like `constructor` must not reach the prototype. */
export function own({ record, key }: { record: Json; key: string }): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export interface Resolver {
  /** The value an internal `#/…` reference points at; undefined when missing or external. */
  target(ref: string): unknown;
  /** Follows `$ref` chains to a value; `ref` is the last reference followed. */
  deref(node: unknown): { node: unknown; ref: string | undefined; missing: boolean };
  /** Expansions of references already inlined, shared by every schema of one spec. */
  inlined: Map<string, { schema: Json; nodes: number }>;
}

const MAX_REF_HOPS = 32;

function decodeToken(token: string): string {
  let text = token.replaceAll('~1', '/').replaceAll('~0', '~');
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      // Not percent-encoding after all; the token is used as written.
    }
  }
  return text;
}

export function createResolver(document: Json): Resolver {
  const cache = new Map<string, unknown>();
  const target = (ref: string): unknown => {
    if (!ref.startsWith('#')) return undefined;
    if (cache.has(ref)) return cache.get(ref);
    let node: unknown = document;
    const pointer = ref.slice(1);
    if (pointer !== '') {
      for (const token of pointer.replace(/^\//, '').split('/')) {
        const key = decodeToken(token);
        if (Array.isArray(node)) node = /^\d+$/.test(key) ? node[Number(key)] : undefined;
        else if (isObject(node)) node = own({ record: node, key });
        else node = undefined;
        if (node === undefined) break;
      }
    }
    cache.set(ref, node);
    return node;
  };
  const deref = (start: unknown) => {
    let node = start;
    let ref: string | undefined;
    const seen = new Set<string>();
    for (let hops = 0; hops < MAX_REF_HOPS; hops++) {
      if (!isObject(node)) break;
      const next = node['$ref'];
      if (typeof next !== 'string') break;
      if (seen.has(next)) return { node: undefined, ref: next, missing: true };
      seen.add(next);
      ref = next;
      node = target(next);
      if (node === undefined) return { node: undefined, ref, missing: true };
    }
    if (isObject(node) && typeof node[UNRESOLVED_KEY] === 'string')
      return { node: undefined, ref, missing: true };
    return { node, ref, missing: false };
  };
  return { target, deref, inlined: new Map() };
}

/** The last segment of a `#/components/schemas/X` or `#/definitions/X` reference. */
export function schemaNameOf(ref: string | undefined): string | undefined {
  if (ref === undefined) return undefined;
  const match = /^#\/(?:components\/schemas|definitions)\/([^/]+)$/.exec(ref);
  return match?.[1] === undefined ? undefined : decodeToken(match[1]);
}

// ---------------------------------------------------------------------------------------------
// Inlining

export type SchemaDialect = 'openapi-3.0' | 'openapi-3.1' | 'swagger-2.0';

export interface InlineBudget {
  /** Nested `$ref`s expanded below the schema's own. */
  maxRefDepth: number;
  /** Schema objects produced (long descriptions count extra), shared by everything inlined with this budget. */
  nodes: number;
  /** Longest description kept near the top; deeper ones are cut to a third of it. */
  description: number;
}

const MAX_STRUCTURE_DEPTH = 48;
const MAX_ENUM = 1000;
const MAX_PROPERTIES = 500;

/** Keywords whose value is a map of subschemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'dependentSchemas']);
/** Keywords whose value is one subschema (or, for `items`, possibly a list). */
const SCHEMA_SINGLE = new Set([
  'items',
  'additionalProperties',
  'additionalItems',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
]);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
/** Keywords copied as data. Everything else (examples, xml, discriminator, x-*) is dropped. */
const DATA_KEYWORDS = new Set([
  'type',
  'format',
  'const',
  'default',
  'required',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'nullable',
  'readOnly',
  'writeOnly',
  'deprecated',
  'contentMediaType',
  'contentEncoding',
]);

/** A bounded deep copy of plain data (defaults, consts): no interpretation, no refs followed. */
function copyData({ value, depth = 0 }: { value: unknown; depth?: number }): unknown {
  if (typeof value === 'string') return truncate({ text: value, max: 2000 });
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 8) return null;
  if (Array.isArray(value))
    return value.slice(0, 100).map((v) => copyData({ value: v, depth: depth + 1 }));
  const out: Json = {};
  for (const key of Object.keys(value).slice(0, 100)) {
    if (key === '__proto__') continue;
    out[key] = copyData({ value: (value as Json)[key], depth: depth + 1 });
  }
  return out;
}

interface InlineState {
  resolver: Resolver;
  dialect: SchemaDialect;
  budget: InlineBudget;
  /** References being expanded, outermost first: a repeat is a cycle. */
  stack: string[];
  /**
   * Lowest stack index a cycle cut below has pointed at. An expansion that cut no cycle reaching
   * above itself does not depend on where it was reached from, so it can be reused.
   */
  cutAt: number;
}

function stubFor({ target, ref, why }: { target: unknown; ref: string; why: string }): Json {
  const stub: Json = { description: `${why}: see ${truncate({ text: ref, max: 300 })}` };
  if (isObject(target)) {
    const type = target['type'];
    if (typeof type === 'string' || Array.isArray(type)) stub['type'] = copyData({ value: type });
    const title = target['title'];
    if (typeof title === 'string') stub['title'] = truncate({ text: title, max: 200 });
  }
  return stub;
}

function inlineNode({
  node,
  state,
  depth,
  refDepth,
}: {
  node: unknown;
  state: InlineState;
  depth: number;
  refDepth: number;
}): Json {
  if (node === true || node === undefined) return {};
  if (node === false) return { not: {} };
  if (!isObject(node)) return {};
  if (state.budget.nodes <= 0) return { description: 'not expanded: the schema is too large' };
  state.budget.nodes -= 1;
  if (depth > MAX_STRUCTURE_DEPTH) return { description: 'not expanded: nested too deeply' };

  const ref = node['$ref'];
  if (typeof ref === 'string') {
    const siblings: Json = {};
    for (const key of Object.keys(node)) if (key !== '$ref') siblings[key] = node[key];
    let expanded: Json;
    const onStack = state.stack.indexOf(ref);
    const key = `${state.dialect}|${state.budget.description}|${state.budget.maxRefDepth - refDepth}|${ref}`;
    const cached = state.resolver.inlined.get(key);
    if (onStack >= 0) {
      state.cutAt = Math.min(state.cutAt, onStack);
      expanded = { description: `recursive: see ${truncate({ text: ref, max: 300 })}` };
    } else if (cached !== undefined && cached.nodes <= state.budget.nodes) {
      state.budget.nodes -= cached.nodes;
      expanded = cached.schema;
    } else {
      const { node: target, missing } = state.resolver.deref({ $ref: ref });
      if (missing)
        expanded = { description: `unresolved reference ${truncate({ text: ref, max: 300 })}` };
      else if (refDepth >= state.budget.maxRefDepth)
        expanded = stubFor({ target, ref, why: 'not expanded' });
      else {
        const stackLevel = state.stack.length;
        const outerCut = state.cutAt;
        const before = state.budget.nodes;
        state.cutAt = Number.POSITIVE_INFINITY;
        state.stack.push(ref);
        // A named list (`Summaries = array of Summary`) is no level of its own: its items are
        // the records, so they are reached at the depth the list was.
        const level = isNamedList(target) ? refDepth : refDepth + 1;
        expanded = inlineNode({ node: target, state, depth: depth + 1, refDepth: level });
        state.stack.pop();
        // Reusable when complete (the budget never ran out) and no cycle cut reached above it.
        if (state.cutAt >= stackLevel && state.budget.nodes > 0)
          state.resolver.inlined.set(key, { schema: expanded, nodes: before - state.budget.nodes });
        state.cutAt = Math.min(outerCut, state.cutAt);
      }
    }
    // Siblings of a $ref (3.1, and in practice 3.0 descriptions and nullable) refine the target.
    if (Object.keys(siblings).length === 0) return expanded;
    return { ...expanded, ...inlineNode({ node: siblings, state, depth: depth + 1, refDepth }) };
  }

  const out: Json = {};
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (SCHEMA_MAPS.has(key)) {
      if (!isObject(value)) continue;
      const map: Json = {};
      for (const name of Object.keys(value).slice(0, MAX_PROPERTIES)) {
        if (name === '__proto__') continue;
        map[name] = inlineNode({ node: value[name], state, depth: depth + 1, refDepth });
      }
      out[key] = map;
    } else if (SCHEMA_SINGLE.has(key)) {
      if (key === 'items' && Array.isArray(value))
        // A list of item schemas on something that is not an array (`user: { items: [A, B] }`)
        // is how some specs write "one of these": read it as `anyOf`, not as a tuple.
        out[isTupleHolder(node) ? 'prefixItems' : 'anyOf'] = value
          .slice(0, 50)
          .map((v) => inlineNode({ node: v, state, depth: depth + 1, refDepth }));
      else if (typeof value === 'boolean') out[key] = value;
      else if (isObject(value))
        out[key] = inlineNode({ node: value, state, depth: depth + 1, refDepth });
    } else if (SCHEMA_LISTS.has(key)) {
      // A referenced part of an `allOf` is this object's own properties, not a nested one: it
      // does not count towards the reference depth (`X = allOf [Base, {more}]` keeps Base).
      if (Array.isArray(value))
        out[key] = value.slice(0, 50).map((v) =>
          inlineNode({
            node: v,
            state,
            depth: depth + 1,
            refDepth: key === 'allOf' && isObject(v) && '$ref' in v ? refDepth - 1 : refDepth,
          }),
        );
    } else if (key === 'enum') {
      if (Array.isArray(value))
        out[key] = value.slice(0, MAX_ENUM).map((v) => copyData({ value: v }));
    } else if (key === 'description' || key === 'title') {
      if (typeof value !== 'string') continue;
      // Deep descriptions are cut shorter: they are many, and each copy counts against the budget.
      const limit = state.budget.description;
      const max = key === 'title' ? 200 : depth > 2 ? Math.ceil(limit / 3) : limit;
      out[key] = truncate({ text: htmlToText(value), max });
      state.budget.nodes -= Math.floor(Math.min(value.length, max) / 250);
    } else if (key === 'x-nullable' && state.dialect === 'swagger-2.0') {
      if (value === true) out['nullable'] = true;
    } else if (DATA_KEYWORDS.has(key)) {
      out[key] = copyData({ value });
    }
  }
  if (out['type'] === 'file') {
    // Swagger 2 file uploads.
    out['type'] = 'string';
    out['format'] = 'binary';
  }
  if (Array.isArray(out['required']))
    out['required'] = (out['required'] as unknown[]).filter(
      (r): r is string => typeof r === 'string',
    );
  return out;
}

/** A schema that is only an array of referenced items. */
function isNamedList(node: unknown): boolean {
  return (
    isObject(node) && node['type'] === 'array' && isObject(node['items']) && '$ref' in node['items']
  );
}

/** Whether a schema with a list of `items` is an array (a tuple) rather than a record. */
function isTupleHolder(node: Json): boolean {
  const type = node['type'];
  if (type === 'array' || (Array.isArray(type) && type.includes('array'))) return true;
  return type === undefined && node['properties'] === undefined
    ? ['minItems', 'maxItems', 'additionalItems', 'uniqueItems'].some((k) => k in node)
    : false;
}

/**
 * A self-contained copy of `schema`: internal references expanded up to the budget's depth,
 * cycles and what is past the budget replaced by a described stub. The result holds no `$ref`.
 * Expansions are reused across schemas of the same spec, so results share subtrees: treat
 * them as read-only.
 */
export function inlineSchema({
  schema,
  resolver,
  dialect,
  budget,
}: {
  schema: unknown;
  resolver: Resolver;
  dialect: SchemaDialect;
  budget: InlineBudget;
}): Json {
  return inlineNode({
    node: schema,
    state: { resolver, dialect, budget, stack: [], cutAt: Number.POSITIVE_INFINITY },
    depth: 0,
    refDepth: 0,
  });
}

// ---------------------------------------------------------------------------------------------
// Reading raw schemas (for entities, pagination and events)

export interface SchemaView {
  /** The schema with references followed. */
  schema: Json;
  /** The components/definitions name, when reached through one. */
  name: string | undefined;
}

/** Follows references to a schema object, keeping the last schema name passed through. */
export function viewOf({
  node,
  resolver,
}: {
  node: unknown;
  resolver: Resolver;
}): SchemaView | undefined {
  const { node: schema, ref } = resolver.deref(node);
  if (!isObject(schema)) return undefined;
  return { schema, name: schemaNameOf(ref) };
}

/**
 * Top-level properties of a schema, `allOf` parts merged (and, for unions, the first
 * alternative, `items: [A, B]` on a non-array being one), references followed. Bounded: a property map, not a full dereference.
 */
export function propertiesOf({
  node,
  resolver,
  depth = 0,
}: {
  node: unknown;
  resolver: Resolver;
  depth?: number;
}): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (depth > 8) return out;
  const view = viewOf({ node, resolver });
  if (view === undefined) return out;
  const { schema } = view;
  const properties = schema['properties'];
  if (isObject(properties))
    for (const key of Object.keys(properties))
      if (key !== '__proto__') out.set(key, properties[key]);
  const allOf = schema['allOf'];
  if (Array.isArray(allOf))
    for (const part of allOf.slice(0, 20))
      for (const [key, value] of propertiesOf({ node: part, resolver, depth: depth + 1 }))
        if (!out.has(key)) out.set(key, value);
  for (const union of ['anyOf', 'oneOf', 'items']) {
    const parts = own({ record: schema, key: union });
    // `items: [A, B]` on what is not an array is "one of these", as the inlining reads it.
    if (union === 'items' && isTupleHolder(schema)) continue;
    if (out.size === 0 && Array.isArray(parts) && parts.length > 0)
      for (const [key, value] of propertiesOf({ node: parts[0], resolver, depth: depth + 1 }))
        out.set(key, value);
  }
  return out;
}

/** Required property names, `allOf` parts merged. */
export function requiredOf({
  node,
  resolver,
  depth = 0,
}: {
  node: unknown;
  resolver: Resolver;
  depth?: number;
}): Set<string> {
  const out = new Set<string>();
  if (depth > 8) return out;
  const view = viewOf({ node, resolver });
  if (view === undefined) return out;
  const required = view.schema['required'];
  if (Array.isArray(required)) for (const r of required) if (typeof r === 'string') out.add(r);
  const allOf = view.schema['allOf'];
  if (Array.isArray(allOf))
    for (const part of allOf.slice(0, 20))
      for (const r of requiredOf({ node: part, resolver, depth: depth + 1 })) out.add(r);
  return out;
}

/** The JSON type a schema declares (`type: [x, 'null']` counts as x), or what its shape implies. */
export function typeOf({
  node,
  resolver,
  depth = 0,
}: {
  node: unknown;
  resolver: Resolver;
  depth?: number;
}): string | undefined {
  if (depth > 8) return undefined;
  const view = viewOf({ node, resolver });
  if (view === undefined) return undefined;
  const type = view.schema['type'];
  if (typeof type === 'string') return type;
  if (Array.isArray(type))
    return type.find((t): t is string => typeof t === 'string' && t !== 'null');
  if (isObject(view.schema['properties'])) return 'object';
  if (view.schema['items'] !== undefined) return 'array';
  const allOf = view.schema['allOf'];
  if (Array.isArray(allOf))
    for (const part of allOf.slice(0, 20)) {
      const t = typeOf({ node: part, resolver, depth: depth + 1 });
      if (t !== undefined) return t;
    }
  return undefined;
}

/** Values of an enum on the schema or on its array items, references followed. */
export function enumOf({
  node,
  resolver,
  depth = 0,
}: {
  node: unknown;
  resolver: Resolver;
  depth?: number;
}): string[] | undefined {
  if (depth > 8) return undefined;
  const view = viewOf({ node, resolver });
  if (view === undefined) return undefined;
  const direct = view.schema['enum'];
  if (Array.isArray(direct)) return direct.filter((v): v is string => typeof v === 'string');
  const items = view.schema['items'];
  if (items !== undefined && !Array.isArray(items))
    return enumOf({ node: items, resolver, depth: depth + 1 });
  for (const union of ['anyOf', 'oneOf']) {
    const parts = own({ record: view.schema, key: union });
    if (!Array.isArray(parts)) continue;
    for (const part of parts.slice(0, 10)) {
      const values = enumOf({ node: part, resolver, depth: depth + 1 });
      if (values !== undefined && values.length > 1) return values;
    }
  }
  return undefined;
}
