/**
 * Pagination of a list operation, guessed from names, since specs rarely declare it: the array
 * of results in the response (`itemsPathOf`), then cursor, offset, page or Link-header style
 * from the query parameters and the response fields that go with them. Nothing is guessed
 * without an items path: a wrong guess would page through the wrong field.
 */
import { propertiesOf, typeOf, type Json, type Resolver } from '../schema.ts';
import type { Pagination, ParameterDraft } from './context.ts';

const ITEMS_NAMES = [
  'data',
  'items',
  'results',
  'records',
  'entries',
  'values',
  'list',
  'elements',
  'objects',
  'nodes',
  'content',
  'rows',
  'hits',
  'collection',
];

const WRAPPERS = ['data', 'result', 'response', 'payload', 'body'];

/** Lists an envelope carries beside its results: never the results themselves. */
const NOT_ITEMS = /^(errors?|warnings?|messages?|links)$/i;

/** Dot path of the array of results in a list response, when there is one clear candidate. */
export function itemsPathOf({
  schema,
  resolver,
  depth = 0,
}: {
  schema: unknown;
  resolver: Resolver;
  depth?: number;
}): string | undefined {
  if (depth > 2 || typeOf({ node: schema, resolver }) === 'array') return undefined;
  const properties = propertiesOf({ node: schema, resolver });
  const arrays = [...properties]
    .filter(
      ([name, value]) =>
        isPathSegment(name) &&
        !NOT_ITEMS.test(name) &&
        typeOf({ node: value, resolver }) === 'array',
    )
    .map(([name]) => name);
  const preferred = ITEMS_NAMES.find((n) => arrays.includes(n));
  if (preferred !== undefined) return preferred;
  if (arrays.length === 1) return arrays[0];
  for (const wrapper of WRAPPERS) {
    const inner = properties.get(wrapper);
    if (inner === undefined || typeOf({ node: inner, resolver }) !== 'object') continue;
    const path = itemsPathOf({ schema: inner, resolver, depth: depth + 1 });
    if (path !== undefined) return `${wrapper}.${path}`;
  }
  return undefined;
}

/** A property name a dot path can hold: no dots, not empty, short. */
function isPathSegment(name: string): boolean {
  return name !== '' && name.length <= 60 && !name.includes('.');
}

/** Dot path of the first property (breadth-first, three levels) whose lowercased name is in `names`. */
function findPath({
  schema,
  resolver,
  names,
  type,
}: {
  schema: unknown;
  resolver: Resolver;
  names: readonly string[];
  type?: string;
}): string | undefined {
  let level: { node: unknown; prefix: string }[] = [{ node: schema, prefix: '' }];
  for (let depth = 0; depth < 3 && level.length > 0; depth++) {
    const next: { node: unknown; prefix: string }[] = [];
    const found: { path: string; rank: number }[] = [];
    for (const { node, prefix } of level.slice(0, 50)) {
      for (const [name, value] of propertiesOf({ node, resolver })) {
        if (!isPathSegment(name)) continue;
        const rank = names.indexOf(name.toLowerCase().replace(/[^a-z0-9]/g, ''));
        const valueType = typeOf({ node: value, resolver });
        if (rank >= 0 && (type === undefined || valueType === undefined || valueType === type))
          found.push({ path: `${prefix}${name}`, rank });
        if (valueType === 'object') next.push({ node: value, prefix: `${prefix}${name}.` });
      }
    }
    if (found.length > 0) return found.sort((a, b) => a.rank - b.rank)[0]?.path;
    level = next;
  }
  return undefined;
}

const CURSOR_PARAMS = [
  'startingafter',
  'cursor',
  'after',
  'pagetoken',
  'nexttoken',
  'nextpagetoken',
  'continuationtoken',
  'startcursor',
  'marker',
  'continuation',
  'pagecursor',
];

const NEXT_CURSOR_FIELDS = [
  'nextcursor',
  'nextpagetoken',
  'nexttoken',
  'continuationtoken',
  'nextmarker',
  'endcursor',
  'after',
  'cursor',
  'next',
];

const LIMIT_PARAMS = [
  'limit',
  'pagesize',
  'perpage',
  'maxresults',
  'pagelimit',
  'size',
  'count',
  'top',
  'take',
  'max',
];

const OFFSET_PARAMS = ['offset', 'skip', 'start', 'startindex'];

const PAGE_PARAMS = ['page', 'pagenumber', 'pageno', 'pageindex'];

const TOTAL_FIELDS = ['total', 'totalcount', 'totalresults', 'totalitems', 'count'];

const HAS_MORE_FIELDS = ['hasmore', 'hasnext', 'hasnextpage', 'more'];

export function paginationOf({
  parameters,
  schema,
  headers,
  resolver,
}: {
  parameters: ParameterDraft[];
  schema: unknown;
  headers: Json | undefined;
  resolver: Resolver;
}): Pagination | undefined {
  const query = new Map<string, ParameterDraft>();
  for (const p of parameters)
    if (p.in === 'query')
      query.set((p.wireName ?? p.name).toLowerCase().replace(/[^a-z0-9]/g, ''), p);
  const pick = (names: readonly string[]) =>
    names.map((n) => query.get(n)).find((p) => p !== undefined);
  const itemsPath = schema === undefined ? undefined : itemsPathOf({ schema, resolver });
  const limit = pick(LIMIT_PARAMS);

  const cursor = pick(CURSOR_PARAMS);
  if (cursor !== undefined && itemsPath !== undefined) {
    const nextCursorPath = findPath({
      schema,
      resolver,
      names: NEXT_CURSOR_FIELDS,
      type: 'string',
    });
    if (nextCursorPath !== undefined && nextCursorPath !== itemsPath)
      return {
        style: 'cursor',
        cursorParam: cursor.name,
        nextCursorPath,
        itemsPath,
        ...(limit && { limitParam: limit.name }),
      };
  }
  const offset = pick(OFFSET_PARAMS);
  const offsetType = offset?.schema?.['type'];
  if (offset !== undefined && offsetType === 'string' && itemsPath !== undefined) {
    // A string "offset" is an opaque token (Asana): the next one sits under a next-page object.
    const wire = (offset.wireName ?? offset.name).toLowerCase().replace(/[^a-z0-9]/g, '');
    const nextCursorPath = findPath({ schema, resolver, names: [wire], type: 'string' });
    if (nextCursorPath !== undefined && /next/i.test(nextCursorPath.split('.')[0] ?? ''))
      return {
        style: 'cursor',
        cursorParam: offset.name,
        nextCursorPath,
        itemsPath,
        ...(limit && { limitParam: limit.name }),
      };
    return undefined;
  }
  if (offset !== undefined && limit !== undefined && itemsPath !== undefined) {
    const totalPath =
      findPath({ schema, resolver, names: TOTAL_FIELDS, type: 'integer' }) ??
      findPath({ schema, resolver, names: TOTAL_FIELDS, type: 'number' });
    return {
      style: 'offset',
      offsetParam: offset.name,
      limitParam: limit.name,
      itemsPath,
      ...(totalPath && totalPath !== itemsPath && { totalPath }),
    };
  }
  const page = pick(PAGE_PARAMS);
  if (page !== undefined && itemsPath !== undefined) {
    const perPage = pick(LIMIT_PARAMS);
    const hasMorePath = findPath({ schema, resolver, names: HAS_MORE_FIELDS, type: 'boolean' });
    const pageSchema = page.schema ?? {};
    const firstPage = pageSchema['minimum'] === 0 || pageSchema['default'] === 0 ? 0 : 1;
    return {
      style: 'page',
      pageParam: page.name,
      itemsPath,
      firstPage,
      ...(perPage && { perPageParam: perPage.name }),
      ...(hasMorePath && { hasMorePath }),
    };
  }
  if (headers !== undefined && Object.keys(headers).some((h) => h.toLowerCase() === 'link'))
    return itemsPath === undefined ? { style: 'link' } : { style: 'link', itemsPath };
  return undefined;
}
