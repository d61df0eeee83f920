/**
 * One action per request: its path template (`:id`, `{{id}}` and `{id}` become `{id}`), its
 * parameters, an output schema from the first successful example response, a unique slug, and
 * a first ranking by usefulness from the action's shape alone (collections carry no schemas).
 * An action the connector format refuses is skipped with a warning, never half imported.
 */
import { ActionInputSchema, type ActionInput } from '../../domain/connector.ts';
import { addWarning, type RankedAction } from '../types.ts';
import { KEY_HEADER, type AuthNames } from './auth.ts';
import {
  descriptionOf,
  list,
  record,
  type Ctx,
  type Json,
  type ParsedRequest,
} from './collection.ts';
import {
  addBody,
  addEntries,
  inferSchema,
  parameterList,
  parseJsonExample,
  type Schema,
} from './parameters.ts';

/** Headers that the engine sets itself or that carry credentials. */
const SKIPPED_HEADERS = new Set([
  'authorization',
  'content-type',
  'content-length',
  'host',
  'accept',
]);

/** Percent-encodes what may not appear literally in a path segment (keeping `%XX` escapes). */
function encodeLiteral(text: string): string {
  return text.replace(/%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&'()*+,;=:@]/gu, (ch) =>
    ch.length === 3 && ch.startsWith('%')
      ? ch
      : ch.isWellFormed()
        ? encodeURIComponent(ch)
        : '%EF%BF%BD',
  );
}

function placeholderName(name: string): string {
  return (
    name
      .trim()
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .slice(0, 200) || 'param'
  );
}

/** Turns `:id`, `{{id}}` and `{id}` into `{id}` and collects the placeholder names. */
function templateSegment({ segment, names }: { segment: string; names: string[] }): string {
  const add = (raw: string) => {
    const name = placeholderName(raw);
    if (!names.includes(name)) names.push(name);
    return `{${name}}`;
  };
  const colon = /^:([A-Za-z0-9_-]{1,200})/.exec(segment);
  const head = colon !== null ? add(colon[1] ?? '') : '';
  const rest = colon !== null ? segment.slice(colon[0].length) : segment;
  let out = head;
  let last = 0;
  for (const m of rest.matchAll(/\{\{([^{}]{1,200})\}\}|\{([^{}]{1,200})\}/g)) {
    out += encodeLiteral(rest.slice(last, m.index)) + add(m[1] ?? m[2] ?? '');
    last = m.index + m[0].length;
  }
  return out + encodeLiteral(rest.slice(last));
}

/** The shape of the first successful example response with a JSON body. */
function outputSchemaOf(item: Json): Schema | undefined {
  for (const entry of list(item['response'])) {
    const response = record(entry);
    const code = response?.['code'];
    const body = response?.['body'];
    if (typeof code !== 'number' || code < 200 || code > 299 || typeof body !== 'string') continue;
    const parsed = parseJsonExample(body);
    if (parsed.ok && typeof parsed.value === 'object' && parsed.value !== null)
      return inferSchema({ value: parsed.value, depth: 0 });
  }
  return undefined;
}

function words(text: string): string[] {
  return text
    .slice(0, 1000)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
}

function camelCase(parts: string[]): string {
  return parts
    .map((word, i) => {
      const w = word === word.toUpperCase() ? word.toLowerCase() : word;
      return (i === 0 ? w.charAt(0).toLowerCase() : w.charAt(0).toUpperCase()) + w.slice(1);
    })
    .join('')
    .replace(/^[^A-Za-z]+/, '');
}

function actionSlug({
  name,
  method,
  path,
  taken,
}: {
  name: string;
  method: string;
  path: string;
  taken: Set<string>;
}): string {
  const fromName = camelCase(words(name));
  const fromPath = camelCase([method, ...words(path.replace(/\{[^}]*\}/g, ''))]);
  const base = (fromName || fromPath || 'action').slice(0, 100);
  let slug = base;
  for (let n = 2; taken.has(slug); n++) slug = `${base.slice(0, 100 - String(n).length)}${n}`;
  taken.add(slug);
  return slug;
}

export function connectorSlug(name: string): string {
  // Lowercased after normalizing: compatibility forms such as ㎴ decompose to uppercase letters.
  const slug = words(name)
    .join('-')
    .toLowerCase()
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug === '' ? 'imported-api' : slug;
}

export function buildAction({
  request,
  remainder,
  names,
  slugs,
  ctx,
}: {
  request: ParsedRequest;
  remainder: string[];
  names: AuthNames;
  slugs: Set<string>;
  ctx: Ctx;
}): ActionInput | null {
  const placeholders: string[] = [];
  const path = `/${remainder.map((segment) => templateSegment({ segment, names: placeholders })).join('/')}`;
  if (path.length > 2000) {
    addWarning(ctx.warnings, {
      path: request.urlAt,
      reason: 'path longer than 2000 characters; skipped',
    });
    return null;
  }
  const params = parameterList({ at: request.at, warnings: ctx.warnings });
  for (const name of placeholders) {
    const description = request.url.pathVariables.get(name);
    params.add({
      name,
      in: 'path',
      required: true,
      ...(description !== undefined && { description: description.slice(0, 4000) }),
      schema: { type: 'string' },
    });
  }
  addEntries({
    entries: request.url.query,
    location: 'query',
    params,
    ctx,
    skip: (key) => names.query.has(key),
  });
  addEntries({
    entries: request.headers,
    location: 'header',
    params,
    ctx,
    skip: (key) =>
      SKIPPED_HEADERS.has(key.toLowerCase()) ||
      names.headers.has(key.toLowerCase()) ||
      KEY_HEADER.test(key),
  });
  const bodyType = addBody({ request, params, ctx });
  const item = request.found.item;
  const title = typeof item['name'] === 'string' ? item['name'].trim().slice(0, 200) : '';
  const name = title || `${request.method} ${path}`.slice(0, 200);
  const description =
    descriptionOf(request.request['description']) ?? descriptionOf(item['description']);
  const outputSchema = outputSchemaOf(item);
  const action: ActionInput = {
    slug: actionSlug({ name, method: request.method, path, taken: slugs }),
    name,
    ...(description !== undefined && { description: description.slice(0, 10_000) }),
    method: request.method,
    path,
    parameters: params.items,
    bodyType,
    ...(outputSchema !== undefined && { outputSchema }),
    tags: request.found.folders.slice(0, 50).map((f) => f.slice(0, 100)),
    deprecated: /\bdeprecated\b/i.test(name),
  };
  const parsed = ActionInputSchema.safeParse(action);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    addWarning(ctx.warnings, {
      path: request.at,
      reason: `not importable: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}; skipped`,
    });
    return null;
  }
  return parsed.data;
}

/**
 * A first ordering by usefulness from the shape of each action alone (collections carry no
 * schemas to tell more): collection reads first, then single reads and creates, then the rest.
 */
export function rankActions(actions: readonly ActionInput[]): RankedAction[] {
  return actions
    .map((a, index) => {
      const segments = a.path.split('/').filter((s) => s !== '');
      const byId = /^\{[^}]+\}$/.test(segments.at(-1) ?? '');
      const reasons: string[] = [];
      let score = 1;
      const credit = (points: number, reason: string) => {
        score += points;
        reasons.push(reason);
      };
      if (a.method === 'GET') credit(byId ? 2 : 3, byId ? 'reads one record' : 'lists records');
      else if (a.method === 'POST' && !byId) credit(2, 'creates a record');
      else if (a.method === 'PUT' || a.method === 'PATCH') credit(1, 'updates a record');
      else if (a.method === 'DELETE') credit(0.5, 'deletes a record');
      if (segments.length > 3) credit(-0.5 * (segments.length - 3), 'deeply nested path');
      if (a.outputSchema !== undefined) credit(0.5, 'has an example response');
      if (a.deprecated) credit(-5, 'deprecated');
      return { index, ranked: { slug: a.slug, score, reasons } };
    })
    .sort((x, y) => y.ranked.score - x.ranked.score || x.index - y.index)
    .map(({ ranked }) => ranked);
}
