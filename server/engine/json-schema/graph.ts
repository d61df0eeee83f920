/**
 * The compiled form of a schema and the walk of a value through it.
 *
 * A schema compiles to a graph of Nodes, each a list of small checks; validating is calling the
 * root node's check on the value. Decisions:
 * - Work is counted on the visit (`Run`) and an exhausted budget unwinds by throwing one shared
 *   error, caught only in `makeValidator`: checks stay plain booleans, with no budget plumbing.
 * - A `Sink` with `issues: null` asks only whether the value passes, so branches probed by
 *   anyOf/oneOf/not/contains stop at their first failure instead of building messages.
 * - The value is measured (depth, size) before any check runs, so no check meets data it cannot
 *   finish.
 */
import {
  SCHEMA_LIMITS,
  type SchemaDialect,
  type SchemaIssue,
  type SchemaValidator,
  type ValidationResult,
} from './types.ts';

const TOO_COMPLEX = 'input too complex to validate';
const TOO_DEEP = `input nested more than ${SCHEMA_LIMITS.maxDataDepth} levels deep`;
// Nested in-place evaluations (refs, allOf, …) per validation; far above what real schemas
// reach on data within maxDataDepth, and well inside the call stack.
const MAX_EVALUATION_DEPTH = 1_000;
// Thrown to unwind a validation that ran out of budget; caught in `validate`.
const outOfBudget = new Error(TOO_COMPLEX);

export type Path = { readonly parent: Path; readonly key: string | number } | null;

export interface Issue {
  path: Path;
  keyword: string;
  message: string;
  /** For type failures: the allowed types, so that anyOf/oneOf can summarise them. */
  expected: readonly string[] | undefined;
}

/** Where a check reports failures: `issues: null` only asks whether the value passes. */
export interface Sink {
  issues: Issue[] | null;
  total: number;
}

export interface Run {
  work: number;
  depth: number;
}

/** Properties and items evaluated so far, for unevaluatedProperties/unevaluatedItems. */
export interface Evaluated {
  props: Set<string>;
  items: Set<number>;
  allItems: boolean;
}

export interface Visit {
  value: unknown;
  path: Path;
  run: Run;
  sink: Sink;
  evaluated: Evaluated | null;
}

type Check = (v: Visit) => boolean;

export interface Node {
  /** Where the schema sits, for compile errors. */
  at: string;
  check: Check;
  checks: Check[];
  nullable: boolean;
  tracksEvaluation: boolean;
  /** Subschemas applied to the same value: a cycle through these would never end. */
  inPlace: Node[];
}

export function flagSink(): Sink {
  return { issues: null, total: 0 };
}

export function report({
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

export function charge({ run, units }: { run: Run; units: number }): void {
  run.work += units;
  if (run.work > SCHEMA_LIMITS.maxWork) throw outOfBudget;
}

export function childPath({ path, key }: { path: Path; key: string | number }): Path {
  return { parent: path, key };
}

function renderPath(path: Path): string {
  const keys: string[] = [];
  for (let p = path; p !== null; p = p.parent) {
    keys.push(String(p.key).replaceAll('~', '~0').replaceAll('/', '~1'));
  }
  return keys.length === 0 ? '' : `/${keys.reverse().join('/')}`;
}

export function newEvaluated(): Evaluated {
  return { props: new Set(), items: new Set(), allItems: false };
}

export function mergeEvaluated({ into, from }: { into: Evaluated; from: Evaluated }): void {
  for (const key of from.props) into.props.add(key);
  for (const index of from.items) into.items.add(index);
  if (from.allItems) into.allItems = true;
}

/** Checks `node` against the same value, passing on what it evaluated if it passes. */
export function applyInPlace({ v, node }: { v: Visit; node: Node }): boolean {
  if (v.evaluated === null) return node.check(v);
  const evaluated = newEvaluated();
  const ok = node.check({ ...v, evaluated });
  if (ok) mergeEvaluated({ into: v.evaluated, from: evaluated });
  return ok;
}

export function applyToChild({
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

export function makeValidator(root: Node): SchemaValidator {
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

export function newNode(at: string): Node {
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

export const ACCEPT = constantNode(true);
export const REJECT = constantNode(false);

/**
 * What a keyword compiler gets for one schema object. Subschemas are compiled through `sub`, so
 * keyword compilers never import the compiler (compile.ts imports them).
 */
export interface Keywords {
  s: Record<string, unknown>;
  node: Node;
  /** The whole schema document, for OpenAPI 3.0's readOnly lookups through local refs. */
  root: unknown;
  dialect: SchemaDialect;
  /** Compiles a direct subschema found under `path` (keys below this schema). */
  sub: (raw: unknown, ...path: (string | number)[]) => Node;
}
