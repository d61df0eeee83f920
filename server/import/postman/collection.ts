/**
 * Reading a Postman collection: its root (bare, or wrapped as the Postman API returns it), its
 * variables, its folder tree and each request's method, URL, query and headers, in the forms
 * both v2.0 and v2.1 allow (a URL as text or as parts, headers as a list or as text). Nothing
 * here decides what becomes an action; what cannot be read becomes a warning.
 */
import { HTTP_METHODS } from '../../domain/connector.ts';
import { AppError } from '../../errors.ts';
import { addWarning, type ImportWarning } from '../types.ts';
import { htmlToText } from '../html-text.ts';

export type Json = Record<string, unknown>;

type HttpMethod = (typeof HTTP_METHODS)[number];

const MAX_FOLDER_DEPTH = 32;

/** `{{name}}`: a Postman variable. Bounded so that hostile input cannot make matching slow. */
export const VARIABLE = /\{\{([^{}]{1,200})\}\}/g;

export interface Ctx {
  readonly warnings: ImportWarning[];
  readonly variables: ReadonlyMap<string, string>;
  /** Hosts already reported as written without a scheme, so each is reported once. */
  readonly schemeless: Set<string>;
  /** Pointer to the collection within the input: '' or '/collection' for an API response. */
  readonly root: string;
}

export interface Entry {
  key: string;
  value: string;
  disabled: boolean;
  description: string | undefined;
  at: string;
}

export interface FoundRequest {
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

export interface ParsedRequest {
  found: FoundRequest;
  request: Json;
  /** Pointer to the request object. */
  at: string;
  urlAt: string;
  method: HttpMethod;
  url: ParsedUrl;
  headers: Entry[];
}

export function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Postman writes descriptions as a string or as `{ content, type }`. */
export function descriptionOf(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : record(value)?.content;
  if (typeof text !== 'string') return undefined;
  const trimmed = htmlToText(text.trim());
  return trimmed === '' ? undefined : trimmed;
}

function invalid(reason: string): AppError {
  return new AppError('validation_failed', `not a Postman Collection v2.1: ${reason}`);
}

export function resolveVariables({
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

export function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol, hostname } = new URL(text);
  return (protocol === 'http:' || protocol === 'https:') && hostname !== '';
}

export function readRoot(collection: unknown): { root: Json; at: string } {
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

export function readVariables({
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

export function walk({
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

export function readEntries({ value, at }: { value: unknown; at: string }): Entry[] {
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
export function resolveOrigin({ hostText, ctx, at }: { hostText: string; ctx: Ctx; at: string }): {
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

export function readRequest({
  found,
  ctx,
}: {
  found: FoundRequest;
  ctx: Ctx;
}): ParsedRequest | null {
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
