/**
 * One action per operation: parameters, body, input and output schemas, pagination.
 *
 * This file walks `paths` and builds each action; the steps it uses are in operations/:
 * context.ts (shared types and the per-spec context), parameters.ts, bodies.ts (request bodies
 * and responses) and pagination.ts. Imports run one way (bodies.ts → parameters.ts →
 * context.ts; pagination.ts → context.ts), so there is no cycle. Callers keep importing from
 * this file, which re-exports what they use.
 */
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
  type InlineBudget,
  type Json,
  type Resolver,
} from './schema.ts';
import { addWarning, toPointer, type ImportWarning, type SpecFormat } from './types.ts';
import {
  bodyOf,
  isEmptyBody,
  isReadOnly,
  isWholeBody,
  responseSchemaOf,
} from './operations/bodies.ts';
import {
  MAX_PARAMETERS,
  type ActionDraft,
  type Context,
  type HttpMethod,
  type OperationInfo,
  type ParameterDraft,
} from './operations/context.ts';
import { paginationOf } from './operations/pagination.ts';
import { collectParameters, parameterSchema } from './operations/parameters.ts';

export { chooseMedia } from './operations/bodies.ts';
export type { ActionDraft, HttpMethod, OperationInfo } from './operations/context.ts';
export { itemsPathOf } from './operations/pagination.ts';

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

// Three levels of references: a list envelope spends one on its items (OrderList → Order), and
// mapping suggestions need the record's embedded objects and line items (Order → Customer).
const OUTPUT_BUDGET = { maxRefDepth: 4, nodes: 600, description: 240 } as const;

/** Header parameters the engine or the auth method sets itself. */
const ENGINE_HEADERS = new Set([
  'accept',
  'content-type',
  'authorization',
  'content-length',
  'host',
]);

function budgetOf(limits: InlineBudget): InlineBudget {
  return { ...limits };
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
