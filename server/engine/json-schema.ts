/**
 * Validation of action input against the action's JSON Schema.
 *
 * Schemas come from imported third-party specs, so they are untrusted: the validator interprets
 * them (no code generation), bounds its work, never fetches anything, and never writes to the
 * schema or the value it checks. `compileSchema` turns a schema into a graph of small checks once
 * (cached by content), and `validate` walks that graph over a value.
 *
 * Decisions:
 * - `$ref` resolves inside the schema only: JSON pointers (`#/components/schemas/X`), `$id`s and
 *   anchors in the same document. A spec's components are resolved by compiling the operation's
 *   schema with them alongside, `{ ...schema, components }`, so `#/components/...` refs resolve
 *   unchanged against that root. A `$ref` to another document (a URL or a file) is never fetched
 *   and accepts anything, like `{}`: the upstream API stays the authority on those parts. A `$ref`
 *   into the document that points at nothing fails compilation: the document is broken.
 * - Formats: the ones in FORMATS are checked (each on the JSON types it describes); any other
 *   format name, vendor formats included, is an annotation and never an error. The standard
 *   string formats come from @cfworker/json-schema. Its validator itself is not used: it has no
 *   bound on work or depth (deep data or `$ref: '#'` overflow the stack), throws on unresolved
 *   refs and on patterns that are invalid in unicode mode, runs patterns on the backtracking
 *   RegExp engine, checks formats on strings only, and looks format names up on a plain object
 *   (`format: '__proto__'` throws).
 * - `pattern` and `patternProperties` run on a linear-time matcher (regex.ts), never on the
 *   backtracking RegExp engine, so a hostile pattern cannot stall the process. A pattern that
 *   is not valid ECMAScript, or uses what that matcher does not support (backreferences,
 *   lookaround, \p{…}), is not enforced.
 * - Limits (SCHEMA_LIMITS): compilation refuses subschemas nested deeper than 64 or more than
 *   100,000 of them, and `$ref` loops that never reach a property or item. Validation refuses a
 *   value nested deeper than 128 or holding more than 1,000,000 values, and stops after
 *   1,000,000 schema-on-value visits (pattern and format work is charged too), answering
 *   `{ keyword: 'limit' }` instead of hanging. At most 50 issues are listed, then "…and N more".
 * - A keyword whose value is malformed (`minimum: "5"`, `type: "file"`) is ignored rather than
 *   failing the whole action.
 * - `$dynamicRef` and `$recursiveRef` resolve statically, like `$ref`.
 * - Dialect `openapi-3.0`: `nullable: true` admits null (also beside a `$ref` or a composition,
 *   as Stripe writes it); siblings of `$ref` are otherwise ignored; `$id` is not a keyword; a
 *   property marked `readOnly` is not required in input. Everywhere: the boolean form of
 *   `exclusiveMinimum`/`exclusiveMaximum` (draft 4) is read as the number form; `discriminator`,
 *   `xml`, `externalDocs`, `example`, `readOnly`/`writeOnly` and `x-*` keys do not affect the result.
 */
import { createHash } from 'node:crypto';
import { format as standardFormats } from '@cfworker/json-schema';
import { AppError } from '../errors.ts';
import { compileRegex, REGEX_LIMITS, regexCost, regexTest, type LinearRegex } from './regex.ts';

export type SchemaDialect = 'openapi-3.0' | '2020-12' | '2019-09' | '7' | '4';

export interface SchemaIssue {
  /** JSON pointer to the offending value: `/customer/email`; `''` is the whole input. */
  path: string;
  /** Reads after the path: "must be a string", "is required". */
  message: string;
  /** The schema keyword that failed, or `limit` when the input was too big to check. */
  keyword: string;
}

export type ValidationResult = { valid: true } | { valid: false; errors: SchemaIssue[] };

export interface SchemaValidator {
  validate(value: unknown): ValidationResult;
}

export const SCHEMA_LIMITS = {
  /** Nesting of subschemas inside one schema object. */
  maxSchemaDepth: 64,
  /** Subschemas reachable from the root, refs followed. */
  maxSchemaNodes: 100_000,
  /** Nesting of arrays and objects in a validated value. */
  maxDataDepth: 128,
  /** Values in a validated value, and schema-on-value visits in one validation. */
  maxWork: 1_000_000,
  /** Issues reported in full; the rest are counted in a final "…and N more". */
  maxErrors: 50,
  /** Compiled validators kept (least recently used are dropped). */
  cacheEntries: 1_000,
  /** Longest `pattern` compiled, in characters. */
  maxPatternLength: REGEX_LIMITS.maxLength,
  /** Largest compiled pattern (counted repetitions expanded), in matcher instructions. */
  maxPatternProgram: REGEX_LIMITS.maxProgram,
} as const;

const TOO_COMPLEX = 'input too complex to validate';
const TOO_DEEP = `input nested more than ${SCHEMA_LIMITS.maxDataDepth} levels deep`;
// Nested in-place evaluations (refs, allOf, …) per validation; far above what real schemas
// reach on data within maxDataDepth, and well inside the call stack.
const MAX_EVALUATION_DEPTH = 1_000;
// Thrown to unwind a validation that ran out of budget; caught in `validate`.
const outOfBudget = new Error(TOO_COMPLEX);

// ---------------------------------------------------------------------------------------------
// Public entry points

const cache = new Map<string, SchemaValidator | AppError>();

/**
 * Compiles a JSON Schema (or an OpenAPI 3.0 schema object) into a reusable validator. Validators
 * are cached by the schema's content and dialect. Throws `AppError('validation_failed')` when the
 * schema is not usable (too deep, too big, a `$ref` that resolves to nothing, a `$ref` loop).
 *
 * The dialect defaults to the one named by the root's `$schema`, else 2020-12.
 */
export function compileSchema(
  schema: unknown,
  opts: { dialect?: SchemaDialect } = {},
): SchemaValidator {
  const dialect = opts.dialect ?? dialectOf(schema) ?? '2020-12';
  let json: string | undefined;
  try {
    json = JSON.stringify(schema);
  } catch {
    // A cycle (TypeError) or nesting beyond the call stack (RangeError).
    throw compileError({ message: 'the schema is not JSON (a cycle, or nested far too deeply)' });
  }
  if (json === undefined) {
    throw compileError({ message: 'a schema must be an object or a boolean' });
  }
  const key = `${dialect}:${createHash('sha256').update(json).digest('base64')}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    if (hit instanceof AppError) throw hit;
    return hit;
  }
  let entry: SchemaValidator | AppError;
  try {
    // Compile a parsed copy: detached from the caller's object and exactly what was hashed.
    entry = build({ root: JSON.parse(json) as unknown, dialect });
  } catch (error) {
    if (error instanceof RangeError) entry = compileError({ message: 'the schema is too complex' });
    else if (error instanceof AppError) entry = error;
    else throw error;
  }
  cache.set(key, entry);
  if (cache.size > SCHEMA_LIMITS.cacheEntries) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  if (entry instanceof AppError) throw entry;
  return entry;
}

/** Number of compiled schemas held in the cache (for tests and metrics). */
export function schemaCacheSize(): number {
  return cache.size;
}

function dialectOf(schema: unknown): SchemaDialect | undefined {
  const uri = isObject(schema) ? own(schema, '$schema') : undefined;
  if (typeof uri !== 'string') return undefined;
  if (uri.includes('2020-12')) return '2020-12';
  if (uri.includes('2019-09')) return '2019-09';
  if (uri.includes('draft-07') || uri.includes('draft-06')) return '7';
  if (uri.includes('draft-04')) return '4';
  return undefined;
}

function compileError({ message, at }: { message: string; at?: string }): AppError {
  const where = at === undefined ? '' : ` (at ${at.length > 200 ? `${at.slice(0, 200)}…` : at})`;
  return new AppError('validation_failed', `unusable input schema: ${message}${where}`, {
    ...(at !== undefined && { at }),
  });
}

// ---------------------------------------------------------------------------------------------
// Validation

type Path = { readonly parent: Path; readonly key: string | number } | null;

interface Issue {
  path: Path;
  keyword: string;
  message: string;
  /** For type failures: the allowed types, so that anyOf/oneOf can summarise them. */
  expected: readonly string[] | undefined;
}

/** Where a check reports failures: `issues: null` only asks whether the value passes. */
interface Sink {
  issues: Issue[] | null;
  total: number;
}

interface Run {
  work: number;
  depth: number;
}

/** Properties and items evaluated so far, for unevaluatedProperties/unevaluatedItems. */
interface Evaluated {
  props: Set<string>;
  items: Set<number>;
  allItems: boolean;
}

interface Visit {
  value: unknown;
  path: Path;
  run: Run;
  sink: Sink;
  evaluated: Evaluated | null;
}

type Check = (v: Visit) => boolean;

interface Node {
  /** Where the schema sits, for compile errors. */
  at: string;
  check: Check;
  checks: Check[];
  nullable: boolean;
  tracksEvaluation: boolean;
  /** Subschemas applied to the same value: a cycle through these would never end. */
  inPlace: Node[];
}

function flagSink(): Sink {
  return { issues: null, total: 0 };
}

function report({
  v,
  keyword,
  message,
  path = v.path,
  expected,
}: {
  v: Visit;
  keyword: string;
  message: string;
  path?: Path;
  expected?: readonly string[];
}): false {
  const sink = v.sink;
  sink.total++;
  if (sink.issues !== null && sink.issues.length < SCHEMA_LIMITS.maxErrors) {
    sink.issues.push({ path, keyword, message, expected });
  }
  return false;
}

function charge({ run, units }: { run: Run; units: number }): void {
  run.work += units;
  if (run.work > SCHEMA_LIMITS.maxWork) throw outOfBudget;
}

function childPath({ path, key }: { path: Path; key: string | number }): Path {
  return { parent: path, key };
}

function renderPath(path: Path): string {
  const keys: string[] = [];
  for (let p = path; p !== null; p = p.parent) {
    keys.push(String(p.key).replaceAll('~', '~0').replaceAll('/', '~1'));
  }
  return keys.length === 0 ? '' : `/${keys.reverse().join('/')}`;
}

function newEvaluated(): Evaluated {
  return { props: new Set(), items: new Set(), allItems: false };
}

function mergeEvaluated({ into, from }: { into: Evaluated; from: Evaluated }): void {
  for (const key of from.props) into.props.add(key);
  for (const index of from.items) into.items.add(index);
  if (from.allItems) into.allItems = true;
}

/** Checks `node` against the same value, passing on what it evaluated if it passes. */
function applyInPlace({ v, node }: { v: Visit; node: Node }): boolean {
  if (v.evaluated === null) return node.check(v);
  const evaluated = newEvaluated();
  const ok = node.check({ ...v, evaluated });
  if (ok) mergeEvaluated({ into: v.evaluated, from: evaluated });
  return ok;
}

function applyToChild({
  v,
  node,
  key,
  value,
}: {
  v: Visit;
  node: Node;
  key: string | number;
  value: unknown;
}): boolean {
  return node.check({
    value,
    path: childPath({ path: v.path, key }),
    run: v.run,
    sink: v.sink,
    evaluated: null,
  });
}

function runNode({ node, v }: { node: Node; v: Visit }): boolean {
  const run = v.run;
  if (++run.work > SCHEMA_LIMITS.maxWork) throw outOfBudget;
  if (node.nullable && v.value === null) return true;
  if (++run.depth > MAX_EVALUATION_DEPTH) throw outOfBudget;
  let visit = v;
  if (v.evaluated === null && node.tracksEvaluation) visit = { ...v, evaluated: newEvaluated() };
  const detailed = v.sink.issues !== null;
  let ok = true;
  for (const check of node.checks) {
    if (!check(visit)) {
      ok = false;
      if (!detailed) break;
    }
  }
  run.depth--;
  return ok;
}

/** Counts values and nesting up front, so that no later step meets data it cannot finish. */
function measure(value: unknown): string | null {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  let count = 1;
  while (values.length > 0) {
    const current = values.pop();
    const depth = depths.pop() ?? 0;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= SCHEMA_LIMITS.maxDataDepth) return TOO_DEEP;
    const children: unknown[] = Array.isArray(current)
      ? current
      : Object.values(current as Record<string, unknown>);
    count += children.length;
    if (count > SCHEMA_LIMITS.maxWork) return TOO_COMPLEX;
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return null;
}

function limitResult(message: string): ValidationResult {
  return { valid: false, errors: [{ path: '', message, keyword: 'limit' }] };
}

function makeValidator(root: Node): SchemaValidator {
  return {
    validate(value: unknown): ValidationResult {
      const refused = measure(value);
      if (refused !== null) return limitResult(refused);
      const sink: Sink = { issues: [], total: 0 };
      const run: Run = { work: 0, depth: 0 };
      try {
        if (root.check({ value, path: null, run, sink, evaluated: null })) return { valid: true };
      } catch (error) {
        // The stack guard is a backstop: the depth limits keep real schemas well inside it.
        if (error === outOfBudget || error instanceof RangeError) return limitResult(TOO_COMPLEX);
        throw error;
      }
      const issues = sink.issues ?? [];
      const errors: SchemaIssue[] = issues.map((issue) => ({
        path: renderPath(issue.path),
        message: issue.message,
        keyword: issue.keyword,
      }));
      if (sink.total > issues.length) {
        errors.push({
          path: '',
          message: `…and ${sink.total - issues.length} more`,
          keyword: 'truncated',
        });
      }
      if (errors.length === 0) {
        // A failure is always reported; this only guards the invariant.
        errors.push({ path: '', message: 'is invalid', keyword: 'schema' });
      }
      return { valid: false, errors };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// JSON helpers

type JsonType = 'null' | 'boolean' | 'object' | 'array' | 'number' | 'string';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: never `constructor`, `__proto__` or anything else inherited. */
function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function typeOf(value: unknown): JsonType | 'other' {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'number':
      return Number.isFinite(value) ? 'number' : 'other';
    case 'object':
      return Array.isArray(value) ? 'array' : 'object';
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      return 'other';
  }
  return 'other';
}

/** JSON equality (numbers by value, object keys in any order). Depth is bounded by `measure`. */
function jsonEqual({ a, b, run }: { a: unknown; b: unknown; run: Run }): boolean {
  charge({ run, units: 1 });
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual({ a: item, b: b[i], run }));
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  return ak.every((key) => Object.hasOwn(bo, key) && jsonEqual({ a: ao[key], b: bo[key], run }));
}

/** A string equal for JSON-equal values, for uniqueItems. */
function canonical({ value, run }: { value: unknown; run: Run }): string {
  charge({ run, units: 1 });
  if (Array.isArray(value))
    return `[${value.map((item) => canonical({ value: item, run })).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical({ value: value[key], run })}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

function plural({ n, one, many = `${one}s` }: { n: number; one: string; many?: string }): string {
  return `${n} ${n === 1 ? one : many}`;
}

const TYPE_NOUN: Record<string, string> = {
  null: 'null',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  number: 'a number',
  integer: 'an integer',
  string: 'a string',
};

function typeMessage(types: readonly string[]): string {
  return `must be ${orList(types.map((t) => TYPE_NOUN[t] ?? t))}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Formats

interface FormatCheck {
  /** The JSON types the format describes; values of other types are not its concern. */
  types: readonly JsonType[];
  test: (value: string | number) => boolean;
  message: string;
}

function standardFormat(name: string): (value: string | number) => boolean {
  const test = Object.hasOwn(standardFormats, name) ? standardFormats[name] : undefined;
  if (test === undefined)
    throw new Error(`@cfworker/json-schema no longer provides format ${name}`);
  return (value) => typeof value === 'string' && test(value);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DECIMAL = /^-?(?:\d+(?:\.\d+)?|\.\d+)$/;
const ANYTHING = (): boolean => true;

const FORMATS: ReadonlyMap<string, FormatCheck> = new Map<string, FormatCheck>([
  [
    'date-time',
    {
      types: ['string'],
      test: standardFormat('date-time'),
      message: 'must be an RFC 3339 date-time, such as 2024-01-31T12:00:00Z',
    },
  ],
  [
    'date',
    {
      types: ['string'],
      test: standardFormat('date'),
      message: 'must be a date, such as 2024-01-31',
    },
  ],
  [
    'time',
    {
      types: ['string'],
      test: standardFormat('time'),
      message: 'must be an RFC 3339 time with an offset, such as 12:00:00Z',
    },
  ],
  [
    'email',
    { types: ['string'], test: standardFormat('email'), message: 'must be an email address' },
  ],
  ['uri', { types: ['string'], test: standardFormat('uri'), message: 'must be an absolute URI' }],
  ['uuid', { types: ['string'], test: standardFormat('uuid'), message: 'must be a UUID' }],
  ['ipv4', { types: ['string'], test: standardFormat('ipv4'), message: 'must be an IPv4 address' }],
  ['ipv6', { types: ['string'], test: standardFormat('ipv6'), message: 'must be an IPv6 address' }],
  [
    'byte',
    {
      types: ['string'],
      test: (s) => typeof s === 'string' && s.length % 4 === 0 && BASE64.test(s),
      message: 'must be base64-encoded',
    },
  ],
  ['binary', { types: [], test: ANYTHING, message: '' }],
  ['password', { types: [], test: ANYTHING, message: '' }],
  [
    'int32',
    {
      types: ['number'],
      test: (n) => Number.isInteger(n) && Number(n) >= -(2 ** 31) && Number(n) < 2 ** 31,
      message: 'must be a 32-bit integer',
    },
  ],
  [
    'int64',
    {
      types: ['number'],
      test: (n) => Number.isInteger(n) && Number(n) >= -(2 ** 63) && Number(n) < 2 ** 63,
      message: 'must be a 64-bit integer',
    },
  ],
  [
    'float',
    {
      types: ['number'],
      test: (n) => Math.abs(Number(n)) <= 3.4028234663852886e38,
      message: 'must fit a 32-bit float',
    },
  ],
  [
    'double',
    { types: ['number'], test: (n) => Number.isFinite(n), message: 'must be a finite number' },
  ],
  [
    // Stripe: a timestamp in whole seconds.
    'unix-time',
    {
      types: ['number'],
      test: (n) => Number.isInteger(n) && Number(n) >= 0,
      message: 'must be a Unix time in whole seconds (an integer >= 0)',
    },
  ],
  [
    // Stripe: a decimal number, sent as a string to keep its precision (or as a number).
    'decimal',
    {
      types: ['string', 'number'],
      test: (v) => typeof v === 'number' || DECIMAL.test(v),
      message: 'must be a decimal number, such as 12.5',
    },
  ],
]);

// ---------------------------------------------------------------------------------------------
// Patterns run on the linear-time matcher of regex.ts; their work is charged to the budget.

interface Pattern {
  source: string;
  regex: LinearRegex;
}

/** A matcher for `source`, or undefined when the pattern is not enforced (see the header). */
function compilePattern(source: unknown): Pattern | undefined {
  const regex = compileRegex(source);
  return regex === undefined ? undefined : { source: regex.source, regex };
}

function patternMatches({
  pattern,
  input,
  run,
}: {
  pattern: Pattern;
  input: string;
  run: Run;
}): boolean {
  charge({ run, units: regexCost({ regex: pattern.regex, input }) });
  return regexTest({ regex: pattern.regex, input });
}

// ---------------------------------------------------------------------------------------------
// Compilation

const DEFAULT_BASE = 'https://schema.weft.invalid/root.json';

interface Pending {
  node: Node;
  raw: Record<string, unknown>;
  base: string;
  depth: number;
}

interface Resource {
  raw: unknown;
  base: string;
}

interface Compiler {
  root: unknown;
  dialect: SchemaDialect;
  memo: Map<object, Node>;
  nodes: Node[];
  queue: Pending[];
  /** Built on the first reference that needs it: `$id`s and anchors of the document. */
  index: { resources: Map<string, Resource>; anchors: Map<string, Resource> } | undefined;
}

function newNode(at: string): Node {
  const node: Node = {
    at,
    check: () => true,
    checks: [],
    nullable: false,
    tracksEvaluation: false,
    inPlace: [],
  };
  node.check = (v) => runNode({ node, v });
  return node;
}

function constantNode(pass: boolean): Node {
  const node = newNode('');
  node.check = pass
    ? () => true
    : (v) => {
        if (++v.run.work > SCHEMA_LIMITS.maxWork) throw outOfBudget;
        return report({ v, keyword: 'false', message: 'is not allowed' });
      };
  return node;
}

const ACCEPT = constantNode(true);
const REJECT = constantNode(false);

function pointerTo({ at, key }: { at: string; key: string | number }): string {
  return `${at}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

function build({ root, dialect }: { root: unknown; dialect: SchemaDialect }): SchemaValidator {
  if (typeof root !== 'boolean' && !isObject(root)) {
    throw compileError({ message: 'a schema must be an object or a boolean' });
  }
  const c: Compiler = { root, dialect, memo: new Map(), nodes: [], queue: [], index: undefined };
  const rootNode = nodeFor({ c, raw: root, base: DEFAULT_BASE, depth: 0, at: '#' });
  // Breadth first, off the call stack: a deep or self-referencing schema cannot overflow it.
  for (let i = 0; i < c.queue.length; i++) {
    const pending = c.queue[i];
    if (pending !== undefined) fill({ c, pending });
  }
  findLoops(c.nodes);
  return makeValidator(rootNode);
}

function nodeFor({
  c,
  raw,
  base,
  depth,
  at,
}: {
  c: Compiler;
  raw: unknown;
  base: string;
  depth: number;
  at: string;
}): Node {
  if (raw === false) return REJECT;
  if (!isObject(raw)) return ACCEPT; // true, or a malformed subschema
  const seen = c.memo.get(raw);
  if (seen !== undefined) return seen;
  if (depth > SCHEMA_LIMITS.maxSchemaDepth) {
    throw compileError({
      message: `subschemas nest more than ${SCHEMA_LIMITS.maxSchemaDepth} levels deep`,
      at,
    });
  }
  if (c.nodes.length >= SCHEMA_LIMITS.maxSchemaNodes) {
    throw compileError({
      message: `the schema has more than ${SCHEMA_LIMITS.maxSchemaNodes} subschemas`,
    });
  }
  const node = newNode(at);
  c.memo.set(raw, node);
  c.nodes.push(node);
  c.queue.push({ node, raw, base, depth });
  return node;
}

/** Fails compilation on a cycle of in-place subschemas (`A: { $ref: A }`), which never ends. */
function findLoops(nodes: readonly Node[]): void {
  const state = new Map<Node, 'open' | 'done'>();
  for (const start of nodes) {
    if (state.has(start)) continue;
    state.set(start, 'open');
    const stack: { node: Node; next: number }[] = [{ node: start, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const target = top.node.inPlace[top.next++];
      if (target === undefined) {
        state.set(top.node, 'done');
        stack.pop();
        continue;
      }
      const seen = state.get(target);
      if (seen === 'open') {
        throw compileError({
          message: 'a $ref loop applies a schema to the same value forever',
          at: target.at,
        });
      }
      if (seen === undefined) {
        state.set(target, 'open');
        stack.push({ node: target, next: 0 });
      }
    }
  }
}

// --- references

function idKeyword(dialect: SchemaDialect): string | undefined {
  if (dialect === 'openapi-3.0') return undefined;
  return dialect === '4' ? 'id' : '$id';
}

function resolveUri({ ref, base }: { ref: string; base: string }): URL | undefined {
  try {
    return new URL(ref, base);
  } catch {
    return undefined;
  }
}

function walkPointer({ from, pointer }: { from: unknown; pointer: string }): unknown {
  if (pointer === '') return from;
  let current = from;
  for (const token of pointer.slice(1).split('/')) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(key) || Number(key) >= current.length) return undefined;
      current = current[Number(key)];
    } else if (isObject(current) && Object.hasOwn(current, key)) {
      current = current[key];
    } else {
      return undefined;
    }
  }
  return current;
}

const NOT_SCHEMAS = new Set(['enum', 'const', 'default', 'example', 'examples']);

/** Indexes `$id`s and anchors, walking the document (iteratively) once per compilation. */
function indexDocument(c: Compiler): NonNullable<Compiler['index']> {
  if (c.index !== undefined) return c.index;
  const resources = new Map<string, Resource>([
    [DEFAULT_BASE, { raw: c.root, base: DEFAULT_BASE }],
  ]);
  const anchors = new Map<string, Resource>();
  const idKey = idKeyword(c.dialect);
  const stack: Resource[] = [{ raw: c.root, base: DEFAULT_BASE }];
  let visited = 0;
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined) break;
    if (++visited > SCHEMA_LIMITS.maxWork) {
      throw compileError({ message: 'the schema document is too large to index' });
    }
    const { raw } = item;
    let base = item.base;
    if (Array.isArray(raw)) {
      for (const child of raw) stack.push({ raw: child, base });
      continue;
    }
    if (!isObject(raw)) continue;
    const id = idKey === undefined ? undefined : own(raw, idKey);
    if (typeof id === 'string') {
      const url = resolveUri({ ref: id, base });
      if (url !== undefined) {
        if (url.hash.length > 1) {
          anchors.set(url.href, { raw, base });
        } else {
          url.hash = '';
          base = url.href;
          if (!resources.has(base)) resources.set(base, { raw, base });
        }
      }
    }
    for (const anchorKey of ['$anchor', '$dynamicAnchor']) {
      const anchor = own(raw, anchorKey);
      if (typeof anchor === 'string') {
        const url = resolveUri({ ref: `#${anchor}`, base });
        if (url !== undefined && !anchors.has(url.href)) anchors.set(url.href, { raw, base });
      }
    }
    for (const [key, child] of Object.entries(raw)) {
      if (!NOT_SCHEMAS.has(key)) stack.push({ raw: child, base });
    }
  }
  c.index = { resources, anchors };
  return c.index;
}

/** The node a `$ref` points at; undefined for a reference outside the document. */
function resolveRef({
  c,
  ref,
  base,
  at,
}: {
  c: Compiler;
  ref: string;
  base: string;
  at: string;
}): Node | undefined {
  const url = resolveUri({ ref, base });
  if (url === undefined)
    throw compileError({ message: `$ref "${ref}" is not a valid reference`, at });
  let fragment: string;
  try {
    fragment = decodeURIComponent(url.hash.slice(1));
  } catch {
    throw compileError({ message: `$ref "${ref}" is not a valid reference`, at });
  }
  const anchorUrl = url.href;
  url.hash = '';
  const document = url.href;
  let resource: Resource | undefined =
    document === DEFAULT_BASE ? { raw: c.root, base: DEFAULT_BASE } : undefined;
  if (resource === undefined || (fragment !== '' && !fragment.startsWith('/'))) {
    const index = indexDocument(c);
    resource = index.resources.get(document);
    if (resource === undefined) return undefined; // another document: never fetched
    if (fragment !== '' && !fragment.startsWith('/')) {
      const anchored = index.anchors.get(anchorUrl);
      if (anchored === undefined) {
        throw compileError({
          message: `$ref "${ref}" names an anchor the schema does not define`,
          at,
        });
      }
      return nodeFor({ c, raw: anchored.raw, base: anchored.base, depth: 0, at: ref });
    }
  }
  const target = walkPointer({ from: resource.raw, pointer: fragment });
  if (target === undefined) {
    throw compileError({ message: `$ref "${ref}" does not resolve within the schema`, at });
  }
  return nodeFor({ c, raw: target, base: resource.base, depth: 0, at: ref });
}

/** OpenAPI 3.0: follows local refs to see whether a property is `readOnly`. */
function isReadOnly({ c, raw }: { c: Compiler; raw: unknown }): boolean {
  let current = raw;
  for (let hops = 0; hops < 16 && isObject(current); hops++) {
    if (own(current, 'readOnly') === true) return true;
    const ref = own(current, '$ref');
    if (typeof ref !== 'string' || !ref.startsWith('#')) return false;
    let pointer: string;
    try {
      pointer = decodeURIComponent(ref.slice(1));
    } catch {
      return false;
    }
    current = walkPointer({ from: c.root, pointer });
  }
  return false;
}

// --- keywords

interface Keywords {
  c: Compiler;
  s: Record<string, unknown>;
  node: Node;
  base: string;
  depth: number;
  /** Compiles a direct subschema found under `path` (keys below this schema). */
  sub: (raw: unknown, ...path: (string | number)[]) => Node;
}

function fill({ c, pending }: { c: Compiler; pending: Pending }): void {
  const { node, raw: s, depth } = pending;
  let base = pending.base;
  const idKey = idKeyword(c.dialect);
  const id = idKey === undefined ? undefined : own(s, idKey);
  if (typeof id === 'string' && !id.startsWith('#')) {
    const url = resolveUri({ ref: id, base });
    if (url !== undefined) {
      url.hash = '';
      base = url.href;
    }
  }
  const k: Keywords = {
    c,
    s,
    node,
    base,
    depth,
    sub: (raw, ...path) =>
      nodeFor({
        c,
        raw,
        base,
        depth: depth + 1,
        at: path.reduce<string>((at, key) => pointerTo({ at, key }), node.at),
      }),
  };
  const openapi = c.dialect === 'openapi-3.0';
  node.nullable = openapi && own(s, 'nullable') === true;

  const refs = ['$ref', '$dynamicRef', '$recursiveRef'] as const;
  let hasRef = false;
  for (const keyword of refs) {
    const ref = own(s, keyword);
    if (typeof ref !== 'string') continue;
    hasRef = true;
    const target = resolveRef({ c, ref, base, at: pointerTo({ at: node.at, key: keyword }) });
    if (target === undefined) continue;
    node.inPlace.push(target);
    node.checks.push((v) => applyInPlace({ v, node: target }));
  }
  // Draft 4, draft 7 and OpenAPI 3.0: a $ref replaces its schema object.
  if (hasRef && (openapi || c.dialect === '4' || c.dialect === '7')) return;

  typeKeyword(k);
  valueKeywords(k);
  numberKeywords(k);
  stringKeywords(k);
  objectKeywords(k);
  arrayKeywords(k);
  combinationKeywords(k);
  unevaluatedKeywords(k);
}

const TYPES = new Set(['null', 'boolean', 'object', 'array', 'number', 'integer', 'string']);

function typeKeyword({ s, node }: Keywords): void {
  const raw = own(s, 'type');
  const listed = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
  const types = [
    ...new Set(listed.filter((t): t is string => typeof t === 'string' && TYPES.has(t))),
  ];
  if (types.length === 0) return;
  if (node.nullable && !types.includes('null')) types.push('null');
  const allowed = new Set(types);
  const message = typeMessage(types);
  node.checks.push((v) => {
    const t = typeOf(v.value);
    if (allowed.has(t) || (t === 'number' && allowed.has('integer') && Number.isInteger(v.value))) {
      return true;
    }
    return report({ v, keyword: 'type', message, expected: types });
  });
}

function valueKeywords({ s, node }: Keywords): void {
  const raw = own(s, 'enum');
  if (Array.isArray(raw)) {
    const list = raw as unknown[];
    const values = node.nullable && !list.includes(null) ? [...list, null] : list;
    const primitives = new Set(
      values.filter((value) => typeof value !== 'object' || value === null),
    );
    const composites = values.filter((value) => typeof value === 'object' && value !== null);
    const shown = values.slice(0, 10).map(show).join(', ');
    const message = `must be one of: ${shown}${values.length > 10 ? ', …' : ''}`;
    node.checks.push((v) => {
      const value = v.value;
      if (typeof value !== 'object' || value === null) {
        if (primitives.has(value)) return true;
      } else if (
        composites.some((candidate) => jsonEqual({ a: value, b: candidate, run: v.run }))
      ) {
        return true;
      }
      return report({ v, keyword: 'enum', message });
    });
  }
  if (Object.hasOwn(s, 'const')) {
    const expected = s['const'];
    const message = `must be equal to ${show(expected)}`;
    node.checks.push(
      (v) =>
        jsonEqual({ a: v.value, b: expected, run: v.run }) ||
        report({ v, keyword: 'const', message }),
    );
  }
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isMultipleOf({ value, divisor }: { value: number; divisor: number }): boolean {
  const quotient = value / divisor;
  if (!Number.isFinite(quotient)) return false;
  // Decimal divisors (0.01) are inexact in binary; a tiny tolerance keeps 0.3 a multiple of 0.1.
  return Math.abs(quotient - Math.round(quotient)) < 1e-9;
}

function numberKeywords({ s, node }: Keywords): void {
  let minimum = finite(own(s, 'minimum'));
  let maximum = finite(own(s, 'maximum'));
  const rawExMin = own(s, 'exclusiveMinimum');
  const rawExMax = own(s, 'exclusiveMaximum');
  // Draft 4 / OpenAPI 3.0: a boolean that makes minimum/maximum exclusive.
  let exclusiveMinimum = finite(rawExMin);
  if (rawExMin === true && minimum !== undefined)
    [exclusiveMinimum, minimum] = [minimum, undefined];
  let exclusiveMaximum = finite(rawExMax);
  if (rawExMax === true && maximum !== undefined)
    [exclusiveMaximum, maximum] = [maximum, undefined];
  const multipleOf = finite(own(s, 'multipleOf'));

  const bound = (
    keyword: string,
    limit: number | undefined,
    passes: (value: number, limit: number) => boolean,
    relation: string,
  ): void => {
    if (limit === undefined) return;
    const message = `must be ${relation} ${limit}`;
    node.checks.push(
      (v) =>
        typeof v.value !== 'number' || passes(v.value, limit) || report({ v, keyword, message }),
    );
  };
  bound('minimum', minimum, (value, limit) => value >= limit, '>=');
  bound('exclusiveMinimum', exclusiveMinimum, (value, limit) => value > limit, '>');
  bound('maximum', maximum, (value, limit) => value <= limit, '<=');
  bound('exclusiveMaximum', exclusiveMaximum, (value, limit) => value < limit, '<');
  if (multipleOf !== undefined && multipleOf > 0) {
    const message = `must be a multiple of ${multipleOf}`;
    node.checks.push(
      (v) =>
        typeof v.value !== 'number' ||
        isMultipleOf({ value: v.value, divisor: multipleOf }) ||
        report({ v, keyword: 'multipleOf', message }),
    );
  }
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function stringKeywords({ s, node }: Keywords): void {
  const minLength = count(own(s, 'minLength'));
  const maxLength = count(own(s, 'maxLength'));
  if (minLength !== undefined || maxLength !== undefined) {
    node.checks.push((v) => {
      if (typeof v.value !== 'string') return true;
      // A character is one or two UTF-16 units, so the length in units often decides alone.
      const units = v.value.length;
      if (
        (minLength === undefined || units >= minLength * 2) &&
        (maxLength === undefined || units <= maxLength)
      ) {
        return true;
      }
      charge({ run: v.run, units: units >>> 6 });
      const length = codePointLength(v.value);
      if (minLength !== undefined && length < minLength) {
        return report({
          v,
          keyword: 'minLength',
          message: `must be at least ${plural({ n: minLength, one: 'character' })} long`,
        });
      }
      if (maxLength !== undefined && length > maxLength) {
        return report({
          v,
          keyword: 'maxLength',
          message: `must be at most ${plural({ n: maxLength, one: 'character' })} long`,
        });
      }
      return true;
    });
  }
  const pattern = compilePattern(own(s, 'pattern'));
  if (pattern !== undefined) {
    const shown = pattern.source.length > 100 ? `${pattern.source.slice(0, 97)}…` : pattern.source;
    const message = `must match the pattern ${shown}`;
    node.checks.push(
      (v) =>
        typeof v.value !== 'string' ||
        patternMatches({ pattern, input: v.value, run: v.run }) ||
        report({ v, keyword: 'pattern', message }),
    );
  }
  const name = own(s, 'format');
  const format = typeof name === 'string' ? FORMATS.get(name) : undefined;
  if (format !== undefined && format.types.length > 0) {
    node.checks.push((v) => {
      const value = v.value;
      const t = typeOf(value);
      if ((t !== 'string' && t !== 'number') || !format.types.includes(t)) return true;
      if (typeof value === 'string') charge({ run: v.run, units: value.length >>> 6 });
      return (
        format.test(value as string | number) ||
        report({ v, keyword: 'format', message: format.message })
      );
    });
  }
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : undefined;
}

function objectKeywords(k: Keywords): void {
  const { c, s, node, sub } = k;
  let required = stringList(own(s, 'required'));
  const rawProperties = own(s, 'properties');
  if (required !== undefined && c.dialect === 'openapi-3.0' && isObject(rawProperties)) {
    // OpenAPI 3.0: a required readOnly property is required in responses only.
    required = required.filter((name) => !isReadOnly({ c, raw: own(rawProperties, name) }));
  }
  if (required !== undefined && required.length > 0) {
    const names = required;
    node.checks.push((v) => {
      if (!isObject(v.value)) return true;
      charge({ run: v.run, units: names.length >>> 4 });
      let ok = true;
      for (const name of names) {
        if (Object.hasOwn(v.value, name)) continue;
        ok = report({
          v,
          keyword: 'required',
          message: 'is required',
          path: childPath({ path: v.path, key: name }),
        });
        if (v.sink.issues === null) return false;
      }
      return ok;
    });
  }

  // dependentRequired, and the array form of draft 4/7 `dependencies`.
  const dependencies = new Map<string, string[]>();
  const dependentSchemas = new Map<string, Node>();
  for (const keyword of ['dependencies', 'dependentRequired', 'dependentSchemas']) {
    const map = own(s, keyword);
    if (!isObject(map)) continue;
    for (const [name, value] of Object.entries(map)) {
      const names = stringList(value);
      if (keyword !== 'dependentSchemas' && names !== undefined) dependencies.set(name, names);
      else if (keyword !== 'dependentRequired' && names === undefined) {
        dependentSchemas.set(name, sub(value, keyword, name));
      }
    }
  }
  if (dependencies.size > 0) {
    node.checks.push((v) => {
      if (!isObject(v.value)) return true;
      const object = v.value;
      let ok = true;
      for (const [name, names] of dependencies) {
        if (!Object.hasOwn(object, name)) continue;
        charge({ run: v.run, units: 1 + (names.length >>> 4) });
        for (const needed of names) {
          if (Object.hasOwn(object, needed)) continue;
          ok = report({
            v,
            keyword: 'dependentRequired',
            message: `is required when ${name} is present`,
            path: childPath({ path: v.path, key: needed }),
          });
          if (v.sink.issues === null) return false;
        }
      }
      return ok;
    });
  }
  for (const [name, dependent] of dependentSchemas) {
    node.inPlace.push(dependent);
    node.checks.push(
      (v) =>
        !isObject(v.value) || !Object.hasOwn(v.value, name) || applyInPlace({ v, node: dependent }),
    );
  }

  const minProperties = count(own(s, 'minProperties'));
  const maxProperties = count(own(s, 'maxProperties'));
  if (minProperties !== undefined || maxProperties !== undefined) {
    node.checks.push((v) => {
      if (!isObject(v.value)) return true;
      const n = Object.keys(v.value).length;
      if (minProperties !== undefined && n < minProperties) {
        return report({
          v,
          keyword: 'minProperties',
          message: `must have at least ${plural({ n: minProperties, one: 'property', many: 'properties' })}`,
        });
      }
      if (maxProperties !== undefined && n > maxProperties) {
        return report({
          v,
          keyword: 'maxProperties',
          message: `must have at most ${plural({ n: maxProperties, one: 'property', many: 'properties' })}`,
        });
      }
      return true;
    });
  }

  const properties = new Map<string, Node>();
  if (isObject(rawProperties)) {
    for (const [name, value] of Object.entries(rawProperties))
      properties.set(name, sub(value, 'properties', name));
  }
  const patternProperties: { pattern: Pattern; node: Node }[] = [];
  const rawPatterns = own(s, 'patternProperties');
  if (isObject(rawPatterns)) {
    for (const [source, value] of Object.entries(rawPatterns)) {
      const pattern = compilePattern(source);
      if (pattern !== undefined)
        patternProperties.push({ pattern, node: sub(value, 'patternProperties', source) });
    }
  }
  const rawAdditional = own(s, 'additionalProperties');
  const additional =
    rawAdditional === undefined ? undefined : sub(rawAdditional, 'additionalProperties');
  if (properties.size > 0 || patternProperties.length > 0 || additional !== undefined) {
    node.checks.push((v) => {
      if (!isObject(v.value)) return true;
      const object = v.value;
      let ok = true;
      for (const key of Object.keys(object)) {
        let matched = false;
        const property = properties.get(key);
        if (property !== undefined) {
          matched = true;
          if (!applyToChild({ v, node: property, key, value: object[key] })) {
            ok = false;
            if (v.sink.issues === null) return false;
          }
        }
        for (const entry of patternProperties) {
          if (!patternMatches({ pattern: entry.pattern, input: key, run: v.run })) continue;
          matched = true;
          if (!applyToChild({ v, node: entry.node, key, value: object[key] })) {
            ok = false;
            if (v.sink.issues === null) return false;
          }
        }
        if (!matched && additional !== undefined) {
          const passed =
            additional === REJECT
              ? report({
                  v,
                  keyword: 'additionalProperties',
                  message: 'is not an allowed property',
                  path: childPath({ path: v.path, key }),
                })
              : applyToChild({ v, node: additional, key, value: object[key] });
          if (!passed) {
            ok = false;
            if (v.sink.issues === null) return false;
          }
        }
        if (v.evaluated !== null && (matched || additional !== undefined))
          v.evaluated.props.add(key);
      }
      return ok;
    });
  }

  const rawNames = own(s, 'propertyNames');
  if (rawNames !== undefined) {
    const names = sub(rawNames, 'propertyNames');
    node.checks.push((v) => {
      if (!isObject(v.value)) return true;
      let ok = true;
      for (const key of Object.keys(v.value)) {
        const inner: Sink = { issues: [], total: 0 };
        if (names.check({ value: key, path: null, run: v.run, sink: inner, evaluated: null }))
          continue;
        const reason = inner.issues?.[0]?.message ?? 'is not allowed';
        ok = report({
          v,
          keyword: 'propertyNames',
          message: `is not an allowed property name: it ${reason}`,
          path: childPath({ path: v.path, key }),
        });
        if (v.sink.issues === null) return false;
      }
      return ok;
    });
  }
}

function arrayKeywords(k: Keywords): void {
  const { s, node, sub } = k;
  const rawPrefix = own(s, 'prefixItems');
  const rawItems = own(s, 'items');
  // Tuples are prefixItems (2020-12) or an items array (earlier drafts, accepted everywhere).
  const tupleRaw = Array.isArray(rawPrefix)
    ? rawPrefix
    : Array.isArray(rawItems)
      ? rawItems
      : undefined;
  const tupleKeyword = Array.isArray(rawPrefix) ? 'prefixItems' : 'items';
  const tuple = (tupleRaw ?? []).map((item, i) => sub(item, tupleKeyword, i));
  let rest: Node | undefined;
  let restKeyword = 'items';
  if (rawItems !== undefined && !Array.isArray(rawItems)) {
    rest = sub(rawItems, 'items');
  } else if (Array.isArray(rawItems) && own(s, 'additionalItems') !== undefined) {
    rest = sub(own(s, 'additionalItems'), 'additionalItems');
    restKeyword = 'additionalItems';
  }
  if (tuple.length > 0 || rest !== undefined) {
    const restNode = rest;
    node.checks.push((v) => {
      if (!Array.isArray(v.value)) return true;
      const items: unknown[] = v.value;
      let ok = true;
      const prefix = Math.min(tuple.length, items.length);
      for (let i = 0; i < prefix; i++) {
        const item = tuple[i];
        if (item !== undefined && !applyToChild({ v, node: item, key: i, value: items[i] })) {
          ok = false;
          if (v.sink.issues === null) return false;
        }
        v.evaluated?.items.add(i);
      }
      if (restNode !== undefined && items.length > prefix) {
        if (restNode === REJECT) {
          return report({
            v,
            keyword: restKeyword,
            message: `must have at most ${plural({ n: tuple.length, one: 'item' })}`,
          });
        }
        for (let i = prefix; i < items.length; i++) {
          if (!applyToChild({ v, node: restNode, key: i, value: items[i] })) {
            ok = false;
            if (v.sink.issues === null) return false;
          }
        }
        if (v.evaluated !== null) v.evaluated.allItems = true;
      }
      return ok;
    });
  }

  const minItems = count(own(s, 'minItems'));
  const maxItems = count(own(s, 'maxItems'));
  if (minItems !== undefined || maxItems !== undefined) {
    node.checks.push((v) => {
      if (!Array.isArray(v.value)) return true;
      if (minItems !== undefined && v.value.length < minItems) {
        return report({
          v,
          keyword: 'minItems',
          message: `must have at least ${plural({ n: minItems, one: 'item' })}`,
        });
      }
      if (maxItems !== undefined && v.value.length > maxItems) {
        return report({
          v,
          keyword: 'maxItems',
          message: `must have at most ${plural({ n: maxItems, one: 'item' })}`,
        });
      }
      return true;
    });
  }

  if (own(s, 'uniqueItems') === true) {
    node.checks.push((v) => {
      if (!Array.isArray(v.value)) return true;
      const seen = new Map<string, number>();
      const items: unknown[] = v.value;
      for (let i = 0; i < items.length; i++) {
        const key = canonical({ value: items[i], run: v.run });
        const first = seen.get(key);
        if (first !== undefined) {
          return report({
            v,
            keyword: 'uniqueItems',
            message: `must not contain duplicates (items ${first} and ${i} are equal)`,
          });
        }
        seen.set(key, i);
      }
      return true;
    });
  }

  const rawContains = own(s, 'contains');
  if (rawContains !== undefined) {
    const contains = sub(rawContains, 'contains');
    const minContains = count(own(s, 'minContains')) ?? 1;
    const maxContains = count(own(s, 'maxContains'));
    node.checks.push((v) => {
      if (!Array.isArray(v.value)) return true;
      const items: unknown[] = v.value;
      let matches = 0;
      for (let i = 0; i < items.length; i++) {
        const probe: Visit = {
          value: items[i],
          path: null,
          run: v.run,
          sink: flagSink(),
          evaluated: null,
        };
        if (contains.check(probe)) {
          matches++;
          v.evaluated?.items.add(i);
        }
      }
      if (matches < minContains) {
        return report({
          v,
          keyword: minContains === 1 ? 'contains' : 'minContains',
          message: `must contain at least ${plural({ n: minContains, one: 'item' })} matching the contains schema`,
        });
      }
      if (maxContains !== undefined && matches > maxContains) {
        return report({
          v,
          keyword: 'maxContains',
          message: `must contain at most ${plural({ n: maxContains, one: 'item' })} matching the contains schema`,
        });
      }
      return true;
    });
  }
}

interface BranchResult {
  issues: Issue[];
  total: number;
  wrongType: boolean;
}

/** Explains why no branch of anyOf/oneOf matched: the closest branch's issues, or the types. */
function reportBranches({
  v,
  branches,
  keyword,
}: {
  v: Visit;
  branches: readonly Node[];
  keyword: string;
}): false {
  const results: BranchResult[] = branches.map((branch) => {
    const sink: Sink = { issues: [], total: 0 };
    branch.check({ ...v, sink, evaluated: null });
    const issues = sink.issues ?? [];
    const wrongType = issues.some((issue) => issue.keyword === 'type' && issue.path === v.path);
    return { issues, total: sink.total, wrongType };
  });
  const summary = `must match ${keyword === 'oneOf' ? 'exactly one' : 'at least one'} schema in ${keyword}`;
  const candidates = results.filter((result) => !result.wrongType && result.total > 0);
  if (candidates.length === 0) {
    // Every branch wants another type: say which types would do.
    const expected = new Set<string>();
    for (const result of results) {
      for (const issue of result.issues) {
        if (issue.keyword === 'type' && issue.path === v.path) {
          for (const type of issue.expected ?? []) expected.add(type);
        }
      }
    }
    const types = [...expected];
    const message = types.length > 0 ? typeMessage(types) : summary;
    return report({ v, keyword, message, expected: types });
  }
  const best = candidates.reduce((a, b) => (b.total < a.total ? b : a));
  report({ v, keyword, message: summary });
  for (const issue of best.issues) report({ v, ...issue, expected: issue.expected ?? [] });
  v.sink.total += best.total - best.issues.length;
  return false;
}

function combinationKeywords(k: Keywords): void {
  const { s, node, sub } = k;
  const list = (keyword: string): Node[] | undefined => {
    const raw = own(s, keyword);
    return Array.isArray(raw) && raw.length > 0
      ? raw.map((item, i) => sub(item, keyword, i))
      : undefined;
  };

  const allOf = list('allOf');
  if (allOf !== undefined) {
    node.inPlace.push(...allOf);
    node.checks.push((v) => {
      let ok = true;
      for (const branch of allOf) {
        if (applyInPlace({ v, node: branch })) continue;
        ok = false;
        if (v.sink.issues === null) return false;
      }
      return ok;
    });
  }

  const anyOf = list('anyOf');
  if (anyOf !== undefined) {
    node.inPlace.push(...anyOf);
    node.checks.push((v) => {
      // Every branch must run when unevaluated* needs what each passing branch evaluated.
      let passed = false;
      for (const branch of anyOf) {
        if (applyInPlace({ v: { ...v, sink: flagSink() }, node: branch })) {
          passed = true;
          if (v.evaluated === null) break;
        }
      }
      if (passed) return true;
      if (v.sink.issues === null) return false;
      return reportBranches({ v, branches: anyOf, keyword: 'anyOf' });
    });
  }

  const oneOf = list('oneOf');
  if (oneOf !== undefined) {
    node.inPlace.push(...oneOf);
    node.checks.push((v) => {
      const matched: number[] = [];
      let evaluated: Evaluated | null = null;
      for (let i = 0; i < oneOf.length; i++) {
        const branch = oneOf[i];
        if (branch === undefined) continue;
        const branchEvaluated = v.evaluated === null ? null : newEvaluated();
        if (branch.check({ ...v, sink: flagSink(), evaluated: branchEvaluated })) {
          matched.push(i);
          evaluated = branchEvaluated;
          if (matched.length > 1) break;
        }
      }
      if (matched.length === 1) {
        if (v.evaluated !== null && evaluated !== null)
          mergeEvaluated({ into: v.evaluated, from: evaluated });
        return true;
      }
      if (v.sink.issues === null) return false;
      if (matched.length === 0) return reportBranches({ v, branches: oneOf, keyword: 'oneOf' });
      return report({
        v,
        keyword: 'oneOf',
        message: `must match exactly one schema in oneOf, but matches ${matched.join(' and ')}`,
      });
    });
  }

  const rawNot = own(s, 'not');
  if (rawNot !== undefined) {
    const not = sub(rawNot, 'not');
    node.inPlace.push(not);
    node.checks.push(
      (v) =>
        !not.check({ ...v, sink: flagSink(), evaluated: null }) ||
        report({ v, keyword: 'not', message: 'must not match the schema in not' }),
    );
  }

  const rawIf = own(s, 'if');
  if (rawIf !== undefined) {
    const condition = sub(rawIf, 'if');
    const rawThen = own(s, 'then');
    const rawElse = own(s, 'else');
    const then = rawThen === undefined ? undefined : sub(rawThen, 'then');
    const otherwise = rawElse === undefined ? undefined : sub(rawElse, 'else');
    node.inPlace.push(
      condition,
      ...(then === undefined ? [] : [then]),
      ...(otherwise === undefined ? [] : [otherwise]),
    );
    node.checks.push((v) => {
      const passed = applyInPlace({ v: { ...v, sink: flagSink() }, node: condition });
      const branch = passed ? then : otherwise;
      return branch === undefined || applyInPlace({ v, node: branch });
    });
  }
}

function unevaluatedKeywords({ s, node, sub }: Keywords): void {
  const rawProperties = own(s, 'unevaluatedProperties');
  const rawItems = own(s, 'unevaluatedItems');
  if (rawProperties === undefined && rawItems === undefined) return;
  node.tracksEvaluation = true;
  if (rawProperties !== undefined) {
    const rest = sub(rawProperties, 'unevaluatedProperties');
    node.checks.push((v) => {
      if (!isObject(v.value) || v.evaluated === null) return true;
      const object = v.value;
      let ok = true;
      for (const key of Object.keys(object)) {
        if (v.evaluated.props.has(key)) continue;
        const passed =
          rest === REJECT
            ? report({
                v,
                keyword: 'unevaluatedProperties',
                message: 'is not an allowed property',
                path: childPath({ path: v.path, key }),
              })
            : applyToChild({ v, node: rest, key, value: object[key] });
        if (!passed) {
          ok = false;
          if (v.sink.issues === null) return false;
        }
        v.evaluated.props.add(key);
      }
      return ok;
    });
  }
  if (rawItems !== undefined) {
    const rest = sub(rawItems, 'unevaluatedItems');
    node.checks.push((v) => {
      if (!Array.isArray(v.value) || v.evaluated === null || v.evaluated.allItems) return true;
      const items: unknown[] = v.value;
      let ok = true;
      for (let i = 0; i < items.length; i++) {
        if (v.evaluated.items.has(i)) continue;
        const passed =
          rest === REJECT
            ? report({
                v,
                keyword: 'unevaluatedItems',
                message: 'is not allowed',
                path: childPath({ path: v.path, key: i }),
              })
            : applyToChild({ v, node: rest, key: i, value: items[i] });
        if (!passed) {
          ok = false;
          if (v.sink.issues === null) return false;
        }
      }
      v.evaluated.allItems = true;
      return ok;
    });
  }
}
