/**
 * Request bodies and responses: the media type preferred (JSON, then form, then multipart,
 * then the first), the body of Swagger 2 (a body parameter or formData fields) and of OpenAPI 3
 * (`requestBody`), whether it becomes one input or one per property, and the schema and headers
 * of the first 2xx response, which give the output schema and pagination.
 */
import { textOf } from '../names.ts';
import { isObject, own, propertiesOf, typeOf, viewOf, type Json } from '../schema.ts';
import { addWarning, toPointer } from '../types.ts';
import { MAX_PARAMETERS, pointerSegments, type Context } from './context.ts';
import type { RawParameter } from './parameters.ts';

export interface Body {
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

export function bodyOf({
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
export function isWholeBody({ body, ctx }: { body: Body; ctx: Context }): boolean {
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
export function isEmptyBody({ body, ctx }: { body: Body; ctx: Context }): boolean {
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

export function isReadOnly({ node, ctx }: { node: unknown; ctx: Context }): boolean {
  const view = viewOf({ node, resolver: ctx.resolver });
  return (
    (isObject(node) && node['readOnly'] === true) ||
    (view !== undefined && view.schema['readOnly'] === true)
  );
}

export function responseSchemaOf({ op, ctx, at }: { op: Json; ctx: Context; at: string }): {
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
