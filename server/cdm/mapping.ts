/**
 * The mapping engine: turns source records into CDM entities (`to_canonical`) and back
 * (`from_canonical`) with one JSONata expression per target field.
 *
 * Target paths are dot paths into the output (`address.line1`, `custom.plan`). Arrays of
 * objects are mapped in one of two ways:
 *
 * - `lineItems`: one expression returning the whole array of objects (validated against the
 *   entity, but not coerced element by element); or
 * - `lineItems[]` plus `lineItems[].sku`, `lineItems[].quantity`, …: the `lineItems[]`
 *   expression selects the source array, and each `lineItems[].x` expression is evaluated once
 *   per element with that element as its input (`$record` is the whole record). One array level
 *   only: `a[].b[].c` is refused.
 *
 * Speed: JSONata evaluation is asynchronous and interprets an AST, which is far too slow for
 * bulk syncs with ~50 fields a record. Expressions that are plain paths (`a.b.c`, `a.b[0]`),
 * literals, object constructors or calls of our helpers on those are compiled to direct
 * property access and plain function calls. When such a path meets an array mid-way (where
 * JSONata would map over it and flatten), the fast path gives up for that record and JSONata
 * evaluates the expression, so results never differ.
 */
import jsonata from 'jsonata';
import { AppError } from '../errors.ts';
import {
  entityJsonSchema,
  entitySchema,
  isCdmEntity,
  withCustomFields,
  type CdmEntity,
  type CustomField,
  type JsonSchema,
} from './entities.ts';
import { MAPPING_HELPERS } from './helpers.ts';

export const MAPPING_DIRECTIONS = ['to_canonical', 'from_canonical'] as const;
export type MappingDirection = (typeof MAPPING_DIRECTIONS)[number];

export interface Mapping {
  entity: CdmEntity;
  direction: MappingDirection;
  /** Target path → JSONata expression over the source record. */
  fields: Record<string, string>;
}

export interface FieldError {
  field: string;
  expression: string;
  message: string;
}

export interface ApplyResult {
  value: Record<string, unknown>;
  errors: FieldError[];
}

export interface CompiledMapping {
  apply(record: unknown): Promise<ApplyResult>;
  applyMany(records: readonly unknown[]): Promise<ApplyResult[]>;
}

export type MappingInput = Mapping | { mapping: Mapping; customFields?: readonly CustomField[] };

// ---------------------------------------------------------------------------------------------
// Expressions

const FALLBACK = Symbol('fallback to JSONata');
/** `record` is the whole source record, for `$record.x` inside per-item expressions. */
type Fast = (input: unknown, record?: unknown) => unknown;

interface CompiledExpression {
  text: string;
  expr: jsonata.Expression;
  fast: Fast | null;
  /** Set when the expression is a plain path: what a preview shows as the source value. */
  path: Fast | null;
}

// Compiled expressions by text. Mappings of one connector share most expressions
// (`id`, `email`, `$toIso(created)`), so the cache keeps each compiled once per process.
const CACHE_LIMIT = 5000;
const cache = new Map<string, CompiledExpression>();

/** Compiles (or fetches from the cache); throws JSONata's error on a syntax error. */
export function compileExpression(text: string): CompiledExpression {
  const hit = cache.get(text);
  if (hit) return hit;
  const expr = jsonata(text);
  const ast = expr.ast() as AstNode;
  const path = fastPath(ast);
  const compiled: CompiledExpression = { text, expr, fast: path ?? fastNode(ast), path };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, compiled);
  return compiled;
}

interface AstNode {
  type: string;
  value?: unknown;
  steps?: AstNode[];
  stages?: AstNode[];
  expr?: AstNode;
  arguments?: AstNode[];
  procedure?: AstNode;
  lhs?: unknown;
  [key: string]: unknown;
}

const PATH_KEYS = new Set(['type', 'steps', 'position', 'value']);
const STEP_KEYS = new Set(['type', 'value', 'position', 'stages']);

function fastPath(node: AstNode): Fast | null {
  if (node.type !== 'path' || !node.steps) return null;
  if (Object.keys(node).some((k) => !PATH_KEYS.has(k))) return null;
  // `$record.a.b`: a path from the whole record (per-item expressions of `lineItems[]`).
  const [first] = node.steps;
  const fromRecord =
    first?.type === 'variable' &&
    first.value === 'record' &&
    Object.keys(first).every((k) => k === 'type' || k === 'value' || k === 'position');
  const stepNodes = fromRecord ? node.steps.slice(1) : node.steps;
  if (stepNodes.length === 0) return null;
  const steps: { name: string; index: number | undefined }[] = [];
  for (const step of stepNodes) {
    if (step.type !== 'name' || typeof step.value !== 'string') return null;
    if (Object.keys(step).some((k) => !STEP_KEYS.has(k))) return null;
    let index: number | undefined;
    if (step.stages) {
      const [stage, ...more] = step.stages;
      if (more.length > 0 || stage?.type !== 'filter' || stage.expr?.type !== 'number') return null;
      const n = stage.expr.value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return null;
      index = n;
    }
    steps.push({ name: step.value, index });
  }
  const names = steps.map((step) => step.name);
  const indices = steps.map((step) => step.index);
  const count = steps.length;
  const lastIndexed = steps.at(-1)?.index !== undefined;
  // Index loops and no per-call allocation: this runs for every field of every record.
  return (input, record) => {
    if (fromRecord && record === undefined) return FALLBACK;
    let current = fromRecord ? record : input;
    for (let i = 0; i < count; i++) {
      const name = names[i] as string;
      const index = indices[i];
      if (Array.isArray(current)) return FALLBACK;
      if (typeof current !== 'object' || current === null || !Object.hasOwn(current, name)) {
        return undefined;
      }
      current = (current as Record<string, unknown>)[name];
      if (index !== undefined) {
        if (current === undefined) return undefined;
        if (!Array.isArray(current)) return FALLBACK;
        current = current[index] as unknown;
      }
    }
    // JSONata treats empty arrays and arrays met at the end of an indexed step specially.
    if (Array.isArray(current) && (current.length === 0 || lastIndexed)) {
      return FALLBACK;
    }
    return current;
  };
}

function fastNode(node: AstNode): Fast | null {
  switch (node.type) {
    case 'path':
      return fastPath(node);
    case 'string':
    case 'number':
    case 'value': {
      const value = node.value;
      return () => value;
    }
    case 'variable':
      // `$` alone is the input itself.
      return node.value === '' ? (input) => input : null;
    case 'unary':
      return node.value === '{' ? fastObject(node) : null;
    case 'function': {
      const name = node.procedure?.type === 'variable' ? node.procedure.value : undefined;
      const helper = typeof name === 'string' ? MAPPING_HELPERS[name] : undefined;
      if (!helper || !node.arguments) return null;
      const args: Fast[] = [];
      for (const arg of node.arguments) {
        const fast = fastNode(arg);
        if (!fast) return null;
        args.push(fast);
      }
      const call = helper as (...a: unknown[]) => unknown;
      // Common arities without an arguments array per call.
      const [a0, a1] = args;
      if (args.length === 1 && a0) {
        return (input, record) => {
          const v0 = a0(input, record);
          return v0 === FALLBACK ? FALLBACK : call(v0);
        };
      }
      if (args.length === 2 && a0 && a1) {
        return (input, record) => {
          const v0 = a0(input, record);
          if (v0 === FALLBACK) return FALLBACK;
          const v1 = a1(input, record);
          return v1 === FALLBACK ? FALLBACK : call(v0, v1);
        };
      }
      return (input, record) => {
        const values: unknown[] = [];
        for (const arg of args) {
          const v = arg(input, record);
          if (v === FALLBACK) return FALLBACK;
          values.push(v);
        }
        return call(...values);
      };
    }
    default:
      return null;
  }
}

function fastObject(node: AstNode): Fast | null {
  if (!Array.isArray(node.lhs)) return null;
  const pairs: [string, Fast][] = [];
  for (const pair of node.lhs as unknown[]) {
    if (!Array.isArray(pair)) return null;
    const [key, value] = pair as [AstNode | undefined, AstNode | undefined];
    if (key?.type !== 'string' || typeof key.value !== 'string' || !value) return null;
    const fast = fastNode(value);
    if (!fast) return null;
    pairs.push([key.value, fast]);
  }
  return (input, record) => {
    const out: Record<string, unknown> = {};
    for (const [key, fast] of pairs) {
      const v = fast(input, record);
      if (v === FALLBACK) return FALLBACK;
      if (v !== undefined) out[key] = v;
    }
    return out;
  };
}

const HELPER_BINDINGS: Record<string, unknown> = { ...MAPPING_HELPERS };

// JSONata marks result sequences with a `sequence` property; hand back plain arrays.
function plain(value: unknown): unknown {
  return Array.isArray(value) ? [...(value as unknown[])] : value;
}

// Returns synchronously on the fast path: awaiting every field of every record would cost
// more than the property reads themselves.
function evaluate(
  compiled: CompiledExpression,
  { input, bindings }: { input: unknown; bindings: Record<string, unknown> },
): unknown {
  if (compiled.fast) {
    const value = compiled.fast(input, bindings['record']);
    if (value !== FALLBACK) return value;
  }
  return compiled.expr.evaluate(input, bindings).then(plain);
}

// ---------------------------------------------------------------------------------------------
// Target paths

interface Target {
  /** Path segments; for an array field, up to and including the array's own name. */
  head: string[];
  kind: 'plain' | 'context' | 'item';
  /** For `item`: the path inside each element. */
  tail: string[];
  /** `lineItems` for `lineItems[]` and `lineItems[].x`. */
  arrayKey: string;
}

const SEGMENT = /^[A-Za-z_$][\w$-]*$/;

function parseTarget(path: string): Target | string {
  const parts = path.split('.');
  const head: string[] = [];
  const tail: string[] = [];
  let arrayAt = -1;
  for (const [i, part] of parts.entries()) {
    let name = part;
    if (part.endsWith('[]')) {
      if (arrayAt !== -1) return 'only one array level ([]) is supported in a target path';
      arrayAt = i;
      name = part.slice(0, -2);
    }
    if (!SEGMENT.test(name)) return `"${part}" is not a valid path segment`;
    (arrayAt === -1 || arrayAt === i ? head : tail).push(name);
  }
  if (arrayAt === -1) return { head, kind: 'plain', tail, arrayKey: '' };
  return { head, kind: tail.length === 0 ? 'context' : 'item', tail, arrayKey: head.join('.') };
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let current = target;
  const last = path.length - 1;
  for (let i = 0; i <= last; i++) {
    const key = path[i] as string;
    if (i === last) {
      current[key] = value;
      return;
    }
    const next = current[key];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
      current = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      current[key] = created;
      current = created;
    }
  }
}

function getPath(source: unknown, path: readonly string[]): unknown {
  let current = source;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// Entity fields, from the entity's JSON Schema

type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'any';
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

function entityFields({
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

function lookupField({
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

// ---------------------------------------------------------------------------------------------
// Validation

function unpack(input: MappingInput): {
  mapping: Mapping;
  customFields: readonly CustomField[] | undefined;
} {
  return 'mapping' in input
    ? { mapping: input.mapping, customFields: input.customFields }
    : { mapping: input, customFields: undefined };
}

function expressionError(error: unknown): string {
  const e = error as { message?: unknown; position?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  return typeof e.position === 'number' ? `${message} (at character ${e.position})` : message;
}

/**
 * Every problem that would make the mapping fail on any record: an unknown entity or direction,
 * a JSONata syntax error, a target path the entity does not have (for `to_canonical`), array
 * fields without their `[]` source. Empty when the mapping can be saved.
 */
export function validateMapping({
  mapping,
  customFields,
}: {
  mapping: Mapping;
  customFields?: readonly CustomField[];
}): FieldError[] {
  const errors: FieldError[] = [];
  if (!isCdmEntity(mapping.entity)) {
    return [{ field: '', expression: '', message: `unknown entity "${String(mapping.entity)}"` }];
  }
  if (!(MAPPING_DIRECTIONS as readonly string[]).includes(mapping.direction)) {
    return [
      {
        field: '',
        expression: '',
        message: `direction must be one of ${MAPPING_DIRECTIONS.join(', ')}`,
      },
    ];
  }
  const known =
    mapping.direction === 'to_canonical'
      ? entityFields({ entity: mapping.entity, customFields })
      : undefined;
  const targets = Object.keys(mapping.fields);
  for (const [field, expression] of Object.entries(mapping.fields)) {
    const fail = (message: string) => errors.push({ field, expression, message });
    if (typeof expression !== 'string' || expression.trim() === '') {
      fail('expression is empty');
      continue;
    }
    try {
      compileExpression(expression);
    } catch (error) {
      fail(`invalid JSONata expression: ${expressionError(error)}`);
    }
    const target = parseTarget(field);
    if (typeof target === 'string') {
      fail(target);
      continue;
    }
    if (target.kind === 'item' && !targets.includes(`${target.arrayKey}[]`)) {
      fail(`add "${target.arrayKey}[]" selecting the source array that "${field}" maps over`);
    }
    if (target.kind === 'context' && targets.includes(target.arrayKey)) {
      fail(`map "${target.arrayKey}" either whole or per element with "${field}", not both`);
    }
    if (known && !lookupField({ fields: known, path: field })) {
      const hint =
        field.startsWith('custom.') && !customFields?.length
          ? ' (custom fields must be declared for the organisation first)'
          : '';
      fail(`${mapping.entity} has no field "${field}"${hint}`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Coercion

type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return JSON.stringify(value) ?? String(value);
}

function coerce({ value, type }: { value: unknown; type: FieldType }): Coerced {
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

// ---------------------------------------------------------------------------------------------
// Compilation and application

interface PlainField {
  field: string;
  compiled: CompiledExpression;
  path: string[];
  type: FieldType | undefined;
}
interface ItemField {
  field: string;
  compiled: CompiledExpression;
  tail: string[];
  type: FieldType | undefined;
}
interface ArrayField {
  field: string;
  compiled: CompiledExpression;
  path: string[];
  items: ItemField[];
}

interface Run extends ApplyResult {
  /** Per target field: what its expression gave (an array of per-element results for items). */
  results: Map<string, unknown>;
}

interface Engine {
  run(record: unknown, collect?: boolean): Promise<Run>;
}

function buildEngine({
  mapping,
  customFields,
}: {
  mapping: Mapping;
  customFields: readonly CustomField[] | undefined;
}): Engine {
  const toCanonical = mapping.direction === 'to_canonical';
  const known = toCanonical ? entityFields({ entity: mapping.entity, customFields }) : undefined;
  const typeOf = (path: string) => (known ? lookupField({ fields: known, path })?.type : undefined);
  const schema = toCanonical
    ? customFields && customFields.length > 0
      ? withCustomFields({ entity: mapping.entity, fields: customFields })
      : entitySchema(mapping.entity)
    : undefined;

  const plainFields: PlainField[] = [];
  const arrays = new Map<string, ArrayField>();
  const entries = Object.entries(mapping.fields);
  for (const [field, expression] of entries) {
    const target = parseTarget(field);
    if (typeof target === 'string' || target.kind !== 'context') continue;
    arrays.set(target.arrayKey, {
      field,
      compiled: compileExpression(expression),
      path: target.head,
      items: [],
    });
  }
  for (const [field, expression] of entries) {
    const target = parseTarget(field);
    if (typeof target === 'string') continue;
    const compiled = compileExpression(expression);
    if (target.kind === 'plain') {
      plainFields.push({ field, compiled, path: target.head, type: typeOf(field) });
    } else if (target.kind === 'item') {
      arrays.get(target.arrayKey)?.items.push({
        field,
        compiled,
        tail: target.tail,
        type: typeOf(field),
      });
    }
  }
  const arrayFields = [...arrays.values()];
  const expressionFor = (issuePath: string): { field: string; expression: string } => {
    const normalized = issuePath.replace(/\[\d+\]/g, '[]');
    const parts = normalized.split('.');
    for (let i = parts.length; i > 0; i--) {
      const candidate = parts.slice(0, i).join('.');
      const expression =
        mapping.fields[candidate] ?? mapping.fields[candidate.replace(/\[\]$/, '')];
      if (expression !== undefined) return { field: candidate, expression };
    }
    return { field: normalized, expression: '' };
  };

  /** `collect` keeps every expression's raw result (for previews); mapping does not need it. */
  async function run(record: unknown, collect = false): Promise<Run> {
    const value: Record<string, unknown> = {};
    const errors: FieldError[] = [];
    const results = new Map<string, unknown>();
    const failed = new Set<string>();
    const fail = ({ field, expression, message }: FieldError) => {
      errors.push({ field, expression, message });
      failed.add(field);
    };

    for (const f of plainFields) {
      let result: unknown;
      try {
        result = evaluate(f.compiled, { input: record, bindings: HELPER_BINDINGS });
        if (result instanceof Promise) result = await result;
      } catch (error) {
        fail({ field: f.field, expression: f.compiled.text, message: expressionError(error) });
        continue;
      }
      if (collect) results.set(f.field, result);
      if (result === undefined) continue;
      const coerced: Coerced = f.type
        ? coerce({ value: result, type: f.type })
        : { ok: true, value: result };
      if (!coerced.ok) {
        fail({ field: f.field, expression: f.compiled.text, message: coerced.message });
        continue;
      }
      setPath(value, f.path, coerced.value);
    }

    if (arrayFields.length > 0) {
      const itemBindings = { ...HELPER_BINDINGS, record };
      for (const a of arrayFields) {
        let source: unknown;
        try {
          source = evaluate(a.compiled, { input: record, bindings: HELPER_BINDINGS });
          if (source instanceof Promise) source = await source;
        } catch (error) {
          fail({ field: a.field, expression: a.compiled.text, message: expressionError(error) });
          continue;
        }
        results.set(a.field, source);
        if (source === undefined) continue;
        if (source === null) {
          setPath(value, a.path, null);
          continue;
        }
        const elements = Array.isArray(source) ? (source as unknown[]) : [source];
        const out: Record<string, unknown>[] = elements.map(() => ({}));
        for (const item of a.items) {
          const perItem: unknown[] = [];
          for (let i = 0; i < elements.length; i++) {
            const element = elements[i];
            const field = `${a.path.join('.')}[${i}].${item.tail.join('.')}`;
            let result: unknown;
            try {
              result = evaluate(item.compiled, { input: element, bindings: itemBindings });
              if (result instanceof Promise) result = await result;
            } catch (error) {
              fail({ field, expression: item.compiled.text, message: expressionError(error) });
              continue;
            }
            perItem.push(result);
            if (result === undefined) continue;
            const coerced = item.type
              ? coerce({ value: result, type: item.type })
              : { ok: true as const, value: result };
            if (!coerced.ok) {
              fail({ field, expression: item.compiled.text, message: coerced.message });
              continue;
            }
            setPath(out[i]!, item.tail, coerced.value);
          }
          results.set(item.field, perItem);
        }
        setPath(value, a.path, out);
      }
    }

    if (schema) {
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const path = issue.path
            .map((p, i) =>
              typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`,
            )
            .join('');
          if (failed.has(path)) continue;
          const { field, expression } = expressionFor(path);
          errors.push({ field: path === '' ? field : path, expression, message: issue.message });
        }
      }
    }
    return { value, errors, results };
  }

  return { run };
}

/**
 * Compiles every expression of a mapping once; throws `validation_failed` (listing each bad
 * field) when `validateMapping` finds problems. `apply` never throws: per-field failures
 * (a helper refusing its input, a value of the wrong type) come back in `errors`.
 */
export function compileMapping(input: MappingInput): CompiledMapping {
  const { mapping, customFields } = unpack(input);
  const problems = validateMapping(customFields ? { mapping, customFields } : { mapping });
  if (problems.length > 0) {
    throw new AppError(
      'validation_failed',
      `invalid mapping: ${problems.map((p) => `${p.field || '(mapping)'}: ${p.message}`).join('; ')}`,
      { errors: problems },
    );
  }
  const engine = buildEngine({ mapping, customFields });
  const apply = async (record: unknown): Promise<ApplyResult> => {
    const { value, errors } = await engine.run(record);
    return { value, errors };
  };
  return {
    apply,
    async applyMany(records) {
      const out: ApplyResult[] = [];
      for (const record of records) out.push(await apply(record));
      return out;
    },
  };
}

export interface PreviewRow {
  field: string;
  expression: string;
  /** The source value, when the expression is a plain path into the record. */
  source?: unknown;
  result: unknown;
  error?: string;
}

/**
 * One row per mapped field showing what it reads and produces for one sample record. Invalid
 * fields show their validation error; the rest are still evaluated.
 */
export async function preview({
  mapping,
  record,
  customFields,
}: {
  mapping: Mapping;
  record: unknown;
  customFields?: readonly CustomField[];
}): Promise<PreviewRow[]> {
  const problems = validateMapping(customFields ? { mapping, customFields } : { mapping });
  if (problems.some((p) => p.field === '')) {
    return problems.map((p) => ({
      field: p.field,
      expression: p.expression,
      result: undefined,
      error: p.message,
    }));
  }
  const bad = new Map(problems.map((p) => [p.field, p.message]));
  const good: Record<string, string> = {};
  for (const [field, expression] of Object.entries(mapping.fields)) {
    if (!bad.has(field)) good[field] = expression;
  }
  const run = await buildEngine({
    mapping: { ...mapping, fields: good },
    customFields,
  }).run(record, true);
  const errorsByField = new Map<string, string[]>();
  for (const error of run.errors) {
    const key = Object.hasOwn(mapping.fields, error.field)
      ? error.field
      : error.field.replace(/\[\d+\]/g, '[]');
    errorsByField.set(key, [...(errorsByField.get(key) ?? []), `${error.field}: ${error.message}`]);
  }
  const contexts = new Map<string, unknown>();
  for (const field of Object.keys(mapping.fields)) {
    const target = parseTarget(field);
    if (typeof target === 'string' || target.kind !== 'context') continue;
    const r = run.results.get(field);
    contexts.set(target.arrayKey, Array.isArray(r) ? r : r === undefined ? r : [r]);
  }
  return Object.entries(mapping.fields).map(([field, expression]) => {
    const row: PreviewRow = { field, expression, result: undefined };
    const invalid = bad.get(field);
    if (invalid !== undefined) {
      row.error = invalid;
      return row;
    }
    row.result = run.results.get(field);
    const target = parseTarget(field);
    let compiled: CompiledExpression | undefined;
    try {
      compiled = compileExpression(expression);
    } catch {
      compiled = undefined;
    }
    if (compiled?.path && typeof target !== 'string') {
      if (target.kind === 'item') {
        const elements = contexts.get(target.arrayKey);
        if (Array.isArray(elements)) {
          const path = compiled.path;
          row.source = elements.map((e) => {
            const v = path(e);
            return v === FALLBACK ? undefined : v;
          });
        }
      } else {
        const v = compiled.path(record);
        if (v !== FALLBACK) row.source = v;
      }
    }
    const fieldErrors = errorsByField.get(field);
    if (fieldErrors) row.error = fieldErrors.join('; ');
    return row;
  });
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.every(isEmptyValue);
  if (typeof value === 'object') return Object.values(value).every(isEmptyValue);
  return false;
}

/**
 * True when a record that holds data maps to nothing: every value target came out empty (`raw`,
 * a copy of the record, and `[]` selectors aside). Each field alone looks merely unset, so the
 * usual cause, paths written for another shape (`data[].email` applied to one record), would
 * otherwise go unnoticed.
 */
export function mapsNothing({
  rows,
  record,
}: {
  rows: readonly PreviewRow[];
  record: unknown;
}): boolean {
  if (isEmptyValue(record)) return false;
  const values = rows.filter((r) => r.field !== '' && r.field !== 'raw' && !r.field.endsWith('[]'));
  return values.length > 0 && values.every((r) => isEmptyValue(r.result));
}

/** Reads a dot path (no arrays) from a record; used to compare round trips. */
export function readPath({ record, path }: { record: unknown; path: string }): unknown {
  return getPath(record, path.split('.'));
}
