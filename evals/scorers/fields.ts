// Field precision, recall and F1 over (entity, CDM field, source path) triples, read from the
// mappings that were saved (not from suggestions). The source path of a saved field is the first
// path its JSONata expression reads (`$toIso(created_at)` reads `created_at`); a line-item field
// (`lineItems[].sku`) is read relative to the array its `lineItems[]` entry names. Array markers
// and element indexes are dropped on both sides (`a[].b`, `a[0].b` and `a.b` are one path):
// whether a step is an array is the schema's business, which step was chosen is the mapping's.
import jsonata from 'jsonata';

export interface FieldScore {
  truePositives: number;
  proposed: number;
  gold: number;
  precision: number;
  recall: number;
  f1: number;
  /** Saved triples not in the gold, as `Entity.field=path` (up to 30). */
  wrong: string[];
  /** Gold triples not saved (up to 30). */
  missed: string[];
}

interface AstNode {
  type?: string;
  value?: unknown;
  steps?: AstNode[];
  arguments?: AstNode[];
  expressions?: AstNode[];
  lhs?: unknown;
  rhs?: AstNode;
  stages?: AstNode[];
  condition?: AstNode;
  then?: AstNode;
  else?: AstNode;
}

function pathOf(node: AstNode): string | null {
  if (node.type === 'name' && typeof node.value === 'string') return node.value;
  if (node.type !== 'path' || !Array.isArray(node.steps)) return null;
  const names: string[] = [];
  for (const step of node.steps) {
    if (step.type !== 'name' || typeof step.value !== 'string')
      return names.length > 0 ? names.join('.') : null;
    names.push(step.value);
  }
  return names.join('.');
}

/** The first source path an expression reads, depth first; null when it reads none. */
export function sourcePathOf(expression: string): string | null {
  let ast: AstNode;
  try {
    ast = jsonata(expression).ast();
  } catch {
    return null;
  }
  const visit = (node: unknown): string | null => {
    if (typeof node !== 'object' || node === null) return null;
    if (Array.isArray(node)) {
      for (const n of node) {
        const found = visit(n);
        if (found !== null) return found;
      }
      return null;
    }
    const n = node as AstNode;
    const direct = pathOf(n);
    if (direct !== null) return direct;
    for (const key of [
      'arguments',
      'expressions',
      'lhs',
      'rhs',
      'condition',
      'then',
      'else',
    ] as const) {
      const found = visit(n[key]);
      if (found !== null) return found;
    }
    return null;
  };
  return visit(ast);
}

/** `a[].b`, `a[0].b` → `a.b`. */
export function canonicalPath(path: string): string {
  return path
    .replace(/\[\d*\]/g, '')
    .replace(/\.+/g, '.')
    .replace(/^\.|\.$/g, '');
}

/**
 * Saved mapping fields (target → expression) as `Entity.field=path` triples. A from_canonical
 * mapping is read the other way round: its targets are the API's paths and its expressions
 * read the canonical fields (`items[].sku` ← `sku` under `items[]` ← `lineItems`).
 */
export function triplesOfMapping({
  entity,
  fields,
  direction = 'to_canonical',
}: {
  entity: string;
  fields: Readonly<Record<string, string>>;
  direction?: 'to_canonical' | 'from_canonical';
}): Set<string> {
  const arrays = new Map<string, string>();
  for (const [target, expression] of Object.entries(fields))
    if (target.endsWith('[]')) {
      const read = sourcePathOf(expression);
      if (read !== null) arrays.set(target.slice(0, -2), read);
    }
  const out = new Set<string>();
  for (const [target, expression] of Object.entries(fields)) {
    if (target.endsWith('[]')) continue;
    const read = sourcePathOf(expression);
    if (read === null) continue;
    const element = /^(.+?)\[\]\.(.+)$/.exec(target);
    const base = element === null ? undefined : arrays.get(element[1] ?? '');
    if (direction === 'to_canonical')
      out.add(
        `${entity}.${target}=${canonicalPath(base === undefined ? read : `${base}.${read}`)}`,
      );
    else
      out.add(
        `${entity}.${base === undefined ? read : `${base}[].${read}`}=${canonicalPath(target)}`,
      );
  }
  return out;
}

export function goldTriples(
  entities: Readonly<Record<string, { fields: Readonly<Record<string, string>> }>>,
): Set<string> {
  const out = new Set<string>();
  for (const [entity, { fields }] of Object.entries(entities))
    for (const [field, path] of Object.entries(fields))
      out.add(`${entity}.${field}=${canonicalPath(path)}`);
  return out;
}

export function f1Of(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

export function scoreFields({
  gold,
  saved,
}: {
  gold: ReadonlySet<string>;
  saved: ReadonlySet<string>;
}): FieldScore {
  const hits = [...saved].filter((t) => gold.has(t)).length;
  const precision = saved.size === 0 ? (gold.size === 0 ? 1 : 0) : hits / saved.size;
  const recall = gold.size === 0 ? 1 : hits / gold.size;
  return {
    truePositives: hits,
    proposed: saved.size,
    gold: gold.size,
    precision,
    recall,
    f1: f1Of(precision, recall),
    wrong: [...saved].filter((t) => !gold.has(t)).slice(0, 30),
    missed: [...gold].filter((t) => !saved.has(t)).slice(0, 30),
  };
}
