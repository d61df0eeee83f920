/**
 * One read-only request to an API, read for what a connector needs: the auth challenge
 * (`WWW-Authenticate`), rate-limit headers, pagination (the `Link` header, cursor fields in the
 * body) and a JSON Schema of the answer. Only GET, HEAD and OPTIONS: a probe must never change
 * anything at the vendor.
 *
 * `analyzeResponse` is separate from the request so that an answer obtained another way (through
 * a connection's auth, by the proxy service) is read the same way.
 */
import type { AuthChallenge, ProbeResult } from '../domain/discovery.ts';
import { AppError } from '../errors.ts';
import { fetchError, type DiscoveryFetch } from './fetch.ts';
import { inferJsonSchema } from './schema.ts';

/** Bytes of a probed answer read (the schema is inferred from these). */
export const MAX_PROBE_BYTES = 1024 * 1024;
/** Characters of the body returned as a sample. */
export const MAX_BODY_SAMPLE_CHARS = 4000;
/** Time for one probe (ms). */
export const PROBE_TIMEOUT_MS = 15_000;
/** Headers returned. */
const MAX_HEADERS = 60;
/** Pagination fields reported. */
const MAX_PAGING_FIELDS = 20;

export const PROBE_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;
export type ProbeMethod = (typeof PROBE_METHODS)[number];

const MASK = '***';

/** Response headers whose values are credentials or sessions. */
const SECRET_HEADER =
  /^(set-cookie2?|cookie|authorization|proxy-authorization)$|token|secret|api[-_]?key|session/i;

/** Masks secret header values; keeps the auth challenge and rate-limit headers readable. */
export function maskHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers).slice(0, MAX_HEADERS)) {
    masked[name] = SECRET_HEADER.test(name) && !/ratelimit|rate-limit/i.test(name) ? MASK : value;
  }
  return masked;
}

// ---------------------------------------------------------------------------------------------
// WWW-Authenticate (RFC 9110 §11.6.1)

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * The challenges of a `WWW-Authenticate` value: `Bearer realm="api", error="invalid_token",
 * Basic realm="x"` → two challenges. A token68 (`Negotiate abc==`) is kept as `params.token68`.
 */
export function parseWwwAuthenticate(value: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let rest = value.trim();
  let current: AuthChallenge | null = null;
  const skip = (pattern: RegExp) => {
    rest = rest.replace(pattern, '');
  };
  while (rest !== '') {
    skip(/^[\s,]+/);
    const token = TOKEN.exec(rest)?.[0];
    if (token === undefined) break;
    const after = rest.slice(token.length);
    if (/^\s*=/.test(after) && current !== null && !/^\s*=+\s*(,|$)/.test(after)) {
      // name=value of the current challenge
      rest = after.replace(/^\s*=\s*/, '');
      let paramValue: string;
      if (rest.startsWith('"')) {
        let i = 1;
        paramValue = '';
        for (; i < rest.length && rest[i] !== '"'; i++) {
          if (rest[i] === '\\' && i + 1 < rest.length) i++;
          paramValue += rest[i];
        }
        rest = rest.slice(i + 1);
      } else {
        paramValue = /^[^,\s]*/.exec(rest)?.[0] ?? '';
        rest = rest.slice(paramValue.length);
      }
      const name = token.toLowerCase();
      if (name === 'realm') current.realm = paramValue;
      else current.params[name] = paramValue;
      continue;
    }
    // A new challenge: the scheme, perhaps followed by a token68.
    current = { scheme: token, params: {} };
    challenges.push(current);
    rest = after;
    const token68 = /^\s+([A-Za-z0-9\-._~+/]+=*)\s*(,|$)/.exec(rest);
    if (token68?.[1] !== undefined && !/^\s+[^\s=,]+\s*=[^=]/.test(rest)) {
      current.params['token68'] = token68[1];
      rest = rest.slice(token68[0].length);
    }
  }
  return challenges;
}

// ---------------------------------------------------------------------------------------------
// Link (RFC 8288)

/** `<url>; rel="next", <url>; rel="last"` → `{ next: url, last: url }`, resolved against `base`. */
export function parseLinkHeader({
  value,
  base,
}: {
  value: string;
  base: string;
}): Record<string, string> {
  const links: Record<string, string> = {};
  for (const match of value.matchAll(/<([^>]*)>([^<]*)/g)) {
    const target = match[1] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))/i.exec(match[2] ?? '');
    const rels = (rel?.[1] ?? rel?.[2] ?? '').split(/\s+/).filter(Boolean);
    let resolved = target;
    try {
      resolved = new URL(target, base).toString();
    } catch {
      // keep it as written
    }
    for (const name of rels) links[name.toLowerCase()] ??= resolved;
  }
  return links;
}

// ---------------------------------------------------------------------------------------------
// Rate limits

/**
 * Rate-limit headers as found (`x-ratelimit-*`, `x-rate-limit-*`, IETF `ratelimit-*` and the
 * structured `ratelimit: limit=100, remaining=50, reset=30`, `retry-after`), plus `limit`,
 * `remaining`, `reset` and `retryAfter` where one can be read.
 */
export function rateLimitOf(headers: Readonly<Record<string, string>>): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (/^(x-)?rate-?limit|^retry-after$/i.test(name)) found[name] = value;
  }
  const pick = (suffix: string): string | undefined => {
    for (const [name, value] of Object.entries(found)) {
      if (new RegExp(`rate-?limit-${suffix}$`, 'i').test(name)) return value;
    }
    return undefined;
  };
  const structured = found['ratelimit'];
  const field = (key: string) =>
    structured === undefined ? undefined : new RegExp(`\\b${key}=(\\d+)`).exec(structured)?.[1];
  const summary: Record<string, string | undefined> = {
    limit: pick('limit') ?? field('limit'),
    remaining: pick('remaining') ?? field('remaining'),
    reset: pick('reset') ?? field('reset'),
    retryAfter: found['retry-after'],
  };
  for (const [key, value] of Object.entries(summary)) if (value !== undefined) found[key] = value;
  return found;
}

// ---------------------------------------------------------------------------------------------
// Pagination

/** Body fields that say there is a next page, and how to ask for it. */
const PAGING_FIELD =
  /^(next|next_?cursor|next_?page(_?token)?|next_?url|next_?link|nextPageToken|next_token|cursor|after|has_?more|hasMore|more|page|page_?count|total_?pages|total(_count)?|offset|limit|per_page|@odata\.nextLink|continuation(_?token)?)$/i;
/** Fields that hold the next page itself (a URL, a cursor, a token). */
const NEXT_FIELD =
  /^(next|next_?cursor|next_?page_?token|nextPageToken|next_token|next_?url|next_?link|@odata\.nextLink|continuation(_?token)?)$/i;

/** Paging fields at the top of a JSON body and one level down (`meta`, `pagination`, ...). */
export function pagingFields(body: unknown): { path: string; value: unknown }[] {
  const fields: { path: string; value: unknown }[] = [];
  const visit = (value: unknown, prefix: string, depth: number) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      if (fields.length >= MAX_PAGING_FIELDS) return;
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (PAGING_FIELD.test(key) && (inner === null || typeof inner !== 'object'))
        fields.push({ path, value: inner });
      else if (depth < 1) visit(inner, path, depth + 1);
    }
  };
  visit(body, '', 0);
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Reading an answer

export interface ProbedAnswer {
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body as received (a Buffer, possibly cut at the byte cap), or already parsed JSON. */
  readonly body: unknown;
  readonly truncated: boolean;
  readonly durationMs: number;
}

function parsedBody({ body, contentType }: { body: unknown; contentType: string }): {
  text: string;
  json: unknown;
} {
  if (!Buffer.isBuffer(body)) {
    return typeof body === 'string'
      ? { text: body, json: undefined }
      : { text: JSON.stringify(body) ?? '', json: body ?? undefined };
  }
  const text = body.toString('utf8');
  if (/\bjson\b/i.test(contentType) || /^\s*[[{]/.test(text)) {
    try {
      return { text, json: JSON.parse(text) as unknown };
    } catch {
      return { text, json: undefined };
    }
  }
  return { text, json: undefined };
}

/** Replaces each secret value (at least 4 characters) wherever it appears in `text`. */
function scrub({ text, secrets }: { text: string; secrets: readonly string[] }): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(MASK);
  return out;
}

/**
 * Reads an answer for a connector builder. `secrets` (the credential values the request sent)
 * are masked wherever the answer echoes them.
 */
export function analyzeResponse({
  answer,
  secrets = [],
}: {
  answer: ProbedAnswer;
  secrets?: readonly string[];
}): ProbeResult {
  const contentType = answer.headers['content-type'];
  const { text, json } = parsedBody({ body: answer.body, contentType: contentType ?? '' });
  const links =
    answer.headers['link'] === undefined
      ? {}
      : parseLinkHeader({ value: answer.headers['link'], base: answer.url });
  const fields = pagingFields(json);
  const nextField = fields.find(
    (f) =>
      NEXT_FIELD.test(f.path.split('.').at(-1) ?? '') &&
      typeof f.value === 'string' &&
      f.value !== '',
  );
  const next = links['next'] ?? (nextField?.value as string | undefined);
  const challenge = answer.headers['www-authenticate'];
  const sample = scrub({ text: text.slice(0, MAX_BODY_SAMPLE_CHARS + 1000), secrets });
  const headers = Object.fromEntries(
    Object.entries(maskHeaders(answer.headers)).map(([k, v]) => [k, scrub({ text: v, secrets })]),
  );
  return {
    url: answer.url,
    status: answer.status,
    headers,
    ...(contentType !== undefined && { contentType }),
    body: sample.slice(0, MAX_BODY_SAMPLE_CHARS),
    bodyTruncated: answer.truncated || sample.length > MAX_BODY_SAMPLE_CHARS,
    ...(json !== undefined && !answer.truncated && { schema: inferJsonSchema(json) }),
    authChallenges: challenge === undefined ? [] : parseWwwAuthenticate(challenge),
    rateLimit: rateLimitOf(answer.headers),
    pagination: {
      ...(next !== undefined && { next: scrub({ text: next, secrets }) }),
      links,
      fields: fields.map((f) =>
        typeof f.value === 'string' ? { ...f, value: scrub({ text: f.value, secrets }) } : f,
      ),
    },
    durationMs: Math.round(answer.durationMs),
  };
}

/** The URL a probe sends to: `path` under `baseUrl` (whose own path is kept), plus `query`. */
export function probeUrl({
  baseUrl,
  path,
  query = {},
}: {
  baseUrl: string;
  path: string;
  query?: Readonly<Record<string, string | readonly string[]>>;
}): URL {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new AppError('validation_failed', 'baseUrl is not a valid URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new AppError('validation_failed', 'baseUrl must be http or https');
  const url = new URL(base);
  const [pathPart = '', queryPart] = path.split('?', 2);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}/${pathPart.replace(/^\/+/, '')}`;
  url.search = queryPart === undefined ? base.search : `?${queryPart}`;
  url.hash = '';
  for (const [name, value] of Object.entries(query)) {
    for (const item of typeof value === 'string' ? [value] : value)
      url.searchParams.append(name, item);
  }
  return url;
}

/**
 * Sends one GET, HEAD or OPTIONS to `baseUrl` + `path` (redirects are reported, not followed,
 * so headers the caller gives never go to another origin) and reads the answer.
 */
export async function probeEndpoint({
  http,
  baseUrl,
  method,
  path,
  query,
  headers = {},
}: {
  http: DiscoveryFetch;
  baseUrl: string;
  method: ProbeMethod;
  path: string;
  query?: Readonly<Record<string, string | readonly string[]>>;
  headers?: Readonly<Record<string, string>>;
}): Promise<ProbeResult> {
  if (!(PROBE_METHODS as readonly string[]).includes(method))
    throw new AppError('validation_failed', `a probe sends only ${PROBE_METHODS.join(', ')}`);
  const url = probeUrl({ baseUrl, path, ...(query !== undefined && { query }) });
  const sent: Record<string, string> = { accept: 'application/json, */*;q=0.5' };
  for (const [name, value] of Object.entries(headers))
    sent[name.toLowerCase()] = value.replace(/[\r\n]/g, ' ');
  const secrets = [
    ...Object.entries(sent)
      .filter(([name]) => /auth|key|token|secret|cookie/i.test(name))
      .flatMap(([, value]) => [value, value.replace(/^(Bearer|Basic|Token)\s+/i, '')]),
    ...[...url.searchParams]
      .filter(([name]) => /key|token|secret|sig|password/i.test(name))
      .map(([, value]) => value),
  ];
  let answer;
  try {
    answer = await http({
      url: url.toString(),
      method,
      headers: sent,
      maxBytes: MAX_PROBE_BYTES,
      timeoutMs: PROBE_TIMEOUT_MS,
      redirect: 'manual',
    });
  } catch (error) {
    throw fetchError({ error, url: url.toString() });
  }
  const result = analyzeResponse({ answer, secrets });
  // The query may carry a key: the URL reported has it masked.
  return { ...result, url: scrub({ text: answer.url, secrets }) };
}
