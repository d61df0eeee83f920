import { isDeepStrictEqual } from 'node:util';
import {
  ActionInputSchema,
  AuthMethodSchema,
  CONNECTOR_FORMAT_VERSION,
  ConnectorDocumentSchema,
  HTTP_METHODS,
  type ActionInput,
  type AuthMethod,
  type ConnectorDocument,
  type Parameter,
} from '../domain/connector.ts';
import { AppError } from '../errors.ts';
import { addWarning, type ImportResult, type ImportWarning, type RankedAction } from './types.ts';
import { htmlToText } from './html-text.ts';

/*
 * Postman collections (v2.1, and v2.0, which differs only in how auth attributes are written)
 * hold example requests rather than a contract, so everything here is inferred from examples:
 * parameters from URLs, headers and bodies, the base URL from a variable or the prefix the
 * requests share, auth methods from the collection, its folders and its requests. Whatever
 * cannot be carried over becomes a warning that points into the collection.
 */

type Json = Record<string, unknown>;
type HttpMethod = (typeof HTTP_METHODS)[number];
type Schema = Record<string, unknown>;

const MAX_FOLDER_DEPTH = 32;
const MAX_SCHEMA_DEPTH = 12;
const MAX_SCHEMA_PROPERTIES = 500;
const MAX_ACTIONS = 5000;
const MAX_PARAMETERS = 500;
const MAX_AUTH_METHODS = 10;
/** Collection variables taken as the base URL, in order of preference (case-insensitive). */
const BASE_URL_VARIABLES = ['baseurl', 'base_url', 'url'];
/** `{{name}}`: a Postman variable. Bounded so that hostile input cannot make matching slow. */
const VARIABLE = /\{\{([^{}]{1,200})\}\}/g;
/** Headers that the engine sets itself or that carry credentials. */
const SKIPPED_HEADERS = new Set([
  'authorization',
  'content-type',
  'content-length',
  'host',
  'accept',
]);
/** Header and query names that hold a credential even when the collection declares no auth. */
const KEY_HEADER = /^(x-)?(api[-_]?key|api[-_]?token|auth[-_]?token|access[-_]?token)$/i;
const KEY_QUERY = /^(api[-_]?key|access[-_]?token|auth[-_]?token)$/i;

interface Ctx {
  readonly warnings: ImportWarning[];
  readonly variables: ReadonlyMap<string, string>;
  /** Hosts already reported as written without a scheme, so each is reported once. */
  readonly schemeless: Set<string>;
  /** Pointer to the collection within the input: '' or '/collection' for an API response. */
  readonly root: string;
}

interface Entry {
  key: string;
  value: string;
  disabled: boolean;
  description: string | undefined;
  at: string;
}

interface FoundRequest {
  item: Json;
  /** Pointer to the item in the collection. */
  at: string;
  folders: string[];
}

interface ParsedUrl {
  /** `https://api.example.com`, or the unresolved text before the path such as `{{host}}`. */
  origin: string;
  segments: string[];
  query: Entry[];
  pathVariables: Map<string, string | undefined>;
}

interface ParsedRequest {
  found: FoundRequest;
  request: Json;
  /** Pointer to the request object. */
  at: string;
  urlAt: string;
  method: HttpMethod;
  url: ParsedUrl;
  headers: Entry[];
}

interface Base {
  origin: string;
  segments: string[];
}

interface AuthNames {
  headers: Set<string>;
  query: Set<string>;
}

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Postman writes descriptions as a string or as `{ content, type }`. */
function descriptionOf(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : record(value)?.content;
  if (typeof text !== 'string') return undefined;
  const trimmed = htmlToText(text.trim());
  return trimmed === '' ? undefined : trimmed;
}

function invalid(reason: string): AppError {
  return new AppError('validation_failed', `not a Postman Collection v2.1: ${reason}`);
}

function resolveVariables({
  text,
  variables,
}: {
  text: string;
  variables: ReadonlyMap<string, string>;
}): string {
  let current = text;
  // Values may refer to other variables; a few rounds settle sane nesting and stop cycles.
  for (let round = 0; round < 5; round++) {
    const next = current.replace(VARIABLE, (whole, name: string) => {
      return variables.get(name.trim()) ?? whole;
    });
    if (next === current || next.length > 10_000) break;
    current = next;
  }
  return current;
}

function readRoot(collection: unknown): { root: Json; at: string } {
  const root = record(collection);
  if (root === undefined) throw invalid('expected a JSON object');
  if (Array.isArray(root['item'])) return { root, at: '' };
  // The Postman API answers GET /collections/{id} with the collection wrapped in `collection`.
  const wrapped = record(root['collection']);
  if (wrapped !== undefined && Array.isArray(wrapped['item']))
    return { root: wrapped, at: '/collection' };
  if (Array.isArray(root['requests']))
    throw invalid('this is a v1 collection; export it from Postman again as Collection v2.1');
  throw invalid('it has no "item" array');
}

function readVariables({
  value,
  at,
  warnings,
}: {
  value: unknown;
  at: string;
  warnings: ImportWarning[];
}) {
  const variables = new Map<string, string>();
  list(value).forEach((entry, i) => {
    const v = record(entry);
    const key = scalarText(v?.['key']) ?? scalarText(v?.['id']);
    if (v === undefined || key === undefined || key.trim() === '') {
      addWarning(warnings, { path: `${at}/${i}`, reason: 'variable without a key; ignored' });
      return;
    }
    if (v['disabled'] === true) return;
    const text = scalarText(v['value']);
    if (text !== undefined && text !== '') variables.set(key.trim(), text);
  });
  return variables;
}

function walk({
  items,
  at,
  folders,
  depth,
  ctx,
  found,
  authSources,
}: {
  items: unknown[];
  at: string;
  folders: string[];
  depth: number;
  ctx: Ctx;
  found: FoundRequest[];
  authSources: { auth: Json; at: string }[];
}): void {
  items.forEach((entry, i) => {
    const here = `${at}/item/${i}`;
    const item = record(entry);
    if (item === undefined) {
      addWarning(ctx.warnings, { path: here, reason: 'not an object; skipped' });
      return;
    }
    const name = typeof item['name'] === 'string' ? item['name'].trim() : '';
    if (Array.isArray(item['item'])) {
      if (depth >= MAX_FOLDER_DEPTH) {
        addWarning(ctx.warnings, {
          path: here,
          reason: `folders nested deeper than ${MAX_FOLDER_DEPTH}; skipped`,
        });
        return;
      }
      const auth = record(item['auth']);
      if (auth !== undefined) authSources.push({ auth, at: `${here}/auth` });
      walk({
        items: item['item'],
        at: here,
        folders: name === '' ? folders : [...folders, name],
        depth: depth + 1,
        ctx,
        found,
        authSources,
      });
      return;
    }
    if (item['request'] === undefined || item['request'] === null) {
      addWarning(ctx.warnings, { path: here, reason: 'neither a folder nor a request; skipped' });
      return;
    }
    const auth = record(record(item['request'])?.['auth']);
    if (auth !== undefined) authSources.push({ auth, at: `${here}/request/auth` });
    found.push({ item, at: here, folders });
  });
}

function readEntries({ value, at }: { value: unknown; at: string }): Entry[] {
  // Headers may also be written as one string of `Name: value` lines.
  if (typeof value === 'string') {
    return value.split(/\r?\n/).flatMap((line) => {
      const colon = line.indexOf(':');
      if (colon <= 0) return [];
      return [
        {
          key: line.slice(0, colon).trim(),
          value: line.slice(colon + 1).trim(),
          disabled: false,
          description: undefined,
          at,
        },
      ];
    });
  }
  return list(value).flatMap((entry, i) => {
    const e = record(entry);
    const key = scalarText(e?.['key']);
    if (e === undefined || key === undefined || key === '') return [];
    return [
      {
        key,
        value: scalarText(e['value']) ?? '',
        disabled: e['disabled'] === true,
        description: descriptionOf(e['description']),
        at: `${at}/${i}`,
      },
    ];
  });
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function queryFromRaw({ text, at }: { text: string; at: string }): Entry[] {
  return text
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return {
        key: decode(eq >= 0 ? pair.slice(0, eq) : pair),
        value: eq >= 0 ? decode(pair.slice(eq + 1)) : '',
        disabled: false,
        description: undefined,
        at,
      };
    })
    .filter((e) => e.key !== '');
}

function splitRaw(raw: string): { hostText: string; path: string[]; queryText: string } {
  const withoutHash = raw.trim().split('#')[0] ?? '';
  const q = withoutHash.indexOf('?');
  const beforeQuery = q >= 0 ? withoutHash.slice(0, q) : withoutHash;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(beforeQuery)?.[0] ?? '';
  const rest = beforeQuery.slice(scheme.length);
  const slash = rest.indexOf('/');
  return {
    hostText: scheme + (slash >= 0 ? rest.slice(0, slash) : rest),
    path: slash >= 0 ? rest.slice(slash + 1).split('/') : [],
    queryText: q >= 0 ? withoutHash.slice(q + 1) : '',
  };
}

/**
 * Resolves the host part with the collection variables; a variable such as `{{baseUrl}}` often
 * carries a path too (`https://api.example.com/v1`), which becomes leading path segments.
 */
function resolveOrigin({ hostText, ctx, at }: { hostText: string; ctx: Ctx; at: string }): {
  origin: string;
  prefix: string[];
} {
  const resolved = resolveVariables({ text: hostText.trim(), variables: ctx.variables });
  const absolute = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(resolved);
  if (absolute !== null) {
    const authority = absolute[2] ?? '';
    return {
      origin: `${(absolute[1] ?? '').toLowerCase()}://${authority.includes('{{') ? authority : authority.toLowerCase()}`,
      prefix: (absolute[3] ?? '').split('/').filter((s) => s !== ''),
    };
  }
  const slash = resolved.indexOf('/');
  const host = slash >= 0 ? resolved.slice(0, slash) : resolved;
  const prefix = slash >= 0 ? resolved.slice(slash + 1).split('/') : [];
  if (/^([a-z0-9-]+\.)+[a-z0-9-]+(:\d+)?$|^localhost(:\d+)?$/i.test(host)) {
    if (!ctx.schemeless.has(host)) {
      ctx.schemeless.add(host);
      addWarning(ctx.warnings, { path: at, reason: `no scheme in ${host}; https assumed` });
    }
    return { origin: `https://${host.toLowerCase()}`, prefix: prefix.filter((s) => s !== '') };
  }
  return { origin: host, prefix: prefix.filter((s) => s !== '') };
}

function readUrl({ value, at, ctx }: { value: unknown; at: string; ctx: Ctx }): ParsedUrl | null {
  const structured = record(value);
  const raw = typeof value === 'string' ? value : scalarText(structured?.['raw']);
  const hostParts = structured?.['host'];
  const host = Array.isArray(hostParts)
    ? hostParts
        .map(scalarText)
        .filter((h) => h !== undefined)
        .join('.')
    : scalarText(hostParts);
  let hostText: string;
  let path: string[];
  let queryText = '';
  if (structured !== undefined && host !== undefined && host !== '') {
    const protocol = scalarText(structured['protocol']);
    const port = scalarText(structured['port']);
    hostText = `${protocol !== undefined && protocol !== '' ? `${protocol}://` : ''}${host}${port !== undefined && port !== '' ? `:${port}` : ''}`;
    const pathValue = structured['path'];
    path = Array.isArray(pathValue)
      ? pathValue.map((s) => scalarText(s) ?? scalarText(record(s)?.['value']) ?? '')
      : (scalarText(pathValue)?.split('/') ?? []);
    if (raw !== undefined) queryText = splitRaw(raw).queryText;
  } else if (raw !== undefined && raw.trim() !== '') {
    ({ hostText, path, queryText } = splitRaw(raw));
  } else {
    addWarning(ctx.warnings, { path: at, reason: 'request without a URL; skipped' });
    return null;
  }
  const { origin, prefix } = resolveOrigin({ hostText, ctx, at });
  const query =
    structured !== undefined && Array.isArray(structured['query'])
      ? readEntries({ value: structured['query'], at: `${at}/query` })
      : queryFromRaw({ text: queryText, at });
  const pathVariables = new Map<string, string | undefined>();
  for (const entry of list(structured?.['variable'])) {
    const v = record(entry);
    const key = scalarText(v?.['key']);
    if (key !== undefined) pathVariables.set(key, descriptionOf(v?.['description']));
  }
  return {
    origin,
    segments: [...prefix, ...path.map((s) => s.trim()).filter((s) => s !== '')],
    query,
    pathVariables,
  };
}

function readRequest({ found, ctx }: { found: FoundRequest; ctx: Ctx }): ParsedRequest | null {
  const value = found.item['request'];
  // A request may be written as just its URL, which Postman sends as a GET.
  const request: Json = typeof value === 'string' ? { url: value } : (record(value) ?? {});
  const at = `${found.at}/request`;
  if (typeof value !== 'string' && record(value) === undefined) {
    addWarning(ctx.warnings, { path: at, reason: 'request is not an object; skipped' });
    return null;
  }
  const methodText = scalarText(request['method'])?.trim().toUpperCase() || 'GET';
  const method = HTTP_METHODS.find((m) => m === methodText);
  if (method === undefined) {
    addWarning(ctx.warnings, {
      path: `${at}/method`,
      reason: `method ${methodText.slice(0, 20)} is not supported; skipped`,
    });
    return null;
  }
  const urlAt = typeof value === 'string' ? at : `${at}/url`;
  const url = readUrl({ value: request['url'], at: urlAt, ctx });
  if (url === null) return null;
  return {
    found,
    request,
    at,
    urlAt,
    method,
    url,
    headers: readEntries({ value: request['header'], at: `${at}/header` }),
  };
}

/** Reads Postman auth attributes: a `[{ key, value }]` list in v2.1, a plain object in v2.0. */
function authAttributes({ auth, type }: { auth: Json; type: string }): Map<string, unknown> {
  const attributes = new Map<string, unknown>();
  const value = auth[type];
  if (Array.isArray(value)) {
    for (const entry of value) {
      const e = record(entry);
      if (e !== undefined && typeof e['key'] === 'string') attributes.set(e['key'], e['value']);
    }
  } else {
    for (const [k, v] of Object.entries(record(value) ?? {})) attributes.set(k, v);
  }
  return attributes;
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol, hostname } = new URL(text);
  return (protocol === 'http:' || protocol === 'https:') && hostname !== '';
}

/** The auth method a Postman auth object describes: null when there is none to add. */
function methodFromAuth({
  auth,
  at,
  ctx,
}: {
  auth: Json;
  at: string;
  ctx: Ctx;
}): AuthMethod | 'none' | null {
  const type = scalarText(auth['type']) ?? '';
  const attributes = authAttributes({ auth, type });
  const attribute = (key: string): string | undefined => {
    const text = scalarText(attributes.get(key))?.trim();
    return text === undefined || text === ''
      ? undefined
      : resolveVariables({ text, variables: ctx.variables });
  };
  switch (type) {
    case 'noauth':
      return 'none';
    case 'inherit':
      return null;
    case 'basic':
      return { key: 'basic', type: 'basic' };
    case 'bearer':
      return { key: 'bearer', type: 'bearer' };
    case 'apikey': {
      const name = attribute('key');
      if (name === undefined || name.includes('{{') || name.length > 200) {
        addWarning(ctx.warnings, {
          path: at,
          reason: 'API key auth without a usable key name; skipped',
        });
        return null;
      }
      return {
        key: 'api_key',
        type: 'api_key',
        in: attribute('in') === 'query' ? 'query' : 'header',
        name,
      };
    }
    case 'oauth2': {
      const tokenUrl = attribute('accessTokenUrl');
      if (tokenUrl === undefined || !isHttpUrl(tokenUrl)) {
        addWarning(ctx.warnings, {
          path: at,
          reason: 'OAuth 2.0 auth without an absolute http(s) access token URL; skipped',
        });
        return null;
      }
      const grantType = attribute('grant_type') ?? 'authorization_code';
      const supported = [
        'authorization_code',
        'authorization_code_with_pkce',
        'client_credentials',
      ];
      if (!supported.includes(grantType)) {
        addWarning(ctx.warnings, {
          path: at,
          reason: `OAuth 2.0 grant ${grantType.slice(0, 50)} is not supported (only authorization code and client credentials); skipped`,
        });
        return null;
      }
      const authorizeUrl = attribute('authUrl');
      if (
        grantType !== 'client_credentials' &&
        (authorizeUrl === undefined || !isHttpUrl(authorizeUrl))
      )
        addWarning(ctx.warnings, {
          path: at,
          reason:
            'OAuth 2.0 authorization code grant without an absolute auth URL; set authorizeUrl',
        });
      if (attribute('addTokenTo') === 'queryParams')
        addWarning(ctx.warnings, {
          path: at,
          reason: 'the OAuth 2.0 token is sent in the Authorization header, not in the query',
        });
      return {
        key: 'oauth2',
        type: 'oauth2',
        grant: grantType === 'client_credentials' ? 'client_credentials' : 'authorization_code',
        ...(authorizeUrl !== undefined && isHttpUrl(authorizeUrl) && { authorizeUrl }),
        tokenUrl,
        scopes: (attribute('scope') ?? '')
          .split(/\s+/)
          .filter((s) => s !== '')
          .slice(0, 200)
          .map((s) => s.slice(0, 200)),
        scopeSeparator: ' ',
        // Plain authorization code in Postman sends no PKCE challenge; mirror what was tested.
        pkce: grantType === 'authorization_code_with_pkce',
        tokenAuth: attribute('client_authentication') === 'body' ? 'post' : 'basic',
        refreshAheadSeconds: 60,
      };
    }
    default:
      addWarning(ctx.warnings, {
        path: at,
        reason: `auth type ${type.slice(0, 50) || '(none)'} is not supported; add it as a custom auth method`,
      });
      return null;
  }
}

/** Auth methods implied by a request that sends its credential by hand. */
function methodFromRequest(request: ParsedRequest): AuthMethod[] {
  const methods: AuthMethod[] = [];
  for (const h of request.headers) {
    if (h.disabled) continue;
    if (h.key.toLowerCase() === 'authorization') {
      if (/^\s*bearer\s/i.test(h.value)) methods.push({ key: 'bearer', type: 'bearer' });
      else if (/^\s*basic\s/i.test(h.value)) methods.push({ key: 'basic', type: 'basic' });
      else {
        const scheme = /^\s*(\S{1,40}\s+)?\{\{[^{}]{1,200}\}\}\s*$/.exec(h.value);
        if (scheme !== null) {
          methods.push({
            key: 'api_key',
            type: 'api_key',
            in: 'header',
            name: 'Authorization',
            ...(scheme[1] !== undefined && { prefix: scheme[1].replace(/\s+$/, ' ') }),
          });
        }
      }
    } else if (KEY_HEADER.test(h.key)) {
      methods.push({ key: 'api_key', type: 'api_key', in: 'header', name: h.key });
    }
  }
  for (const q of request.url.query) {
    if (!q.disabled && KEY_QUERY.test(q.key))
      methods.push({ key: 'api_key', type: 'api_key', in: 'query', name: q.key });
  }
  return methods;
}

function gatherAuth({
  sources,
  requests,
  ctx,
}: {
  sources: { auth: Json; at: string }[];
  requests: ParsedRequest[];
  ctx: Ctx;
}): { methods: AuthMethod[]; names: AuthNames } {
  const methods: AuthMethod[] = [];
  let sawNoAuth = false;
  const add = ({ method, at }: { method: AuthMethod; at: string }) => {
    const { key: _key, ...shape } = method;
    if (methods.some(({ key: _k, ...other }) => isDeepStrictEqual(other, shape))) return;
    if (methods.length >= MAX_AUTH_METHODS) {
      addWarning(ctx.warnings, {
        path: at,
        reason: `more than ${MAX_AUTH_METHODS} auth methods; skipped`,
      });
      return;
    }
    let key = method.key;
    for (let n = 2; methods.some((m) => m.key === key); n++) key = `${method.key}_${n}`;
    const parsed = AuthMethodSchema.safeParse({ ...method, key });
    if (!parsed.success) {
      addWarning(ctx.warnings, {
        path: at,
        reason: `auth method is not usable: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      });
      return;
    }
    methods.push(parsed.data);
  };
  for (const source of sources) {
    const method = methodFromAuth({ ...source, ctx });
    if (method === 'none') sawNoAuth = true;
    else if (method !== null) add({ method, at: source.at });
  }
  for (const request of requests) {
    for (const method of methodFromRequest(request)) add({ method, at: request.at });
  }
  if (methods.length === 0) {
    if (sawNoAuth) methods.push({ key: 'none', type: 'none' });
    else
      addWarning(ctx.warnings, {
        path: `${ctx.root}/auth`,
        reason:
          'the collection declares no authentication; add an auth method (type none for a public API)',
      });
  }
  const names: AuthNames = { headers: new Set(['authorization']), query: new Set() };
  for (const m of methods) {
    if (m.type !== 'api_key') continue;
    if (m.in === 'header') names.headers.add(m.name.toLowerCase());
    if (m.in === 'query') names.query.add(m.name);
  }
  return { methods, names };
}

function isLiteral(segment: string): boolean {
  return !segment.startsWith(':') && !/\{[^{}]*\}/.test(segment);
}

function startsWith({ request, base }: { request: ParsedRequest; base: Base }): boolean {
  return (
    request.url.origin === base.origin &&
    base.segments.every((s, i) => request.url.segments[i] === s)
  );
}

/**
 * The base URL: a `baseUrl`-like variable when requests use it, otherwise the most common
 * origin plus the literal path prefix that all of its requests share (never a request's last
 * segment, so that every action keeps a path of its own).
 */
function chooseBase({ requests, ctx }: { requests: ParsedRequest[]; ctx: Ctx }): Base {
  for (const preferred of BASE_URL_VARIABLES) {
    const entry = [...ctx.variables].find(([key]) => key.toLowerCase() === preferred);
    if (entry === undefined) continue;
    const { origin, prefix } = resolveOrigin({
      hostText: entry[1],
      ctx,
      at: `${ctx.root}/variable`,
    });
    if (!/^https?:\/\//.test(origin)) continue;
    const base = { origin, segments: prefix };
    if (requests.length === 0 || requests.some((request) => startsWith({ request, base })))
      return base;
    addWarning(ctx.warnings, {
      path: `${ctx.root}/variable`,
      reason: `no request starts with {{${entry[0]}}}; the base URL is taken from the requests`,
    });
    break;
  }
  const byOrigin = new Map<string, ParsedRequest[]>();
  for (const r of requests) {
    const group = byOrigin.get(r.url.origin);
    if (group === undefined) byOrigin.set(r.url.origin, [r]);
    else group.push(r);
  }
  let origin = '';
  let group: ParsedRequest[] = [];
  for (const [o, rs] of byOrigin) {
    if (rs.length > group.length) {
      origin = o;
      group = rs;
    }
  }
  const segments: string[] = [];
  if (group.length >= 2) {
    const shortest = group.reduce(
      (min, r) => Math.min(min, r.url.segments.length - 1),
      Number.POSITIVE_INFINITY,
    );
    for (let i = 0; i < shortest; i++) {
      const s = group[0]?.url.segments[i];
      if (s === undefined || !isLiteral(s) || group.some((r) => r.url.segments[i] !== s)) break;
      segments.push(s);
    }
  }
  return { origin, segments };
}

/** The connector's base URL; unresolved `{{x}}` variables become server variables `{x}`. */
function baseUrlOf({ base, ctx, at }: { base: Base; ctx: Ctx; at: string }): {
  baseUrl?: string;
  serverVariables: Record<string, { default: string }>;
} {
  const joined = [base.origin, ...base.segments].join('/');
  const names = new Set<string>();
  const template = joined.replace(VARIABLE, (_, name: string) => {
    const clean = name.trim().replace(/[^A-Za-z0-9_.-]/g, '_');
    names.add(clean);
    return `{${clean}}`;
  });
  const filled = template.replace(/\{[^{}]*\}/g, 'x');
  if (
    !/^https?:\/\/\S+$/.test(template) ||
    template.length > 2000 ||
    !isHttpUrl(filled) ||
    new URL(filled).search !== ''
  ) {
    addWarning(ctx.warnings, {
      path: at,
      reason: `no absolute http(s) base URL found (requests start with "${joined.slice(0, 200)}"); set baseUrl on the connector`,
    });
    return { serverVariables: {} };
  }
  for (const name of names) {
    addWarning(ctx.warnings, {
      path: at,
      reason: `the base URL uses {{${name}}}, which the collection gives no value; set it in each connection's config`,
    });
  }
  return {
    baseUrl: template,
    serverVariables: Object.fromEntries([...names].map((name) => [name, { default: '' }])),
  };
}

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

/** A JSON Schema describing an example value. */
function inferSchema({ value, depth }: { value: unknown; depth: number }): Schema {
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
function parseJsonExample(text: string): { ok: true; value: unknown } | { ok: false } {
  for (const candidate of [text, text.replace(/\{\{[^{}"\n]{1,200}\}\}/g, 'null')]) {
    try {
      return { ok: true, value: JSON.parse(candidate) as unknown };
    } catch {
      // try the next reading
    }
  }
  return { ok: false };
}

interface ParameterList {
  readonly items: Parameter[];
  /** Adds a parameter and returns it as stored: a taken name gets its location as prefix. */
  add(parameter: Parameter): Parameter | null;
}

function parameterList({ at, warnings }: { at: string; warnings: ImportWarning[] }): ParameterList {
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

function addEntries({
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

function addBody({
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

function connectorSlug(name: string): string {
  // Lowercased after normalizing: compatibility forms such as ㎴ decompose to uppercase letters.
  const slug = words(name)
    .join('-')
    .toLowerCase()
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug === '' ? 'imported-api' : slug;
}

function buildAction({
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
function rankActions(actions: readonly ActionInput[]): RankedAction[] {
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

/**
 * Extracts a connector document from a Postman Collection (v2.1 or v2.0): one action per
 * request, auth methods from collection, folder and request auth, the base URL from a
 * `baseUrl`/`base_url`/`url` variable or the requests' common prefix. Warnings (with JSON
 * pointers into the collection) are pushed onto `warnings`, which is also returned.
 * Throws AppError('validation_failed') when the input is not a collection at all.
 */
export function extractPostman({
  collection,
  warnings,
}: {
  collection: unknown;
  warnings: ImportWarning[];
}): ImportResult {
  const { root, at } = readRoot(collection);
  const info = record(root['info']) ?? {};
  const schema = scalarText(info['schema']);
  if (schema !== undefined && !/\/v2\.[01]\.\d+\//.test(schema))
    addWarning(warnings, {
      path: `${at}/info/schema`,
      reason: 'not a v2.0 or v2.1 schema; read as v2.1',
    });
  const ctx: Ctx = {
    warnings,
    variables: readVariables({ value: root['variable'], at: `${at}/variable`, warnings }),
    schemeless: new Set(),
    root: at,
  };

  const found: FoundRequest[] = [];
  const authSources: { auth: Json; at: string }[] = [];
  const rootAuth = record(root['auth']);
  if (rootAuth !== undefined) authSources.push({ auth: rootAuth, at: `${at}/auth` });
  walk({ items: list(root['item']), at, folders: [], depth: 0, ctx, found, authSources });

  const requests = found.flatMap((f) => readRequest({ found: f, ctx }) ?? []);
  const auth = gatherAuth({ sources: authSources, requests, ctx });
  const base = chooseBase({ requests, ctx });
  const { baseUrl, serverVariables } = baseUrlOf({
    base,
    ctx,
    at: requests[0]?.urlAt ?? `${at}/item`,
  });

  const actions: ActionInput[] = [];
  const slugs = new Set<string>();
  for (const request of requests) {
    if (!startsWith({ request, base })) {
      addWarning(ctx.warnings, {
        path: request.urlAt,
        reason: `URL is outside the base URL ${[base.origin, ...base.segments].join('/').slice(0, 200)}; skipped`,
      });
      continue;
    }
    if (actions.length >= MAX_ACTIONS) {
      addWarning(ctx.warnings, {
        path: request.at,
        reason: `more than ${MAX_ACTIONS} requests; skipped`,
      });
      continue;
    }
    const action = buildAction({
      request,
      remainder: request.url.segments.slice(base.segments.length),
      names: auth.names,
      slugs,
      ctx,
    });
    if (action !== null) actions.push(action);
  }

  const title = scalarText(info['name'])?.trim().slice(0, 200) ?? '';
  if (title === '')
    addWarning(warnings, { path: `${at}/info/name`, reason: 'collection has no name' });
  const name = title || 'Imported API';
  const description = descriptionOf(info['description']);
  const document: ConnectorDocument = {
    weftConnector: CONNECTOR_FORMAT_VERSION,
    connector: {
      slug: connectorSlug(name),
      name,
      ...(description !== undefined && { description: description.slice(0, 10_000) }),
      visibility: 'private',
      ...(baseUrl !== undefined && { baseUrl }),
      serverVariables,
      authMethods: auth.methods,
    },
    actions,
    events: [],
  };
  const checked = ConnectorDocumentSchema.safeParse(document);
  if (!checked.success) {
    // Every part was validated on the way; reaching this is a bug in the extractor.
    throw new AppError(
      'internal',
      `the collection produced an invalid connector document: ${checked.error.issues[0]?.message ?? ''}`,
    );
  }
  return {
    document: checked.data,
    entities: [],
    ranking: rankActions(checked.data.actions),
    warnings,
    stats: {
      operations: found.length,
      actions: checked.data.actions.length,
      events: 0,
      schemas: 0,
    },
  };
}
