import type { z } from 'zod';
import type {
  ActionInputSchema,
  HTTP_METHODS,
  PaginationSchema,
  ParameterSchema,
} from '../domain/connector.ts';
import {
  actionSlugOf,
  humanize,
  inputNameOf,
  slugFromRoute,
  textOf,
  truncate,
  uniqueName,
} from './names.ts';
import {
  inlineSchema,
  isObject,
  own,
  propertiesOf,
  requiredOf,
  typeOf,
  viewOf,
  type InlineBudget,
  type Json,
  type Resolver,
  type SchemaDialect,
} from './schema.ts';
import { addWarning, toPointer, type ImportWarning, type SpecFormat } from './types.ts';

/** One action per operation: parameters, body, input and output schemas, pagination. */

export type ActionDraft = z.input<typeof ActionInputSchema>;
type ParameterDraft = z.input<typeof ParameterSchema>;
type Pagination = z.input<typeof PaginationSchema>;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** What later passes (events, entities, ranking) need to know about an operation. */
export interface OperationInfo {
  slug: string;
  method: HttpMethod;
  path: string;
  /** `"GET /v1/customers"` */
  route: string;
  /** JSON pointer of the operation in the spec. */
  at: string;
  op: Json;
  /** Raw (not inlined) schema of the request body, when JSON or form. */
  requestSchema: unknown;
  /** Raw schema of the first 2xx JSON response. */
  responseSchema: unknown;
  security: unknown;
  action: ActionDraft;
}

export const PATH_ITEM_METHODS = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
] as const;

// Per action: enough for the shape of real payloads, small enough that Stripe's 468 actions
// (whose schemas reach each other in cycles) stay around ten megabytes in all.
const INPUT_BUDGET = { maxRefDepth: 3, nodes: 1200, description: 1000 } as const;
const OUTPUT_BUDGET = { maxRefDepth: 2, nodes: 400, description: 240 } as const;
const MAX_PARAMETERS = 500;
/** Header parameters the engine or the auth method sets itself. */
const ENGINE_HEADERS = new Set([
  'accept',
  'content-type',
  'authorization',
  'content-length',
  'host',
]);

interface Context {
  doc: Json;
  format: SpecFormat;
  dialect: SchemaDialect;
  resolver: Resolver;
  warnings: ImportWarning[];
  slugs: Set<string>;
}

function budgetOf(limits: InlineBudget): InlineBudget {
  return { ...limits };
}

// ---------------------------------------------------------------------------------------------
// Parameters and bodies

interface RawParameter {
  param: Json;
  at: string;
}

function collectParameters({
  lists,
  ctx,
}: {
  lists: { value: unknown; at: string }[];
  ctx: Context;
}): RawParameter[] {
  const merged = new Map<string, RawParameter>();
  for (const { value, at } of lists) {
    if (value === undefined) continue;
    if (!Array.isArray(value)) {
      addWarning(ctx.warnings, { path: at, reason: 'parameters is not a list; ignored' });
      continue;
    }
    value.forEach((entry, i) => {
      const { node, missing, ref } = ctx.resolver.deref(entry);
      const where = `${at}/${i}`;
      if (missing || !isObject(node)) {
        addWarning(ctx.warnings, {
          path: where,
          reason: missing
            ? `parameter ${ref ?? ''} cannot be resolved; skipped`
            : 'parameter is not an object; skipped',
        });
        return;
      }
      const name = node['name'];
      const location = node['in'];
      if (typeof name !== 'string' || name === '' || typeof location !== 'string') {
        addWarning(ctx.warnings, {
          path: where,
          reason: 'parameter without a name or "in"; skipped',
        });
        return;
      }
      // Operation-level parameters come last and replace path-level ones of the same name.
      merged.set(`${location}:${name}`, { param: node, at: where });
    });
  }
  return [...merged.values()];
}

/** The schema of a non-body parameter: OpenAPI 3 `schema`/`content`, or Swagger 2 inline fields. */
function parameterSchema({ param, ctx }: { param: Json; ctx: Context }): unknown {
  const schema = param['schema'];
  if (schema !== undefined) return schema;
  const content = param['content'];
  if (isObject(content)) {
    const first = Object.values(content).find(isObject);
    if (first !== undefined) return first['schema'];
  }
  if (ctx.format === 'swagger-2.0') {
    const synthetic: Json = {};
    for (const key of [
      'type',
      'format',
      'items',
      'enum',
      'default',
      'minimum',
      'maximum',
      'exclusiveMinimum',
      'exclusiveMaximum',
      'minLength',
      'maxLength',
      'pattern',
      'minItems',
      'maxItems',
      'uniqueItems',
      'multipleOf',
      'x-nullable',
    ])
      if (Object.hasOwn(param, key)) synthetic[key] = param[key];
    return synthetic;
  }
  return undefined;
}

interface Body {
  schema: unknown;
  required: boolean;
  description: string | undefined;
  kind: 'json' | 'form' | 'multipart' | 'other';
  mediaType: string;
  /** Swagger 2 formData fields, which have no body schema. */
  formFields?: RawParameter[];
}

function mediaKind(type: string): Body['kind'] {
  const lower = type.toLowerCase();
  if (
    /^application\/([\w.-]+\+)?json\b/.test(lower) ||
    lower === '*/*' ||
    lower === 'application/*'
  )
    return 'json';
  if (lower.startsWith('application/x-www-form-urlencoded')) return 'form';
  if (lower.startsWith('multipart/form-data')) return 'multipart';
  return 'other';
}

/** The preferred media type of a content map: JSON, then form, then multipart, then the first. */
export function chooseMedia(content: unknown): { type: string; media: Json } | undefined {
  if (!isObject(content)) return undefined;
  const entries = Object.keys(content)
    .map((type) => ({ type, media: own({ record: content, key: type }) }))
    .filter((e): e is { type: string; media: Json } => isObject(e.media));
  const rank = { json: 0, form: 1, multipart: 2, other: 3 } as const;
  return entries.sort((a, b) => rank[mediaKind(a.type)] - rank[mediaKind(b.type)])[0];
}

function bodyOf({
  op,
  raw,
  ctx,
  at,
}: {
  op: Json;
  raw: RawParameter[];
  ctx: Context;
  at: string;
}): Body | undefined {
  if (ctx.format === 'swagger-2.0') {
    const consumesRaw = op['consumes'] ?? ctx.doc['consumes'];
    const consumes = Array.isArray(consumesRaw)
      ? consumesRaw.filter((c): c is string => typeof c === 'string')
      : [];
    const bodyParam = raw.find((r) => r.param['in'] === 'body');
    if (bodyParam !== undefined) {
      const type =
        consumes.find((c) => mediaKind(c) === 'json') ?? consumes[0] ?? 'application/json';
      return {
        schema: bodyParam.param['schema'],
        required: bodyParam.param['required'] === true,
        description: textOf({ value: bodyParam.param['description'], max: 4000 }),
        kind: mediaKind(type),
        mediaType: type,
      };
    }
    const formFields = raw.filter((r) => r.param['in'] === 'formData');
    if (formFields.length === 0) return undefined;
    const multipart =
      formFields.some((f) => f.param['type'] === 'file') ||
      (consumes.some((c) => mediaKind(c) === 'multipart') &&
        !consumes.some((c) => mediaKind(c) === 'form'));
    return {
      schema: undefined,
      required: false,
      description: undefined,
      kind: multipart ? 'multipart' : 'form',
      mediaType: multipart ? 'multipart/form-data' : 'application/x-www-form-urlencoded',
      formFields,
    };
  }
  const requestBody = op['requestBody'];
  if (requestBody === undefined) return undefined;
  const { node, missing, ref } = ctx.resolver.deref(requestBody);
  if (missing || !isObject(node)) {
    addWarning(ctx.warnings, {
      path: `${at}/requestBody`,
      reason: missing
        ? `request body ${ref ?? ''} cannot be resolved; imported without a body`
        : 'request body is not an object; ignored',
    });
    return undefined;
  }
  const chosen = chooseMedia(node['content']);
  if (chosen === undefined) {
    addWarning(ctx.warnings, {
      path: `${at}/requestBody`,
      reason: 'request body has no content; imported without a body',
    });
    return undefined;
  }
  return {
    schema: repairedSchema({
      media: chosen.media,
      ctx,
      at: toPointer([...pointerSegments(at), 'requestBody', 'content', chosen.type]),
    }),
    required: node['required'] === true,
    description: textOf({ value: node['description'], max: 4000 }),
    kind: mediaKind(chosen.type),
    mediaType: chosen.type,
  };
}

const SCHEMA_KEYWORDS = [
  'properties',
  'required',
  'items',
  'allOf',
  'oneOf',
  'anyOf',
  'additionalProperties',
];

/**
 * The schema of a media type object. Keywords that belong in the schema but sit beside it (a
 * common indentation slip, which YAML recovery also produces) are read as part of it.
 */
function repairedSchema({ media, ctx, at }: { media: Json; ctx: Context; at: string }): unknown {
  const schema = media['schema'];
  const stray = SCHEMA_KEYWORDS.filter((k) => Object.hasOwn(media, k));
  if (stray.length === 0) return schema;
  const { node } = ctx.resolver.deref(schema);
  const base = isObject(node) ? node : {};
  if (stray.some((k) => Object.hasOwn(base, k))) return schema;
  addWarning(ctx.warnings, {
    path: at,
    reason: `${stray.join(', ')} found beside schema (mis-indented?); read as part of the schema`,
  });
  return { ...base, ...Object.fromEntries(stray.map((k) => [k, media[k]])) };
}

/** Whether a body should be one input (`whole`) rather than one input per top-level property. */
function isWholeBody({ body, ctx }: { body: Body; ctx: Context }): boolean {
  if (body.formFields !== undefined) return false;
  if (body.kind === 'other') return true;
  const view = viewOf({ node: body.schema, resolver: ctx.resolver });
  if (view === undefined) return true;
  if (Array.isArray(view.schema['oneOf']) || Array.isArray(view.schema['anyOf'])) return true;
  const type = typeOf({ node: body.schema, resolver: ctx.resolver });
  if (type !== undefined && type !== 'object') return true;
  const properties = propertiesOf({ node: body.schema, resolver: ctx.resolver });
  return properties.size === 0 || properties.size > MAX_PARAMETERS - 50;
}

/** A body that can hold nothing (Stripe declares `{type: object, properties: {}, additionalProperties: false}` on GETs). */
function isEmptyBody({ body, ctx }: { body: Body; ctx: Context }): boolean {
  if (body.formFields !== undefined) return false;
  const view = viewOf({ node: body.schema, resolver: ctx.resolver });
  if (view === undefined) return body.schema === undefined && body.kind !== 'other';
  return (
    view.schema['additionalProperties'] === false &&
    propertiesOf({ node: body.schema, resolver: ctx.resolver }).size === 0 &&
    !Array.isArray(view.schema['oneOf']) &&
    !Array.isArray(view.schema['anyOf'])
  );
}

function isReadOnly({ node, ctx }: { node: unknown; ctx: Context }): boolean {
  const view = viewOf({ node, resolver: ctx.resolver });
  return (
    (isObject(node) && node['readOnly'] === true) ||
    (view !== undefined && view.schema['readOnly'] === true)
  );
}

function describe({
  schema,
  description,
}: {
  schema: Json;
  description: string | undefined;
}): Json {
  return description === undefined ? schema : { ...schema, description };
}

// ---------------------------------------------------------------------------------------------
// Responses and pagination

function responseSchemaOf({ op, ctx, at }: { op: Json; ctx: Context; at: string }): {
  schema: unknown;
  headers: Json | undefined;
} {
  const responses = op['responses'];
  if (!isObject(responses)) return { schema: undefined, headers: undefined };
  const codes = Object.keys(responses)
    .filter((c) => /^2(\d\d|XX)$/i.test(c))
    .sort();
  for (const code of codes) {
    const { node, missing, ref } = ctx.resolver.deref(own({ record: responses, key: code }));
    if (missing) {
      addWarning(ctx.warnings, {
        path: toPointer([...pointerSegments(at), 'responses', code]),
        reason: `response ${ref ?? ''} cannot be resolved`,
      });
      continue;
    }
    if (!isObject(node)) continue;
    const headers = isObject(node['headers']) ? node['headers'] : undefined;
    if (ctx.format === 'swagger-2.0') {
      const schema = node['schema'];
      if (schema !== undefined) return { schema, headers };
      continue;
    }
    const chosen = chooseMedia(node['content']);
    if (
      chosen !== undefined &&
      mediaKind(chosen.type) === 'json' &&
      chosen.media['schema'] !== undefined
    )
      return { schema: chosen.media['schema'], headers };
    if (headers !== undefined) return { schema: undefined, headers };
  }
  return { schema: undefined, headers: undefined };
}

function pointerSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

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
    .filter(([name, value]) => isPathSegment(name) && typeOf({ node: value, resolver }) === 'array')
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

function paginationOf({
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

// ---------------------------------------------------------------------------------------------
// Operations

function buildOperation({
  ctx,
  path,
  method,
  op,
  pathParameters,
  at,
}: {
  ctx: Context;
  path: string;
  method: HttpMethod;
  op: Json;
  pathParameters: { value: unknown; at: string };
  at: string;
}): OperationInfo | null {
  const route = `${method} ${path}`;
  const operationId = op['operationId'];
  const fromId =
    typeof operationId === 'string' && /[a-zA-Z0-9]/.test(operationId)
      ? actionSlugOf(operationId)
      : undefined;
  const slug = uniqueName({
    base: fromId ?? slugFromRoute({ method, path }),
    taken: ctx.slugs,
    max: 100,
  });

  const raw = collectParameters({
    lists: [pathParameters, { value: op['parameters'], at: `${at}/parameters` }],
    ctx,
  });
  const names = new Set<string>();
  const parameters: ParameterDraft[] = [];
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const inputBudget = budgetOf(INPUT_BUDGET);
  const add = ({
    wire,
    location,
    schema,
    description,
    isRequired,
    whole,
  }: {
    wire: string;
    location: ParameterDraft['in'];
    schema: Json;
    description: string | undefined;
    isRequired: boolean;
    whole?: boolean;
  }) => {
    if (parameters.length >= MAX_PARAMETERS) return;
    let name = inputNameOf(wire);
    if (names.has(name)) {
      const prefixed = location === 'body' ? `body_${name}` : `${location}_${name}`;
      name = uniqueName({ base: prefixed.slice(0, 200), taken: names, max: 200 });
    } else names.add(name);
    const param: ParameterDraft = { name, in: location, required: isRequired };
    if (name !== wire) param.wireName = wire;
    if (description !== undefined) param.description = description;
    // The description lives on the parameter; the schema need not carry it twice.
    const { description: _same, ...rest } = schema;
    param.schema =
      description !== undefined && schema['description'] === description ? rest : schema;
    if (whole === true) param.whole = true;
    parameters.push(param);
    properties[name] = describe({ schema, description });
    if (isRequired) required.push(name);
  };

  // Path parameters first so that their names are kept as written.
  const order = { path: 0, query: 1, header: 2, cookie: 3 } as const;
  const simple = raw
    .filter((r) => {
      const location = r.param['in'];
      return (
        location === 'path' ||
        location === 'query' ||
        location === 'header' ||
        location === 'cookie'
      );
    })
    .sort(
      (a, b) =>
        order[a.param['in'] as keyof typeof order] - order[b.param['in'] as keyof typeof order],
    );
  for (const r of raw) {
    const location = r.param['in'];
    if (!['path', 'query', 'header', 'cookie', 'body', 'formData'].includes(String(location)))
      addWarning(ctx.warnings, {
        path: r.at,
        reason: `parameter location ${truncate({ text: String(location), max: 40 })} is not supported; skipped`,
      });
  }
  const template = new Set([...path.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1] ?? ''));
  for (const { param, at: paramAt } of simple) {
    const wire = param['name'] as string;
    const location = param['in'] as 'path' | 'query' | 'header' | 'cookie';
    if (location === 'header' && ENGINE_HEADERS.has(wire.toLowerCase())) continue;
    if (wire.length > 200) {
      addWarning(ctx.warnings, {
        path: paramAt,
        reason: 'parameter name longer than 200 characters; skipped',
      });
      continue;
    }
    if (location === 'path' && !template.has(wire)) {
      addWarning(ctx.warnings, {
        path: paramAt,
        reason: `path parameter ${truncate({ text: wire, max: 100 })} does not appear in the path; skipped`,
      });
      continue;
    }
    const schema = inlineSchema({
      schema: parameterSchema({ param, ctx }),
      resolver: ctx.resolver,
      dialect: ctx.dialect,
      budget: inputBudget,
    });
    add({
      wire,
      location,
      schema,
      description: textOf({ value: param['description'], max: 4000 }),
      isRequired: location === 'path' || param['required'] === true,
    });
  }
  for (const name of template) {
    if (parameters.some((p) => p.in === 'path' && (p.wireName ?? p.name) === name)) continue;
    addWarning(ctx.warnings, {
      path: at,
      reason: `the path uses {${truncate({ text: name, max: 100 })}} but declares no such path parameter; added as a required string`,
    });
    add({
      wire: name,
      location: 'path',
      schema: { type: 'string' },
      description: undefined,
      isRequired: true,
    });
  }

  let bodyType: 'json' | 'form' = 'json';
  const body = bodyOf({ op, raw, ctx, at });
  let requestSchema: unknown;
  if (body !== undefined && !isEmptyBody({ body, ctx })) {
    requestSchema = body.schema;
    if (body.kind === 'form' || body.kind === 'multipart') bodyType = 'form';
    if (body.kind === 'multipart')
      addWarning(ctx.warnings, {
        path: at,
        reason:
          'multipart/form-data body imported as form fields; file uploads need a custom action',
      });
    if (body.kind === 'other')
      addWarning(ctx.warnings, {
        path: at,
        reason: `request body ${truncate({ text: body.mediaType, max: 100 })} imported as one JSON input; check the content type`,
      });
    if (body.formFields !== undefined) {
      for (const { param } of body.formFields) {
        const wire = param['name'] as string;
        if (wire.length > 200) continue;
        const schema = inlineSchema({
          schema: parameterSchema({ param, ctx }),
          resolver: ctx.resolver,
          dialect: ctx.dialect,
          budget: inputBudget,
        });
        add({
          wire,
          location: 'body',
          schema,
          description: textOf({ value: param['description'], max: 4000 }),
          isRequired: param['required'] === true,
        });
      }
    } else if (isWholeBody({ body, ctx })) {
      const schema = inlineSchema({
        schema: body.schema,
        resolver: ctx.resolver,
        dialect: ctx.dialect,
        budget: inputBudget,
      });
      add({
        wire: 'body',
        location: 'body',
        schema,
        description: body.description,
        isRequired: body.required,
        whole: true,
      });
    } else {
      const requiredProps = requiredOf({ node: body.schema, resolver: ctx.resolver });
      for (const [wire, value] of propertiesOf({ node: body.schema, resolver: ctx.resolver })) {
        if (wire.length > 200 || isReadOnly({ node: value, ctx })) continue;
        const schema = inlineSchema({
          schema: value,
          resolver: ctx.resolver,
          dialect: ctx.dialect,
          budget: inputBudget,
        });
        const description =
          typeof schema['description'] === 'string'
            ? truncate({ text: schema['description'], max: 4000 })
            : undefined;
        add({ wire, location: 'body', schema, description, isRequired: requiredProps.has(wire) });
      }
    }
  }
  if (parameters.length >= MAX_PARAMETERS)
    addWarning(ctx.warnings, {
      path: at,
      reason: `more than ${MAX_PARAMETERS} inputs; the rest were dropped`,
    });

  const { schema: responseSchema, headers } = responseSchemaOf({ op, ctx, at });
  const action: ActionDraft = {
    slug,
    name: textOf({ value: op['summary'], max: 200 }) ?? humanize(slug),
    method,
    path,
    parameters,
    bodyType,
    inputSchema: {
      type: 'object',
      properties,
      ...(required.length > 0 && { required }),
      additionalProperties: false,
    },
    tags: Array.isArray(op['tags'])
      ? [
          ...new Set(
            (op['tags'] as unknown[])
              .filter((t): t is string => typeof t === 'string' && t.trim() !== '')
              .map((t) => truncate({ text: t.trim(), max: 100 })),
          ),
        ].slice(0, 50)
      : [],
    deprecated: op['deprecated'] === true,
  };
  const description = textOf({ value: op['description'], max: 10_000 });
  if (description !== undefined) action.description = description;
  if (responseSchema !== undefined)
    action.outputSchema = inlineSchema({
      schema: responseSchema,
      resolver: ctx.resolver,
      dialect: ctx.dialect,
      budget: budgetOf(OUTPUT_BUDGET),
    });
  if (method === 'GET') {
    const pagination = paginationOf({
      parameters,
      schema: responseSchema,
      headers,
      resolver: ctx.resolver,
    });
    if (pagination !== undefined) action.pagination = pagination;
  }
  return {
    slug,
    method,
    path,
    route,
    at,
    op,
    requestSchema,
    responseSchema,
    security: op['security'],
    action,
  };
}

/**
 * Walks `paths` in document order. An operation that cannot be read is skipped with a warning;
 * `operations` counts every method entry, read or not.
 */
export function collectOperations({
  doc,
  format,
  resolver,
  warnings,
}: {
  doc: Json;
  format: SpecFormat;
  resolver: Resolver;
  warnings: ImportWarning[];
}): { operations: OperationInfo[]; count: number } {
  const ctx: Context = {
    doc,
    format,
    dialect:
      format === 'swagger-2.0'
        ? 'swagger-2.0'
        : format === 'openapi-3.1'
          ? 'openapi-3.1'
          : 'openapi-3.0',
    resolver,
    warnings,
    slugs: new Set(),
  };
  const paths = doc['paths'];
  const operations: OperationInfo[] = [];
  let count = 0;
  if (paths === undefined) {
    addWarning(warnings, { path: '/paths', reason: 'the spec has no paths' });
    return { operations, count };
  }
  if (!isObject(paths)) {
    addWarning(warnings, {
      path: '/paths',
      reason: 'paths is not an object; no operations imported',
    });
    return { operations, count };
  }
  for (const rawPath of Object.keys(paths)) {
    const pathAt = toPointer(['paths', rawPath]);
    if (rawPath.startsWith('x-')) continue;
    const { node: item, missing } = resolver.deref(own({ record: paths, key: rawPath }));
    if (missing) continue; // reported where the reference was bundled
    if (!isObject(item)) {
      addWarning(warnings, { path: pathAt, reason: 'path item is not an object; skipped' });
      continue;
    }
    let path = rawPath.trim();
    if (!path.startsWith('/')) {
      addWarning(warnings, { path: pathAt, reason: 'path does not start with /; one was added' });
      path = `/${path}`;
    }
    for (const lower of PATH_ITEM_METHODS) {
      if (!Object.hasOwn(item, lower)) continue;
      count += 1;
      const at = toPointer(['paths', rawPath, lower]);
      const op = item[lower];
      if (lower === 'trace') {
        addWarning(warnings, { path: at, reason: 'TRACE operations are not supported; skipped' });
        continue;
      }
      if (!isObject(op)) {
        addWarning(warnings, { path: at, reason: 'operation is not an object; skipped' });
        continue;
      }
      if (path.length > 2000) {
        addWarning(warnings, { path: at, reason: 'path longer than 2000 characters; skipped' });
        continue;
      }
      try {
        const info = buildOperation({
          ctx,
          path,
          method: lower.toUpperCase() as HttpMethod,
          op,
          pathParameters: { value: item['parameters'], at: `${pathAt}/parameters` },
          at,
        });
        if (info !== null) operations.push(info);
      } catch (error) {
        addWarning(warnings, {
          path: at,
          reason: `operation could not be read (${error instanceof Error ? error.message : String(error)}); skipped`,
        });
      }
    }
  }
  return { operations, count };
}
