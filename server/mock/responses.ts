/**
 * What a spec mock answers for an operation: the first success response the spec declares,
 * with the spec's own example when it has one (media `example`, the first of `examples`, the
 * schema's `example`, Swagger 2 `examples`), else data generated from the response schema by
 * json-schema-faker with a fixed seed, so the same spec always gives the same answer. An
 * example that contradicts the spec's own schema (a required field left out, a value outside
 * its enum) is replaced by generated data that fits it: the mock stands for an API that keeps
 * to its schema, so an action built from the schema is judged against the schema.
 */
import { generateSync } from 'json-schema-faker';
import { compileSchema } from '../engine/json-schema.ts';
import { inlineSchema, isObject, own, type Json, type Resolver } from '../import/schema.ts';
import type { SpecFormat } from '../import/types.ts';

export interface MockAnswer {
  status: number;
  contentType: string | null;
  body: unknown;
  /** Where the body came from: the spec's example, generated data, or nothing declared. */
  source: 'example' | 'faker' | 'none';
}

const INLINE_BUDGET = { maxRefDepth: 6, nodes: 20_000, description: 0 };

function successResponse(responses: Json): { status: number; node: unknown } | null {
  const codes = Object.keys(responses);
  const exact = codes
    .filter((c) => /^2\d\d$/.test(c))
    .sort()
    .at(0);
  if (exact !== undefined) return { status: Number(exact), node: responses[exact] };
  const ranged = codes.find((c) => /^2xx$/i.test(c));
  if (ranged !== undefined) return { status: 200, node: responses[ranged] };
  if (Object.hasOwn(responses, 'default')) return { status: 200, node: responses['default'] };
  return null;
}

function firstExample({ examples, resolver }: { examples: unknown; resolver: Resolver }): {
  found: boolean;
  value?: unknown;
} {
  if (!isObject(examples)) return { found: false };
  for (const key of Object.keys(examples)) {
    const { node } = resolver.deref(own({ record: examples, key }));
    if (isObject(node) && Object.hasOwn(node, 'value'))
      return { found: true, value: node['value'] };
  }
  return { found: false };
}

function inlined({
  schema,
  resolver,
  format,
}: {
  schema: unknown;
  resolver: Resolver;
  format: SpecFormat;
}): Json {
  return inlineSchema({
    schema,
    resolver,
    dialect: format === 'postman-2.1' ? 'openapi-3.0' : format,
    budget: { ...INLINE_BUDGET },
  });
}

/** Whether a value fits a schema; null when the schema cannot be compiled. */
function fits(schema: Json, value: unknown): boolean | null {
  try {
    return compileSchema(schema, { dialect: 'openapi-3.0' }).validate(value).valid;
  } catch {
    return null;
  }
}

/**
 * The spec's example when it fits the response schema; else generated data when that fits
 * (an example with a required field left out or a value outside its enum); else the example.
 * Generated answers are checked as they are made (see generate).
 */
function checked({
  answer,
  schema,
  resolver,
  format,
  seed,
}: {
  answer: MockAnswer;
  schema: unknown;
  resolver: Resolver;
  format: SpecFormat;
  seed: number;
}): MockAnswer {
  if (schema === undefined || answer.source !== 'example') return answer;
  const full = inlined({ schema, resolver, format });
  if (fits(full, answer.body) !== false) return answer;
  const body = generate({ full, seed });
  return fits(full, body) === true ? { ...answer, body, source: 'faker' } : answer;
}

/** Values a vendor format (Stripe's `unix-time`, `decimal`) takes, for data generated to fit it. */
const FORMAT_BOUNDS: Record<string, Json> = {
  'unix-time': { minimum: 0, maximum: 4_102_444_800 },
  decimal: { pattern: '^[0-9]{1,6}\\.[0-9]{2}$' },
};

/** Keywords whose value maps names to schemas: the names are data, not keywords. */
const SCHEMA_MAPS = new Set([
  'properties',
  'patternProperties',
  'definitions',
  '$defs',
  'dependentSchemas',
]);

/**
 * OpenAPI's own words beside a schema's. json-schema-faker does not know them, and fills an
 * open object (`additionalProperties` and no `properties`) with keys taken from them, so a
 * `nullable: true` map came back as `{ "nullable": true }`. A value generated without them is a
 * value the schema allows (a nullable field may hold a value).
 */
const NOT_FOR_FAKER = new Set([
  'nullable',
  'discriminator',
  'xml',
  'externalDocs',
  'example',
  'examples',
  'deprecated',
]);

/**
 * The schema as faker should fill it: plain strings capped at 24 characters (short answers),
 * those with a format or a pattern left whole (a UUID or a date cut short is not one), values of
 * vendor formats kept to what the format allows, and OpenAPI's extra words left out.
 */
function forFaker(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forFaker);
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (NOT_FOR_FAKER.has(key) || key.startsWith('x-')) continue;
    if (key === 'enum' || key === 'const' || key === 'default') out[key] = value;
    else if (SCHEMA_MAPS.has(key) && isObject(value))
      out[key] = Object.fromEntries(Object.entries(value).map(([n, v]) => [n, forFaker(v)]));
    else out[key] = forFaker(value);
  }
  const format = out['format'];
  const bounds = typeof format === 'string' ? FORMAT_BOUNDS[format] : undefined;
  if (bounds !== undefined)
    for (const [key, value] of Object.entries(bounds)) if (out[key] === undefined) out[key] = value;
  if (
    out['type'] === 'string' &&
    out['format'] === undefined &&
    out['pattern'] === undefined &&
    out['maxLength'] === undefined &&
    out['enum'] === undefined
  )
    out['maxLength'] = Math.max(24, typeof out['minLength'] === 'number' ? out['minLength'] : 0);
  return out;
}

/** How many seeds generation tries for data that fits before it keeps the first answer. */
const GENERATE_TRIES = 8;

/**
 * Data generated from the inlined schema, checked against it: faker can miss (a pattern it cannot
 * follow, a `oneOf` whose branches overlap), so the next seeds are tried, and the first answer
 * is kept only when none fits. The same seed always gives the same answer.
 */
function generate({ full, seed }: { full: Json; seed: number }): unknown {
  const expanded = forFaker(full) as Json;
  let first: unknown = null;
  for (let attempt = 0; attempt < GENERATE_TRIES; attempt++) {
    let body: unknown;
    try {
      body = generateSync(expanded, {
        seed: seed + attempt,
        maxItems: 2,
        refDepthMax: 3,
        failOnInvalidTypes: false,
        defaultInvalidTypeProduct: null,
      });
    } catch {
      continue;
    }
    if (attempt === 0) first = body;
    if (fits(full, body) !== false) return body;
  }
  return first;
}

/** The answer for one operation, computed once per mock (deterministic for a given seed). */
export function answerFor(args: {
  operation: Json;
  resolver: Resolver;
  format: SpecFormat;
  seed: number;
}): MockAnswer {
  const answer = declaredAnswer(args);
  if (answer.source !== 'example') return answer;
  return checked({ ...args, answer, schema: responseSchema(args) });
}

/** The schema of the success response answerFor picks (JSON media in OpenAPI 3). */
function responseSchema({
  operation,
  resolver,
  format,
}: {
  operation: Json;
  resolver: Resolver;
  format: SpecFormat;
}): unknown {
  const responses = resolver.deref(operation['responses']).node;
  const chosen = isObject(responses) ? successResponse(responses) : null;
  if (chosen === null) return undefined;
  const { node: response } = resolver.deref(chosen.node);
  if (!isObject(response)) return undefined;
  if (format === 'swagger-2.0') return response['schema'];
  const content = isObject(response['content']) ? response['content'] : {};
  const types = Object.keys(content);
  const type = types.find((t) => /json/i.test(t)) ?? types[0];
  if (type === undefined || !/json/i.test(type)) return undefined;
  const { node: media } = resolver.deref(own({ record: content, key: type }));
  return isObject(media) ? media['schema'] : undefined;
}

function declaredAnswer({
  operation,
  resolver,
  format,
  seed,
}: {
  operation: Json;
  resolver: Resolver;
  format: SpecFormat;
  seed: number;
}): MockAnswer {
  const responses = resolver.deref(operation['responses']).node;
  const chosen = isObject(responses) ? successResponse(responses) : null;
  if (chosen === null) return { status: 200, contentType: null, body: null, source: 'none' };
  const { node: response } = resolver.deref(chosen.node);
  if (!isObject(response))
    return { status: chosen.status, contentType: null, body: null, source: 'none' };

  if (format === 'swagger-2.0') {
    const examples = response['examples'];
    if (isObject(examples)) {
      const type = Object.keys(examples).find((t) => /json/i.test(t));
      if (type !== undefined)
        return {
          status: chosen.status,
          contentType: type,
          body: examples[type],
          source: 'example',
        };
    }
    const schema = response['schema'];
    if (schema === undefined)
      return { status: chosen.status, contentType: null, body: null, source: 'none' };
    const { node: target } = resolver.deref(schema);
    if (isObject(target) && Object.hasOwn(target, 'example'))
      return {
        status: chosen.status,
        contentType: 'application/json',
        body: target['example'],
        source: 'example',
      };
    return {
      status: chosen.status,
      contentType: 'application/json',
      body: generate({ full: inlined({ schema, resolver, format }), seed }),
      source: 'faker',
    };
  }

  const content = isObject(response['content']) ? response['content'] : {};
  const types = Object.keys(content);
  const type = types.find((t) => /json/i.test(t)) ?? types[0];
  if (type === undefined)
    return { status: chosen.status, contentType: null, body: null, source: 'none' };
  const { node: media } = resolver.deref(own({ record: content, key: type }));
  if (!isObject(media))
    return { status: chosen.status, contentType: type, body: null, source: 'none' };
  if (Object.hasOwn(media, 'example'))
    return { status: chosen.status, contentType: type, body: media['example'], source: 'example' };
  const named = firstExample({ examples: media['examples'], resolver });
  if (named.found)
    return { status: chosen.status, contentType: type, body: named.value, source: 'example' };
  const schema = media['schema'];
  if (schema === undefined)
    return { status: chosen.status, contentType: type, body: null, source: 'none' };
  const { node: target } = resolver.deref(schema);
  if (isObject(target)) {
    if (Object.hasOwn(target, 'example'))
      return {
        status: chosen.status,
        contentType: type,
        body: target['example'],
        source: 'example',
      };
    if (Array.isArray(target['examples']) && target['examples'].length > 0)
      return {
        status: chosen.status,
        contentType: type,
        body: target['examples'][0],
        source: 'example',
      };
  }
  return {
    status: chosen.status,
    contentType: type,
    body: generate({ full: inlined({ schema, resolver, format }), seed }),
    source: 'faker',
  };
}
