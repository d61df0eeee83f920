/**
 * Compilation of a schema document into the node graph of graph.ts.
 *
 * Decisions:
 * - Subschemas are queued and filled breadth first, off the call stack, and memoized by object:
 *   a deep or self-referencing schema cannot overflow the stack, and a shared subschema compiles
 *   once.
 * - `$ref` resolves inside the document only (JSON pointers, `$id`s, anchors); the `$id`/anchor
 *   index is built on the first reference that needs it. A reference to another document is
 *   never fetched and accepts anything; one into this document that points at nothing fails.
 * - A cycle of in-place subschemas (`A: { $ref: A }`) fails compilation (`findLoops`).
 */
import { AppError } from '../../errors.ts';
import {
  arrayKeywords,
  combinationKeywords,
  objectKeywords,
  unevaluatedKeywords,
} from './applicators.ts';
import {
  ACCEPT,
  applyInPlace,
  makeValidator,
  newNode,
  REJECT,
  type Keywords,
  type Node,
} from './graph.ts';
import { numberKeywords, stringKeywords, typeKeyword, valueKeywords } from './keywords.ts';
import { SCHEMA_LIMITS, type SchemaDialect, type SchemaValidator } from './types.ts';
import { isObject, own, walkPointer } from './values.ts';

export function compileError({ message, at }: { message: string; at?: string }): AppError {
  const where = at === undefined ? '' : ` (at ${at.length > 200 ? `${at.slice(0, 200)}…` : at})`;
  return new AppError('validation_failed', `unusable input schema: ${message}${where}`, {
    ...(at !== undefined && { at }),
  });
}

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

function pointerTo({ at, key }: { at: string; key: string | number }): string {
  return `${at}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

export function build({
  root,
  dialect,
}: {
  root: unknown;
  dialect: SchemaDialect;
}): SchemaValidator {
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
    s,
    node,
    root: c.root,
    dialect: c.dialect,
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
