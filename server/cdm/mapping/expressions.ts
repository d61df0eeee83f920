/**
 * JSONata expressions of a mapping, compiled once per text and cached per process.
 *
 * Speed: JSONata evaluation is asynchronous and interprets an AST, which is far too slow for
 * bulk syncs with ~50 fields a record. Expressions that are plain paths (`a.b.c`, `a.b[0]`),
 * literals, object constructors or calls of our helpers on those are compiled to direct
 * property access and plain function calls. When such a path meets an array mid-way (where
 * JSONata would map over it and flatten), the fast path answers FALLBACK and JSONata evaluates
 * the expression, so results never differ.
 */
import jsonata from 'jsonata';
import { MAPPING_HELPERS } from '../helpers.ts';

export const FALLBACK = Symbol('fallback to JSONata');

/** `record` is the whole source record, for `$record.x` inside per-item expressions. */
type Fast = (input: unknown, record?: unknown) => unknown;

export interface CompiledExpression {
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

export const HELPER_BINDINGS: Record<string, unknown> = { ...MAPPING_HELPERS };

// JSONata marks result sequences with a `sequence` property; hand back plain arrays.
function plain(value: unknown): unknown {
  return Array.isArray(value) ? [...(value as unknown[])] : value;
}

// Returns synchronously on the fast path: awaiting every field of every record would cost
// more than the property reads themselves.
export function evaluate(
  compiled: CompiledExpression,
  { input, bindings }: { input: unknown; bindings: Record<string, unknown> },
): unknown {
  if (compiled.fast) {
    const value = compiled.fast(input, bindings['record']);
    if (value !== FALLBACK) return value;
  }
  return compiled.expr.evaluate(input, bindings).then(plain);
}

export function expressionError(error: unknown): string {
  const e = error as { message?: unknown; position?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  return typeof e.position === 'number' ? `${message} (at character ${e.position})` : message;
}
