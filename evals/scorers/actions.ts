// Action coverage and schema validity. Coverage: the share of the API's operations (the spec's
// paths × methods, or the documented operations of a no-spec case) that the connector has as an
// action with the same method and path (path parameter names aside). When the operations
// cannot be listed (a spec that does not parse), the count of actions over the gold's count
// stands in, capped at 1. Validity: the share of actions whose input and output schemas are
// well-formed JSON Schema with every local `$ref` resolvable.

export interface ActionCoverageScore {
  expected: number;
  covered: number;
  coverage: number;
  /** Up to 20 operations with no action, as "METHOD /path". */
  missing: string[];
  schemasValid: number;
  schemasChecked: number;
  validity: number;
  /** Up to 10 "slug: why" of invalid schemas. */
  invalid: string[];
}

interface ActionLike {
  slug: string;
  method: string;
  path: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
}

/** "GET /a/{id}" → "GET /a/{}": parameter names do not matter, their places do. */
export function operationKey(operation: string): string {
  const [method = '', path = ''] = operation.trim().split(/\s+/, 2);
  return `${method.toUpperCase()} ${path.replace(/\{[^}]*\}/g, '{}').replace(/\/+$/, '') || '/'}`;
}

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function resolvable(root: unknown, ref: string): boolean {
  if (!ref.startsWith('#')) return false;
  let node: unknown = root;
  for (const token of ref.slice(1).replace(/^\//, '').split('/').filter(Boolean)) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isObject(node) || !Object.hasOwn(node, key)) return false;
    node = node[key];
  }
  return true;
}

/** Why a schema is not well-formed JSON Schema, or null when it is (or absent). */
export function schemaProblem(schema: unknown): string | null {
  if (schema === undefined || schema === true || schema === false) return null;
  const walk = (node: unknown, at: string, depth: number): string | null => {
    if (depth > 64) return null;
    if (node === true || node === false) return null;
    if (!isObject(node)) return `${at || '/'} is not a schema`;
    const type = node['type'];
    const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
    for (const t of types)
      if (typeof t !== 'string' || !TYPES.has(t)) return `${at}/type ${JSON.stringify(t)}`;
    const ref = node['$ref'];
    if (ref !== undefined && (typeof ref !== 'string' || !resolvable(schema, ref)))
      return `${at}/$ref ${JSON.stringify(ref)} does not resolve`;
    const required = node['required'];
    if (
      required !== undefined &&
      (!Array.isArray(required) || required.some((r) => typeof r !== 'string'))
    )
      return `${at}/required is not a list of names`;
    for (const key of ['properties', 'patternProperties', '$defs', 'definitions']) {
      const map = node[key];
      if (map === undefined) continue;
      if (!isObject(map)) return `${at}/${key} is not an object`;
      for (const [name, sub] of Object.entries(map)) {
        const p = walk(sub, `${at}/${key}/${name}`, depth + 1);
        if (p !== null) return p;
      }
    }
    for (const key of ['items', 'additionalProperties', 'not', 'contains']) {
      const sub = node[key];
      if (sub === undefined) continue;
      const parts = Array.isArray(sub) && key === 'items' ? sub : [sub];
      for (const part of parts) {
        const p = walk(part, `${at}/${key}`, depth + 1);
        if (p !== null) return p;
      }
    }
    for (const key of ['allOf', 'anyOf', 'oneOf']) {
      const list = node[key];
      if (list === undefined) continue;
      if (!Array.isArray(list)) return `${at}/${key} is not a list`;
      for (const [i, part] of list.entries()) {
        const p = walk(part, `${at}/${key}/${i}`, depth + 1);
        if (p !== null) return p;
      }
    }
    return null;
  };
  return walk(schema, '', 0);
}

export function scoreActions({
  actions,
  expectedOperations,
  expectedCount,
}: {
  actions: readonly ActionLike[];
  /** Every operation the API has, "METHOD /path"; null when they cannot be listed. */
  expectedOperations: readonly string[] | null;
  expectedCount: number;
}): ActionCoverageScore {
  const built = new Set(actions.map((a) => operationKey(`${a.method} ${a.path}`)));
  let covered: number;
  let expected: number;
  const missing: string[] = [];
  if (expectedOperations === null) {
    expected = expectedCount;
    covered = Math.min(actions.length, expectedCount);
  } else {
    const keys = [...new Set(expectedOperations.map(operationKey))];
    expected = keys.length;
    covered = 0;
    for (const key of keys) {
      if (built.has(key)) covered += 1;
      else if (missing.length < 20) missing.push(key);
    }
  }
  const invalid: string[] = [];
  let schemasValid = 0;
  for (const a of actions) {
    const problem = schemaProblem(a.inputSchema) ?? schemaProblem(a.outputSchema);
    if (problem === null) schemasValid += 1;
    else if (invalid.length < 10) invalid.push(`${a.slug}: ${problem}`);
  }
  return {
    expected,
    covered,
    coverage: expected === 0 ? 1 : covered / expected,
    missing,
    schemasValid,
    schemasChecked: actions.length,
    validity: actions.length === 0 ? (expected === 0 ? 1 : 0) : schemasValid / actions.length,
    invalid,
  };
}
