import type { Action, Parameter } from '../domain/connector.ts';
import { AppError } from '../errors.ts';
import type { OutboundRequest } from './types.ts';

/** Fills `{name}` placeholders of a base URL from server variables (connection value, else default). */
export function resolveBaseUrl({
  baseUrl,
  serverVariables,
  values,
}: {
  baseUrl: string | null;
  serverVariables: Record<string, { default: string; enum?: string[] | undefined }>;
  values: Record<string, string>;
}): URL {
  if (baseUrl === null)
    throw new AppError(
      'bad_request',
      'the connector has no base URL; set baseUrl on the connector',
    );
  const filled = baseUrl.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const variable = serverVariables[name];
    const value = values[name] ?? variable?.default;
    if (value === undefined)
      throw new AppError(
        'bad_request',
        `base URL variable {${name}} has no value; set it in the connection config`,
      );
    if (variable?.enum && !variable.enum.includes(value)) {
      throw new AppError(
        'validation_failed',
        `base URL variable {${name}} must be one of ${variable.enum.join(', ')}`,
      );
    }
    // A value must not be able to change the host in a way the template did not intend.
    if (/[/?#@\\]/.test(value) && !/^[a-z0-9.-]+$/i.test(value)) {
      throw new AppError(
        'validation_failed',
        `base URL variable {${name}} has characters that are not allowed`,
      );
    }
    return value;
  });
  try {
    return new URL(filled.endsWith('/') ? filled : `${filled}/`);
  } catch {
    throw new AppError('validation_failed', `the base URL ${filled} is not a valid URL`);
  }
}

function wire(p: Parameter): string {
  return p.wireName ?? p.name;
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

/** Percent-decodings tried after the path as written: servers and proxies in front of them decode. */
const DECODING_ROUNDS = 3;

/**
 * How many percent-decodings it takes for `path` (relative to a base) to climb above the base
 * with `..` segments, or null if no spelling does: the path as written, then decoded once, twice,
 * three times. Backslashes count as slashes (URL parsing and some servers treat them so), and a
 * segment's `;parameters` are ignored (`..;x` is `..` to servers that strip them). A path still
 * encoded after three decodings counts as climbing: nothing legitimate is encoded four times.
 */
function climbsAbove(path: string): number | null {
  let text = path.split(/[?#]/, 1)[0] ?? '';
  for (let round = 0; ; round++) {
    let depth = 0;
    for (const raw of text.split(/[/\\]/)) {
      // Decoded `?` and `#` end a segment too: `..%3f` is `..` to a server that decodes first.
      const segment = raw.split(/[;?#]/, 1)[0];
      if (segment === '..') {
        if (--depth < 0) return round;
      } else if (segment !== '' && segment !== '.') {
        depth++;
      }
    }
    const decoded = text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
    if (decoded === text) return null;
    if (round === DECODING_ROUNDS) return round + 1;
    text = decoded;
  }
}

/**
 * Joins a path onto the base URL. A path that would leave the base — another origin, or above
 * the base path however its dots and slashes are spelled (`..`, `%2e%2e`, `..%2f`, `..\`, double
 * encoding) — is refused, not normalised into something else.
 */
export function joinUrl(base: URL, path: string): URL {
  const relative = path.replace(/^[/\\]+/, '');
  const refuse = (why: string) =>
    new AppError(
      'bad_request',
      `the path ${JSON.stringify(path)} leaves the connector's base path (${base.pathname}): ${why}; give a path inside it`,
      { path, basePath: base.pathname },
    );
  const rounds = climbsAbove(relative);
  if (rounds !== null) {
    const spelled =
      rounds === 0
        ? ''
        : rounds > DECODING_ROUNDS
          ? ` (it is still percent-encoded after ${DECODING_ROUNDS} decodings)`
          : ` once percent-decoded${rounds > 1 ? ` ${rounds} times` : ''}`;
    const slashes = /\\|%5c/i.test(relative) ? ', a backslash counting as a slash' : '';
    throw refuse(`its ".." segments climb above it${spelled}${slashes}`);
  }
  const url = new URL(relative, base);
  if (url.origin !== base.origin) throw refuse('it names another origin');
  if (!url.pathname.startsWith(base.pathname)) throw refuse('it resolves outside it');
  return url;
}

function formEncode(value: Record<string, unknown>): string {
  const form = new URLSearchParams();
  const add = (key: string, v: unknown) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) v.forEach((item, i) => add(`${key}[${i}]`, item));
    else if (typeof v === 'object')
      for (const [k, inner] of Object.entries(v)) add(`${key}[${k}]`, inner);
    else form.append(key, scalar(v));
  };
  for (const [k, v] of Object.entries(value)) add(k, v);
  return form.toString();
}

/**
 * Builds the HTTP request of an action from its (already validated) input: path parameters are
 * percent-encoded into the template, query arrays repeat the key, body fields become a JSON or
 * form body. Inputs that match no parameter are refused rather than silently dropped.
 */
export function buildActionRequest({
  action,
  base,
  input,
}: {
  action: Action;
  base: URL;
  input: Record<string, unknown>;
}): OutboundRequest {
  const byName = new Map(action.parameters.map((p) => [p.name, p]));
  for (const key of Object.keys(input)) {
    if (!byName.has(key)) {
      throw new AppError('validation_failed', `action ${action.slug} has no input '${key}'`, {
        field: key,
      });
    }
  }
  let path = action.path;
  const headers: Record<string, string> = { accept: 'application/json' };
  const query: [string, string][] = [];
  const cookies: string[] = [];
  let body: Record<string, unknown> | undefined;
  let whole: unknown;
  let hasWhole = false;
  for (const p of action.parameters) {
    const value = input[p.name];
    if (value === undefined) {
      if (p.required && p.in === 'path')
        throw new AppError('validation_failed', `missing path parameter ${p.name}`, {
          field: p.name,
        });
      continue;
    }
    switch (p.in) {
      case 'path': {
        const encoded = encodeURIComponent(scalar(value));
        path = path.split(`{${wire(p)}}`).join(encoded);
        break;
      }
      case 'query':
        if (Array.isArray(value)) for (const v of value) query.push([wire(p), scalar(v)]);
        else if (value !== null) query.push([wire(p), scalar(value)]);
        break;
      case 'header':
        headers[wire(p).toLowerCase()] = scalar(value).replace(/[\r\n]/g, ' ');
        break;
      case 'cookie':
        cookies.push(`${wire(p)}=${encodeURIComponent(scalar(value))}`);
        break;
      case 'body':
        if (p.whole === true) {
          whole = value;
          hasWhole = true;
        } else {
          body ??= {};
          body[wire(p)] = value;
        }
        break;
    }
  }
  const url = joinUrl(base, path);
  for (const [k, v] of query) url.searchParams.append(k, v);
  if (cookies.length > 0) headers['cookie'] = cookies.join('; ');
  let text: string | undefined;
  const payload = hasWhole ? whole : body;
  if (payload !== undefined) {
    if (action.bodyType === 'form') {
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
        throw new AppError('validation_failed', 'a form body must be an object');
      }
      text = formEncode(payload as Record<string, unknown>);
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      text = JSON.stringify(payload);
      headers['content-type'] = 'application/json';
    }
  }
  return { method: action.method, url, headers, body: text };
}
