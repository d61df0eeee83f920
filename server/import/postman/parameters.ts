/**
 * An action's parameters, inferred from the example request: query and header entries, and the
 * body (JSON fields, a form, GraphQL, or a whole body when its fields cannot be listed), each
 * typed from its example value. Names are kept unique per action (a taken name gets its
 * location as a prefix and keeps its wire name).
 */
import type { Parameter } from '../../domain/connector.ts';
import { addWarning, type ImportWarning } from '../types.ts';
import {
  list,
  readEntries,
  record,
  scalarText,
  type Ctx,
  type Entry,
  type ParsedRequest,
} from './collection.ts';

export type Schema = Record<string, unknown>;

const MAX_SCHEMA_DEPTH = 12;

const MAX_SCHEMA_PROPERTIES = 500;

const MAX_PARAMETERS = 500;

/** A JSON Schema describing an example value. */
export function inferSchema({ value, depth }: { value: unknown; depth: number }): Schema {
  if (typeof value === 'string') return { type: 'string' };
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'integer' : 'number' };
  if (depth >= MAX_SCHEMA_DEPTH || value === null || typeof value !== 'object') return {};
  if (Array.isArray(value)) {
    return value.length === 0
      ? { type: 'array' }
      : { type: 'array', items: inferSchema({ value: value[0], depth: depth + 1 }) };
  }
  return {
    type: 'object',
    properties: Object.fromEntries(
      Object.entries(value)
        .slice(0, MAX_SCHEMA_PROPERTIES)
        .map(([k, v]) => [k, inferSchema({ value: v, depth: depth + 1 })]),
    ),
  };
}

/** Query and form values are text; a value that is plainly a number or boolean is typed so. */
function inferTextSchema(value: string): Schema {
  if (value === 'true' || value === 'false') return { type: 'boolean' };
  // Leading zeros (zip codes, SKUs) and long digit runs (ids) stay strings.
  if (/^-?(0|[1-9]\d{0,14})$/.test(value)) return { type: 'integer' };
  if (/^-?(0|[1-9]\d{0,14})\.\d{1,15}$/.test(value)) return { type: 'number' };
  return { type: 'string' };
}

/** Parses a JSON example that may hold unquoted `{{variables}}` (read as null). */
export function parseJsonExample(text: string): { ok: true; value: unknown } | { ok: false } {
  for (const candidate of [text, text.replace(/\{\{[^{}"\n]{1,200}\}\}/g, 'null')]) {
    try {
      return { ok: true, value: JSON.parse(candidate) as unknown };
    } catch {
      // try the next reading
    }
  }
  return { ok: false };
}

export interface ParameterList {
  readonly items: Parameter[];
  /** Adds a parameter and returns it as stored: a taken name gets its location as prefix. */
  add(parameter: Parameter): Parameter | null;
}

export function parameterList({
  at,
  warnings,
}: {
  at: string;
  warnings: ImportWarning[];
}): ParameterList {
  const items: Parameter[] = [];
  const names = new Set<string>();
  return {
    items,
    add(parameter) {
      if (items.length >= MAX_PARAMETERS) {
        addWarning(warnings, {
          path: at,
          reason: `more than ${MAX_PARAMETERS} parameters; ${parameter.name.slice(0, 100)} skipped`,
        });
        return null;
      }
      let name = parameter.name;
      if (names.has(name)) {
        const prefixed = `${parameter.in}_${parameter.name}`.slice(0, 190);
        name = prefixed;
        for (let n = 2; names.has(name); n++) name = `${prefixed}_${n}`;
      }
      names.add(name);
      const stored =
        name === parameter.name ? parameter : { ...parameter, name, wireName: parameter.name };
      items.push(stored);
      return stored;
    },
  };
}

export function addEntries({
  entries,
  location,
  params,
  ctx,
  skip,
}: {
  entries: Entry[];
  location: 'query' | 'header' | 'body';
  params: ParameterList;
  ctx: Ctx;
  skip: (key: string) => boolean;
}): void {
  const added = new Map<string, Parameter>();
  for (const e of entries) {
    if (skip(e.key)) continue;
    if (e.key.length > 200) {
      addWarning(ctx.warnings, { path: e.at, reason: 'name longer than 200 characters; skipped' });
      continue;
    }
    const repeated = added.get(e.key);
    if (repeated !== undefined) {
      // A repeated key (`?tag=a&tag=b`) is an array on the wire.
      if (repeated.schema?.['type'] !== 'array')
        repeated.schema = { type: 'array', items: repeated.schema ?? {} };
      continue;
    }
    const parameter: Parameter = {
      name: e.key,
      in: location,
      required: !e.disabled,
      ...(e.description !== undefined && { description: e.description.slice(0, 4000) }),
      schema: location === 'header' ? { type: 'string' } : inferTextSchema(e.value),
    };
    const stored = params.add(parameter);
    if (stored !== null) added.set(e.key, stored);
  }
}

export function addBody({
  request,
  params,
  ctx,
}: {
  request: ParsedRequest;
  params: ParameterList;
  ctx: Ctx;
}): 'json' | 'form' {
  const body = record(request.request['body']);
  const at = `${request.at}/body`;
  if (body === undefined || body['disabled'] === true) return 'json';
  const mode = scalarText(body['mode']) ?? '';
  const rawText = scalarText(body['raw']) ?? '';
  if (mode === '' || (mode === 'raw' && rawText.trim() === '')) return 'json';
  if (request.method === 'GET' || request.method === 'HEAD') {
    addWarning(ctx.warnings, {
      path: at,
      reason: `a ${request.method} request sends no body; ignored`,
    });
    return 'json';
  }
  switch (mode) {
    case 'raw': {
      const language = scalarText(record(record(body['options'])?.['raw'])?.['language']);
      if (language !== undefined && language !== 'json') {
        addWarning(ctx.warnings, {
          path: at,
          reason: `raw ${language.slice(0, 20)} bodies are not supported (actions send JSON or form bodies); the action has no body input`,
        });
        return 'json';
      }
      const parsed = parseJsonExample(rawText);
      if (!parsed.ok) {
        if (language === undefined) {
          addWarning(ctx.warnings, {
            path: `${at}/raw`,
            reason: 'raw body is not JSON; the action has no body input',
          });
          return 'json';
        }
        addWarning(ctx.warnings, {
          path: `${at}/raw`,
          reason: 'raw JSON body does not parse; imported as a whole body of any shape',
        });
        params.add({ name: 'body', in: 'body', required: true, whole: true });
        return 'json';
      }
      const example = record(parsed.value);
      const keys = example === undefined ? [] : Object.keys(example);
      if (
        example === undefined ||
        keys.length === 0 ||
        keys.length > MAX_PARAMETERS - params.items.length ||
        keys.some((k) => k === '' || k.length > 200)
      ) {
        params.add({
          name: 'body',
          in: 'body',
          required: true,
          whole: true,
          schema: inferSchema({ value: parsed.value, depth: 0 }),
        });
        return 'json';
      }
      for (const [key, value] of Object.entries(example)) {
        params.add({
          name: key,
          in: 'body',
          required: false,
          schema: inferSchema({ value, depth: 1 }),
        });
      }
      return 'json';
    }
    case 'urlencoded':
    case 'formdata': {
      const entries = readEntries({ value: body[mode], at: `${at}/${mode}` });
      if (mode === 'formdata') {
        list(body['formdata']).forEach((entry, i) => {
          if (record(entry)?.['type'] === 'file')
            addWarning(ctx.warnings, {
              path: `${at}/formdata/${i}`,
              reason: 'file fields are not supported; skipped',
            });
        });
        if (entries.length > 0)
          addWarning(ctx.warnings, {
            path: at,
            reason: 'multipart form-data is sent as application/x-www-form-urlencoded',
          });
      }
      const files = new Set(
        list(body['formdata']).flatMap((entry) => {
          const e = record(entry);
          return e?.['type'] === 'file' && typeof e['key'] === 'string' ? [e['key']] : [];
        }),
      );
      addEntries({ entries, location: 'body', params, ctx, skip: (key) => files.has(key) });
      return 'form';
    }
    case 'graphql':
      params.add({ name: 'query', in: 'body', required: true, schema: { type: 'string' } });
      params.add({ name: 'variables', in: 'body', required: false, schema: { type: 'object' } });
      return 'json';
    default:
      addWarning(ctx.warnings, {
        path: `${at}/mode`,
        reason: `body mode ${mode.slice(0, 20)} is not supported; the action has no body input`,
      });
      return 'json';
  }
}
