import { isObject, own } from '../import/schema.ts';
import type { CdmEntity } from '../domain/cdm.ts';
import {
  ADDRESS_CONTEXT,
  CORE_FIELDS,
  LINE_ITEM_CONTAINERS,
  type CoreField,
  type FieldKind,
} from './core-fields.ts';

/**
 * Deterministic CDM mapping suggestions: which path of a resource schema holds each core field
 * of a CDM entity. Names decide most of it (after splitting camel/snake/kebab case and matching
 * synonyms); parent objects, declared types and formats, and sample values confirm or veto.
 * Tuned for precision: a wrong mapping silently corrupts synced data, a missing one is only a
 * gap the user fills in.
 */

export interface FieldSuggestion {
  cdmField: string;
  /** Dot path in the resource, `[]` after an array: `address.line1`, `lines.data[].quantity`. */
  sourcePath: string;
  /** 0..1. */
  confidence: number;
  /** Why, in words a user can check against the schema. */
  evidence: string[];
}

export interface MappingSuggestion {
  entity: CdmEntity;
  fields: FieldSuggestion[];
}

/** Resolves an internal `$ref` (`#/components/schemas/x`) of the spec; undefined when missing. */
export type ResolveRef = (ref: string) => unknown;

/** How sure an id read from the record's own key in the path is. */
const KEY_CONFIDENCE = 0.8;

/** Below this a suggestion is not made; tuned on the labelled specs for precision first. */
export const MIN_CONFIDENCE = 0.65;

/** Deep enough for `purchase_units[].amount.breakdown.item_total.value`. */
const MAX_DEPTH = 5;
const MAX_CANDIDATES = 6000;
const MAX_REF_HOPS = 32;

// ---------------------------------------------------------------------------------------------
// Names

/** `BillAddr.Line1`, `address_line_1`, `addressLine1` → `address line 1`. */
export function normalizeName(name: string): string {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([A-Za-z])(\d)/g, '$1 $2')
    .replace(/(\d)([A-Za-z])/g, '$1 $2')
    .replace(/[^A-Za-z0-9]+/g, ' ')
    .trim()
    .toLowerCase();
}

function endsWithWords({ text, tail }: { text: string; tail: string }): boolean {
  return text.endsWith(` ${tail}`);
}

// ---------------------------------------------------------------------------------------------
// Flattening a schema into candidate paths

interface Segment {
  name: string;
  /** Normalized name. */
  words: string;
  array: boolean;
}

interface Candidate {
  path: string;
  segments: Segment[];
  types: Set<string>;
  formats: Set<string>;
  /** Inside another resource embedded by reference. */
  foreign: boolean;
}

interface Shape {
  types: Set<string>;
  formats: Set<string>;
  properties: Map<string, unknown>;
  items: unknown;
}

function deref({ node, resolve }: { node: unknown; resolve: ResolveRef }): {
  node: unknown;
  refs: string[];
} {
  let current = node;
  const refs: string[] = [];
  for (let hops = 0; hops < MAX_REF_HOPS && isObject(current); hops++) {
    const ref = current['$ref'];
    if (typeof ref !== 'string' || refs.includes(ref)) break;
    refs.push(ref);
    current = resolve(ref);
  }
  return { node: current, refs };
}

/** Types, formats, properties and items of a schema, `allOf` merged and union alternatives pooled. */
function shapeOf({
  node,
  resolve,
  stack,
}: {
  node: unknown;
  resolve: ResolveRef;
  stack: ReadonlySet<string>;
}): Shape {
  const shape: Shape = {
    types: new Set(),
    formats: new Set(),
    properties: new Map(),
    items: undefined,
  };
  const visit = (raw: unknown, depth: number, seen: ReadonlySet<string>): void => {
    if (depth > 8) return;
    const { node: schema, refs } = deref({ node: raw, resolve });
    if (!isObject(schema) || refs.some((r) => seen.has(r))) return;
    const inner = new Set([...seen, ...refs]);
    const type = schema['type'];
    if (typeof type === 'string') shape.types.add(type);
    else if (Array.isArray(type))
      for (const t of type) if (typeof t === 'string' && t !== 'null') shape.types.add(t);
    const format = schema['format'];
    if (typeof format === 'string') shape.formats.add(format);
    const properties = schema['properties'];
    if (isObject(properties)) {
      shape.types.add('object');
      for (const key of Object.keys(properties))
        if (key !== '__proto__' && !shape.properties.has(key))
          shape.properties.set(key, properties[key]);
    }
    const items = schema['items'];
    if (items !== undefined) {
      shape.types.add('array');
      // A tuple of item schemas is read as alternatives of one item.
      if (Array.isArray(items)) {
        if (shape.items === undefined && items.length > 0) shape.items = { anyOf: items };
      } else if (shape.items === undefined) shape.items = items;
    }
    for (const key of ['allOf', 'anyOf', 'oneOf']) {
      const parts = own({ record: schema, key });
      if (Array.isArray(parts))
        for (const part of parts.slice(0, 20)) visit(part, depth + 1, inner);
    }
  };
  visit(node, 0, stack);
  return shape;
}

export function flatten({
  schema,
  resolve,
}: {
  schema: unknown;
  resolve: ResolveRef;
}): Candidate[] {
  const out: Candidate[] = [];
  interface Pending {
    node: unknown;
    segments: Segment[];
    stack: ReadonlySet<string>;
    foreign: boolean;
  }
  // Breadth first, so that a large graph of references (expandable objects that reach each
  // other) spends the candidate budget on shallow paths, where the resource's own fields are.
  const queue: Pending[] = [{ node: schema, segments: [], stack: new Set(), foreign: false }];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (out.length >= MAX_CANDIDATES) break;
    const { node, segments, stack } = next;
    const { refs } = deref({ node, resolve });
    // A schema already being expanded above this point is a cycle; cut it.
    if (refs.some((r) => stack.has(r))) continue;
    const inner = new Set([...stack, ...refs]);
    const shape = shapeOf({ node, resolve, stack });
    const last = segments.at(-1);
    // Another resource embedded by reference (it has its own `id`): its fields describe it,
    // not this resource, so they are kept one level deep and marked.
    const foreign =
      next.foreign || (last !== undefined && !last.array && shape.properties.has('id'));
    if (last !== undefined)
      out.push({
        path: segments.map((s) => s.name + (s.array ? '[]' : '')).join('.'),
        segments,
        types: shape.types,
        formats: shape.formats,
        foreign: next.foreign,
      });
    if (segments.length >= MAX_DEPTH || next.foreign) continue;
    if (shape.properties.size > 0) {
      for (const [key, value] of shape.properties)
        queue.push({
          node: value,
          segments: [...segments, { name: key, words: normalizeName(key), array: false }],
          stack: inner,
          foreign,
        });
      continue;
    }
    if (shape.items === undefined) continue;
    // A root that is only a list of item schemas stands for any one of them.
    if (last === undefined) {
      queue.push({ node: shape.items, segments, stack: inner, foreign: false });
      continue;
    }
    if (last.array) continue;
    const items = shapeOf({ node: shape.items, resolve, stack: inner });
    if (items.properties.size === 0) continue;
    queue.push({
      node: shape.items,
      segments: [...segments.slice(0, -1), { ...last, array: true }],
      stack: inner,
      foreign: false,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scoring

interface Scored {
  field: CoreField;
  candidate: Candidate;
  score: number;
  /** The leaf is exactly one of the field's synonyms. */
  exact: boolean;
  evidence: string[];
}

/** Leaf names that only wrap their parent's meaning: `amount.value`, `PrimaryEmailAddr.Address`. */
const WRAPPER_LEAVES = new Set(['value', 'address', 'free form number', 'number', 'code']);

/** First words that make a name mean a different value of the same kind (`base_currency_code`). */
const QUALIFIERS = new Set([
  'base',
  'default',
  'customs',
  'print',
  'unique',
  'displayable',
  'previous',
  'global',
]);

function nameScore({
  field,
  candidate,
  claimed,
}: {
  field: CoreField;
  candidate: Candidate;
  /** Leaf names that are exact synonyms of some field of the entity. */
  claimed: ReadonlyMap<string, string>;
}): { score: number; exact: boolean; evidence: string } | undefined {
  const leaf = candidate.segments.at(-1);
  if (leaf === undefined) return undefined;
  const parent = candidate.segments.at(-2);
  let best: { score: number; exact: boolean; evidence: string } | undefined;
  const offer = (score: number, exact: boolean, evidence: string): void => {
    if (best === undefined || score > best.score) best = { score, exact, evidence };
  };
  const ownedByOther = (() => {
    const owner = claimed.get(leaf.words);
    return owner !== undefined && owner !== field.name;
  })();
  for (const [index, synonym] of field.synonyms.entries()) {
    // Later synonyms are a little less telling than the first ones.
    const rank = Math.min(index, 10) * 0.005;
    if (leaf.words === synonym) offer(1 - rank, true, `name "${leaf.name}" is "${synonym}"`);
    if (parent !== undefined) {
      if (`${parent.words} ${leaf.words}` === synonym)
        offer(0.95 - rank, false, `"${parent.name}.${leaf.name}" reads "${synonym}"`);
      if (WRAPPER_LEAVES.has(leaf.words) && parent.words === synonym)
        offer(0.9 - rank, false, `"${parent.name}.${leaf.name}" holds the "${synonym}"`);
    }
    // A one-word synonym at the end of a longer name is too loose (`unique_name`,
    // `PrintStatus`, `tracking_number`); longer ones carry their meaning (`order_currency_code`).
    if (ownedByOther || !synonym.includes(' ')) continue;
    if (endsWithWords({ text: leaf.words, tail: synonym })) {
      const extra = leaf.words.split(' ').length - synonym.split(' ').length;
      const qualified = QUALIFIERS.has(leaf.words.split(' ')[0] ?? '');
      offer(
        0.82 - 0.05 * extra - (qualified ? 0.2 : 0) - rank,
        false,
        `name "${leaf.name}" ends in "${synonym}"`,
      );
    }
    if (leaf.words.startsWith(`${synonym} `) && synonym.includes(' '))
      offer(0.72 - rank, false, `name "${leaf.name}" starts with "${synonym}"`);
  }
  for (const synonym of field.weakSynonyms ?? [])
    if (leaf.words === synonym) offer(0.62, false, `name "${leaf.name}" is "${synonym}" (weak)`);
  return best;
}

function matchesAny({ words, list }: { words: string; list: readonly string[] }): boolean {
  return list.some((c) => words === c || endsWithWords({ text: words, tail: c }));
}

function isLineItemField(field: CoreField): boolean {
  return field.name.startsWith('lineItems[].');
}

const ADDRESS_FIELDS = new Set(['addressLine1', 'city', 'region', 'postalCode', 'country']);

function structureScore({
  field,
  candidate,
  hasLineItems,
}: {
  field: CoreField;
  candidate: Candidate;
  hasLineItems: boolean;
}): { delta: number; evidence: string[] } {
  const evidence: string[] = [];
  let delta = 0;
  const parents = candidate.segments.slice(0, -1);
  const context = field.context ?? [];
  const inContext = parents.some((p) => matchesAny({ words: p.words, list: context }));
  if (inContext) {
    // The right parent cancels most of the nesting cost, but a top-level field still wins.
    delta -= 0.02 * parents.length;
    evidence.push(`inside "${parents.map((p) => p.name).join('.')}"`);
  } else if (parents.length > 0) {
    delta -= 0.08 * parents.length;
  }
  if (ADDRESS_FIELDS.has(field.name) && parents.length > 0 && !inContext) delta -= 0.15;
  // `shipTo.state` is a region, never a status.
  if (
    field.kind === 'status' &&
    parents.some((p) => matchesAny({ words: p.words, list: ADDRESS_CONTEXT }))
  )
    return { delta: -1, evidence: ['inside an address'] };
  if (candidate.foreign) {
    delta -= 0.3;
    evidence.push('belongs to an embedded resource');
  }
  const arrays = candidate.segments.filter((s) => s.array);
  const containerIndex = candidate.segments.findIndex(
    (s, i) =>
      s.array &&
      (matchesAny({ words: s.words, list: LINE_ITEM_CONTAINERS }) ||
        // `lines.data[]`: a list envelope under a line-item name.
        (i > 0 &&
          matchesAny({
            words: candidate.segments[i - 1]?.words ?? '',
            list: LINE_ITEM_CONTAINERS,
          }))),
  );
  if (isLineItemField(field)) {
    if (containerIndex >= 0) {
      // Nesting inside the line item (`price.unit_amount`) is expected, not a penalty.
      const below = candidate.segments.length - 2 - containerIndex;
      delta += 0.08 * parents.length - 0.04 * below;
      evidence.push(`in line items "${candidate.segments[containerIndex]?.name ?? ''}[]"`);
    } else if (arrays.length > 0) {
      delta += 0.08 * parents.length - 0.15;
      evidence.push('in a list that is not named like line items');
    } else if (parents.length > 0 || hasLineItems) {
      return { delta: -1, evidence: ['not in a line-item list'] };
    } else {
      delta -= 0.2;
      evidence.push('no line-item list; the resource is its own single line');
    }
  } else {
    if (containerIndex >= 0) delta -= 0.3;
    // A scalar inside a list is one of many values, a weaker fit for a single field.
    delta -= 0.12 * arrays.length;
  }
  return { delta, evidence };
}

const DATE_FORMATS = new Set(['date-time', 'date', 'datetime', 'unix-time', 'timestamp']);

function typeScore({
  kind,
  candidate,
  weak,
}: {
  kind: FieldKind;
  candidate: Candidate;
  weak: boolean;
}): { delta: number; evidence: string[] } | undefined {
  const { types, formats } = candidate;
  const has = (t: string): boolean => types.has(t);
  const numeric = has('integer') || has('number');
  const scalar = has('string') || numeric || has('boolean');
  const declared = [...types].join('|') + (formats.size > 0 ? ` (${[...formats].join('|')})` : '');
  if (types.size === 0) return { delta: -0.05, evidence: ['no declared type'] };
  if (!scalar) return undefined;
  const ok = (delta: number): { delta: number; evidence: string[] } => ({
    delta,
    evidence: [`type ${declared}`],
  });
  switch (kind) {
    case 'id':
      return has('string') || numeric ? ok(0) : undefined;
    case 'text':
    case 'phone':
    case 'country':
      if (has('string')) return ok(0);
      return numeric ? ok(-0.15) : undefined;
    case 'email':
      if (!has('string')) return undefined;
      return ok(formats.has('email') ? 0.05 : 0);
    case 'url':
      if (!has('string')) return undefined;
      return ok(formats.has('uri') || formats.has('url') ? 0.05 : 0);
    case 'currency':
      return has('string') ? ok(0) : undefined;
    case 'datetime':
    case 'date':
      if ([...formats].some((f) => DATE_FORMATS.has(f))) return ok(0.05);
      if (has('string') || numeric) return ok(0);
      return undefined;
    case 'money':
      if (numeric) return ok(0.03);
      return has('string') ? ok(0) : undefined;
    case 'quantity':
      if (has('integer')) return ok(0.05);
      if (has('number')) return ok(0.02);
      return has('string') ? ok(-0.1) : undefined;
    case 'status':
      if (has('string') || has('integer')) return ok(0);
      // A boolean says active or not: a status only when the name says so too.
      return has('boolean') && weak ? ok(0) : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Samples

const SAMPLE_TESTS: Partial<Record<FieldKind, { test: RegExp; label: string }>> = {
  email: { test: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, label: 'an email address' },
  datetime: {
    test: /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$|^\d{9,13}$/,
    label: 'a timestamp',
  },
  date: { test: /^\d{4}-\d{2}-\d{2}|^\d{9,13}$/, label: 'a date' },
  currency: { test: /^[A-Za-z]{3}$/, label: 'an ISO currency code' },
  url: { test: /^https?:\/\//, label: 'a URL' },
  country: { test: /^[A-Za-z]{2,3}$|^[A-Z][a-z]+/, label: 'a country' },
  money: { test: /^-?\d+(\.\d+)?$/, label: 'an amount' },
  quantity: { test: /^-?\d+(\.\d+)?$/, label: 'a quantity' },
};

function valuesAt({ sample, segments }: { sample: unknown; segments: Segment[] }): unknown[] {
  let current: unknown[] = [sample];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if (!isObject(value)) continue;
      const child = own({ record: value, key: segment.name });
      if (segment.array) {
        if (Array.isArray(child)) next.push(...(child as unknown[]).slice(0, 20));
      } else if (child !== undefined) next.push(child);
    }
    current = next;
  }
  return current.filter((v) => v !== null && v !== undefined);
}

function sampleScore({
  kind,
  candidate,
  samples,
}: {
  kind: FieldKind;
  candidate: Candidate;
  samples: readonly unknown[];
}): { delta: number; evidence: string[] } {
  const check = SAMPLE_TESTS[kind];
  if (check === undefined || samples.length === 0) return { delta: 0, evidence: [] };
  const values = samples.flatMap((sample) => valuesAt({ sample, segments: candidate.segments }));
  const scalars = values.filter((v) => typeof v === 'string' || typeof v === 'number');
  if (scalars.length === 0) return { delta: 0, evidence: [] };
  const fits = scalars.filter((v) => check.test.test(String(v))).length;
  const evidence = [`${fits} of ${scalars.length} sample values look like ${check.label}`];
  if (fits === scalars.length) return { delta: 0.1, evidence };
  if (fits === 0) return { delta: -0.4, evidence };
  return { delta: -0.1, evidence };
}

// ---------------------------------------------------------------------------------------------
// Suggestion

/**
 * Suggests where each core field of `entity` lives in `schema` (a JSON Schema that may hold
 * `$ref`s, resolved through `resolve`). At most one path per field; a path serves two fields
 * only when its name is a synonym of both (`qty` as available and on-hand quantity).
 * `samples` are example records of the resource; they confirm or veto what names suggest.
 */
export function suggestMapping({
  entity,
  schema,
  resolve,
  samples = [],
  recordKey,
  productNouns,
}: {
  entity: CdmEntity;
  schema: unknown;
  resolve: ResolveRef;
  samples?: readonly unknown[];
  /** The path parameter that names one record (`asin` of `/items/{asin}`), when known. */
  recordKey?: string | undefined;
  /** What the API calls its products (`pet`): `<noun>Id` is then a product id. */
  productNouns?: readonly string[] | undefined;
}): MappingSuggestion {
  const nounIds = (productNouns ?? []).map((n) => `${normalizeName(n)} id`);
  const fields = CORE_FIELDS[entity].map((f) =>
    nounIds.length > 0 && (f.name === 'productId' || f.name === 'lineItems[].productId')
      ? { ...f, synonyms: [...f.synonyms, ...nounIds] }
      : f,
  );
  const candidates = flatten({ schema, resolve });
  const claimed = new Map<string, string>();
  for (const field of fields)
    for (const synonym of field.synonyms)
      if (!claimed.has(synonym)) claimed.set(synonym, field.name);
  const hasLineItems = candidates.some((c) =>
    c.segments.some((s) => s.array && matchesAny({ words: s.words, list: LINE_ITEM_CONTAINERS })),
  );

  const scored: Scored[] = [];
  for (const field of fields)
    for (const candidate of candidates) {
      const name = nameScore({ field, candidate, claimed });
      if (name === undefined) continue;
      const weak = name.evidence.endsWith('(weak)');
      const type = typeScore({ kind: field.kind, candidate, weak });
      if (type === undefined) continue;
      const structure = structureScore({ field, candidate, hasLineItems });
      const sample = sampleScore({ kind: field.kind, candidate, samples });
      const score = name.score + type.delta + structure.delta + sample.delta;
      if (score < MIN_CONFIDENCE) continue;
      scored.push({
        field,
        candidate,
        score,
        exact: name.exact,
        evidence: [name.evidence, ...structure.evidence, ...type.evidence, ...sample.evidence],
      });
    }
  // Best first; ties go to the shorter path, then to the field listed first.
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      a.candidate.segments.length - b.candidate.segments.length ||
      fields.indexOf(a.field) - fields.indexOf(b.field),
  );

  const chosen = new Map<string, Scored>();
  const usedBy = new Map<string, Scored[]>();
  for (const entry of scored) {
    if (chosen.has(entry.field.name)) continue;
    const users = usedBy.get(entry.candidate.path) ?? [];
    if (users.length > 0 && !(entry.exact && users.every((u) => u.exact))) continue;
    chosen.set(entry.field.name, entry);
    usedBy.set(entry.candidate.path, [...users, entry]);
  }
  // No field named like an id, but the record is read by a key it carries (`/items/{asin}`
  // and an `asin` field): that field is how the API identifies the record.
  // The same when the key sits in an object wrapped around the record, under its own name
  // (`fulfillmentOrder.sellerFulfillmentOrderId` read by `/{sellerFulfillmentOrderId}`): an id
  // found there by its name is the record's id, trusted as much.
  const idField = fields.find((f) => f.name === 'id');
  const key =
    candidates.find((c) => c.path === recordKey) ??
    candidates.find(
      (c) =>
        recordKey !== undefined &&
        c.segments.length === 2 &&
        !c.segments.some((seg) => seg.array) &&
        c.segments[1]!.name === recordKey,
    );
  const named = chosen.get('id');
  if (named !== undefined && key !== undefined && named.candidate.path === key.path)
    named.score = Math.max(named.score, KEY_CONFIDENCE);
  if (idField !== undefined && !chosen.has('id') && key !== undefined)
    chosen.set('id', {
      field: idField,
      candidate: key,
      score: KEY_CONFIDENCE,
      exact: true,
      evidence: [`the path parameter {${key.path}} names one record by this field`],
    });

  return {
    entity,
    fields: fields.flatMap((field) => {
      const entry = chosen.get(field.name);
      if (entry === undefined) return [];
      return [
        {
          cdmField: field.name,
          sourcePath: entry.candidate.path,
          confidence: Math.round(Math.min(1, entry.score) * 100) / 100,
          evidence: entry.evidence,
        },
      ];
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// List responses

/** Property names of the array that holds the records of a list response. */
const LIST_ENVELOPES = new Set([
  'data',
  'items',
  'results',
  'records',
  'entries',
  'elements',
  'rows',
  'objects',
  'nodes',
  'hits',
  'list',
  'collection',
  'resources',
  'content',
  'value',
]);

/**
 * Whether `key`, the one list of objects in an object, holds the records of a list response
 * rather than being a part of a resource (an order's `items`): it is the only property, or it
 * has an envelope name next to a few fields of paging metadata and no identifier of its own.
 */
function isEnvelope({ key, others }: { key: string; others: readonly string[] }): boolean {
  if (others.length === 0) return true;
  return (
    LIST_ENVELOPES.has(key.toLowerCase()) &&
    others.length <= 8 &&
    !others.some((o) => normalizeName(o).split(' ').at(-1) === 'id')
  );
}

export interface RecordLocation {
  /** The schema of one record. */
  schema: unknown;
  /** Where records sit in the response: `data[]`, or `[]` for a top-level array. */
  recordPath: string;
}

/**
 * Finds the records of a list response: an array at the root, or the single list property of
 * an envelope like `{ data: [...], has_more }`. Null when the schema describes one record.
 * Suggesting on the envelope would give paths like `data[].email`, which map nothing from the
 * one record a mapping is applied to.
 */
export function locateRecords({
  schema,
  resolve,
}: {
  schema: unknown;
  resolve: ResolveRef;
}): RecordLocation | null {
  const root = shapeOf({ node: schema, resolve, stack: new Set() });
  if (root.properties.size === 0)
    return root.items === undefined ? null : { schema: root.items, recordPath: '[]' };
  const lists: [string, unknown][] = [];
  for (const [key, value] of root.properties) {
    // `errors: [...]` or `links: [...]` beside the record are not its records.
    if (ENVELOPE_METADATA.test(normalizeName(key))) continue;
    const items = shapeOf({ node: value, resolve, stack: new Set() }).items;
    if (
      items !== undefined &&
      shapeOf({ node: items, resolve, stack: new Set() }).properties.size > 0
    )
      lists.push([key, items]);
  }
  const [only] = lists;
  if (lists.length === 0) return singleRecordEnvelope({ root, resolve });
  if (lists.length !== 1 || only === undefined) return null;
  const [key, items] = only;
  const others = [...root.properties.keys()].filter((k) => k !== key);
  return isEnvelope({ key, others }) ? { schema: items, recordPath: `${key}[]` } : null;
}

/** Names of what an envelope carries beside its record: paging, status, links, diagnostics. */
const ENVELOPE_METADATA =
  /^(meta|metadata|links?|time|timestamp|success|ok|status|message|messages|errors?|warnings?|request ?id|trace ?id|type|object|included|jsonapi|version|api version|response ?metadata|pagination|paging|cursor)$/;

/**
 * A single record wrapped in an envelope: `{ data: {...} }`, `{ user: {...} }`,
 * `{ Customer: {...}, time }`: the one object property of an object whose other properties are
 * only envelope metadata. Its path has no `[]` (`data`, not `data[]`).
 */
function singleRecordEnvelope({
  root,
  resolve,
}: {
  root: Shape;
  resolve: ResolveRef;
}): RecordLocation | null {
  const objects: [string, unknown][] = [];
  for (const [key, value] of root.properties)
    if (shapeOf({ node: value, resolve, stack: new Set() }).properties.size >= 2)
      objects.push([key, value]);
  const [only] = objects;
  if (objects.length !== 1 || only === undefined) return null;
  const [key, schema] = only;
  const others = [...root.properties.keys()].filter((k) => k !== key);
  if (!others.every((o) => ENVELOPE_METADATA.test(normalizeName(o)))) return null;
  return { schema, recordPath: key };
}

/** The same, read from an example response when no schema is declared. */
export function locateRecordsInSample(sample: unknown): string | null {
  if (Array.isArray(sample)) return '[]';
  if (!isObject(sample)) return null;
  const keys = Object.keys(sample);
  const lists = keys.filter((k) => {
    if (ENVELOPE_METADATA.test(normalizeName(k))) return false;
    const value = sample[k];
    return Array.isArray(value) && value.length > 0 && value.every((v) => isObject(v));
  });
  const [key] = lists;
  if (lists.length === 0) {
    const objects = keys.filter((k) => isObject(sample[k]) && Object.keys(sample[k]).length >= 2);
    const [one] = objects;
    if (objects.length !== 1 || one === undefined) return null;
    const others = keys.filter((k) => k !== one);
    return others.every((o) => ENVELOPE_METADATA.test(normalizeName(o))) ? one : null;
  }
  if (lists.length !== 1 || key === undefined) return null;
  return isEnvelope({ key, others: keys.filter((k) => k !== key) }) ? `${key}[]` : null;
}

/**
 * The records in `sample` at `recordPath` (`data[]`, `[]`); a sample that is not shaped like
 * the response is taken to be a record already.
 */
export function recordsAt({
  sample,
  recordPath,
}: {
  sample: unknown;
  recordPath: string;
}): unknown[] {
  if (recordPath === '[]') return Array.isArray(sample) ? sample : [sample];
  const list = recordPath.endsWith('[]');
  let current: unknown = sample;
  for (const part of (list ? recordPath.slice(0, -2) : recordPath).split('.')) {
    current = isObject(current) ? own({ record: current, key: part }) : undefined;
  }
  if (!list) return isObject(current) ? [current] : [sample];
  return Array.isArray(current) ? current : [sample];
}
