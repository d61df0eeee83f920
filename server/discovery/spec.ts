/**
 * Finding a vendor's API description: well-known paths on the vendor's domain and its `api.`,
 * `developer.` and `docs.` hosts, spec links in a docs page (plain links, Redoc `spec-url`,
 * Swagger UI `url:` config), and the spec URL the caller already has. A candidate is confirmed
 * only by fetching it and reading it as OpenAPI 3, Swagger 2 or a Postman collection.
 *
 * Cost is bounded up front: a fixed list of paths, a cap on requests, a few at a time, bytes and
 * time per request, and one deadline for the whole search. A host that does not answer at all
 * (no DNS, refused) is dropped after its first failure, so a guessed domain costs one request.
 */
import type { DiscoverSpecResult, SpecCandidate } from '../domain/discovery.ts';
import { AppError } from '../errors.ts';
import { parseSpecText } from '../import/load.ts';
import { all, parseDocument } from './dom.ts';
import {
  FetchFailure,
  fetchError,
  mapLimit,
  type DiscoveryFetch,
  type FetchedResponse,
} from './fetch.ts';

/** Paths tried on each host, most common first (Springdoc, FastAPI, NestJS, ASP.NET, Express). */
export const WELL_KNOWN_PATHS = [
  '/openapi.json',
  '/.well-known/openapi.json',
  '/swagger.json',
  '/v3/api-docs',
  '/openapi.yaml',
  '/api/openapi.json',
  '/api-docs',
  '/swagger.yaml',
  '/v2/api-docs',
  '/docs/openapi.json',
  '/api/swagger.json',
  '/.well-known/openapi.yaml',
  '/openapi.yml',
  '/swagger/v1/swagger.json',
  '/api-docs.json',
  '/api/v1/openapi.json',
  '/v1/openapi.json',
  '/docs/swagger.json',
] as const;
/** Hosts tried besides the domain itself. */
export const HOST_PREFIXES = ['api.', 'developer.', 'docs.'] as const;
/** Requests to well-known paths, across all hosts. */
export const MAX_WELL_KNOWN_PROBES = 48;
/** Spec links read from a docs page. */
export const MAX_LINKED_CANDIDATES = 10;
/** Requests in flight at once. */
export const PROBE_CONCURRENCY = 6;
/** Time for one request (ms). */
export const SPEC_TIMEOUT_MS = 8000;
/** Bytes of a spec read; a larger one is reported unconfirmed. */
export const MAX_SPEC_BYTES = 16 * 1024 * 1024;
/** Bytes of the docs page read for links. */
export const MAX_DOCS_PAGE_BYTES = 3 * 1024 * 1024;
/** Time for the whole search (ms): requests not started by then are skipped. */
export const DISCOVERY_DEADLINE_MS = 45_000;

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Reading a spec

/** What a fetched document is, if it is an API description. */
export function summarizeSpec(
  text: string,
): Pick<SpecCandidate, 'format' | 'title' | 'version' | 'paths' | 'operations'> | null {
  let doc: Json;
  try {
    doc = parseSpecText({ text, label: 'the document' }).value;
  } catch {
    return null;
  }
  const info = isObject(doc['info']) ? doc['info'] : {};
  const title = typeof info['title'] === 'string' ? info['title'].slice(0, 200) : undefined;
  const version =
    typeof info['version'] === 'string' || typeof info['version'] === 'number'
      ? String(info['version']).slice(0, 50)
      : undefined;
  const named = {
    ...(title !== undefined && { title }),
    ...(version !== undefined && { version }),
  };
  const kind =
    doc['openapi'] !== undefined ? 'openapi' : doc['swagger'] !== undefined ? 'swagger' : null;
  if (kind !== null) {
    const paths = isObject(doc['paths']) ? doc['paths'] : {};
    const operations = Object.values(paths).reduce<number>(
      (n, item) =>
        n + (isObject(item) ? Object.keys(item).filter((k) => HTTP_METHODS.has(k)).length : 0),
      0,
    );
    return {
      format: `${kind} ${String(doc[kind]).slice(0, 20)}`,
      ...named,
      paths: Object.keys(paths).length,
      operations,
    };
  }
  const schema = typeof info['schema'] === 'string' ? info['schema'] : '';
  if (/getpostman\.com|collection\/v2/.test(schema) && Array.isArray(doc['item'])) {
    let operations = 0;
    const walk = (items: unknown[], depth: number) => {
      for (const item of items) {
        if (!isObject(item) || depth > 20) continue;
        if (item['request'] !== undefined) operations++;
        if (Array.isArray(item['item'])) walk(item['item'], depth + 1);
      }
    };
    walk(doc['item'], 0);
    const name = typeof info['name'] === 'string' ? info['name'].slice(0, 200) : undefined;
    return {
      format: `postman ${/v(2\.\d)/.exec(schema)?.[1] ?? '2'}`,
      ...(name !== undefined && { title: name }),
      ...(version !== undefined && { version }),
      operations,
    };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Spec links in a docs page

const SPEC_FILE = /(?:openapi|swagger|api-docs|api-spec|apispec)[\w.-]*\.(?:json|ya?ml)$/i;
const SPEC_ENDPOINT = /\/(?:v[23]\/api-docs|openapi|swagger)$/i;

function isSpecPath(url: string): boolean {
  try {
    const { pathname } = new URL(url);
    return SPEC_FILE.test(pathname) || SPEC_ENDPOINT.test(pathname);
  } catch {
    return false;
  }
}

/**
 * Spec URLs a docs page points at: links and scripts to `openapi`/`swagger` JSON or YAML, the
 * `spec-url` of Redoc and RapiDoc, Stoplight's `apiDescriptionUrl`, and the `url:` / `urls:`
 * of an inline Swagger UI config or the argument of `Redoc.init(...)`.
 */
export function specLinksOf({ html, base }: { html: string; base: string }): string[] {
  const document = parseDocument(html);
  const found: string[] = [];
  const add = (href: string | null | undefined, requireSpecPath: boolean) => {
    if (href === null || href === undefined || href === '') return;
    let url: string;
    try {
      url = new URL(href, base).toString();
    } catch {
      return;
    }
    if (!/^https?:/.test(url) || found.includes(url)) return;
    if (requireSpecPath && !isSpecPath(url)) return;
    found.push(url);
  };
  for (const el of all(document, 'a[href], link[href]')) add(el.getAttribute('href'), true);
  for (const el of all(document, 'script[src]')) add(el.getAttribute('src'), true);
  for (const el of all(document, '[spec-url]')) add(el.getAttribute('spec-url'), false);
  for (const el of all(document, '[apiDescriptionUrl], [apidescriptionurl]'))
    add(el.getAttribute('apiDescriptionUrl') ?? el.getAttribute('apidescriptionurl'), false);
  for (const script of all(document, 'script:not([src])')) {
    const code = script.textContent ?? '';
    if (!/swagger|redoc|openapi|api-docs/i.test(code)) continue;
    for (const m of code.matchAll(/\burl\s*:\s*(["'`])([^"'`\s]+)\1/g)) add(m[2], false);
    for (const m of code.matchAll(/Redoc\.init\(\s*(["'`])([^"'`\s]+)\1/g)) add(m[2], false);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Where to look

function stripKnownPrefix(host: string): string {
  return host.replace(/^(?:www|api|developers?|docs|dev)\./i, '');
}

/** The origin (scheme, host, port) a domain argument names: `example.com`, `https://x.io:8443`. */
export function originOf(domain: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(domain) ? domain : `https://${domain}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError(
      'validation_failed',
      `domain ${JSON.stringify(domain.slice(0, 100))} is not a host name`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AppError('validation_failed', 'domain must be a host name or an http(s) URL');
  return new URL(url.origin);
}

/** The domain's hosts to try: itself, then `api.`, `developer.`, `docs.` (not for IP addresses). */
export function hostsFor(origin: URL): URL[] {
  const hostname = origin.hostname;
  const isIp = /^[\d.]+$|^\[/.test(hostname);
  if (isIp || hostname === 'localhost') return [new URL(origin)];
  const apex = stripKnownPrefix(hostname);
  const names = [hostname, apex, ...HOST_PREFIXES.map((p) => `${p}${apex}`)];
  return [...new Set(names)].map((name) => {
    const url = new URL(origin);
    url.hostname = name;
    return url;
  });
}

/** Well-known spec URLs on the hosts, each path on every host before the next path. */
export function wellKnownUrls(hosts: readonly URL[]): string[] {
  const urls: string[] = [];
  for (const path of WELL_KNOWN_PATHS)
    for (const host of hosts) urls.push(new URL(path, host).toString());
  return urls.slice(0, MAX_WELL_KNOWN_PROBES);
}

// ---------------------------------------------------------------------------------------------
// The search

interface Found {
  candidate: SpecCandidate;
  /** Lower is better: given, linked, well-known. */
  rank: number;
}

const RANK = { given: 0, linked: 1, wellKnown: 2 } as const;

function rankCandidates(found: Iterable<Found>): SpecCandidate[] {
  return [...found]
    .sort(
      (a, b) =>
        Number(b.candidate.confirmed) - Number(a.candidate.confirmed) ||
        b.candidate.evidence.length - a.candidate.evidence.length ||
        a.rank - b.rank ||
        (b.candidate.operations ?? 0) - (a.candidate.operations ?? 0),
    )
    .map((f) => f.candidate);
}

function looksLikeHtml({ response, text }: { response: FetchedResponse; text: string }): boolean {
  return /html/i.test(response.headers['content-type'] ?? '') || /^\s*<(!doctype|html)/i.test(text);
}

/**
 * Searches for a vendor's spec. Give at least one of `app`, `domain`, `docsUrl`, `specUrl`. A
 * docs or spec URL the guard refuses is an error; well-known probes that fail are skipped.
 */
export async function discoverSpec({
  http,
  app,
  domain,
  docsUrl,
  specUrl,
  now = Date.now,
}: {
  http: DiscoveryFetch;
  app?: string | undefined;
  domain?: string | undefined;
  docsUrl?: string | undefined;
  specUrl?: string | undefined;
  now?: () => number;
}): Promise<DiscoverSpecResult> {
  if (app === undefined && domain === undefined && docsUrl === undefined && specUrl === undefined)
    throw new AppError('validation_failed', 'give at least one of app, domain, docsUrl or specUrl');
  const deadline = now() + DISCOVERY_DEADLINE_MS;
  const notes: string[] = [];
  const found = new Map<string, Found>();
  let requests = 0;
  let skippedForTime = 0;

  const get = async (url: string, maxBytes: number): Promise<FetchedResponse> => {
    requests++;
    return http({
      url,
      maxBytes,
      timeoutMs: Math.max(1, Math.min(SPEC_TIMEOUT_MS, deadline - now())),
      headers: { accept: 'application/json, application/yaml, text/yaml, */*;q=0.5' },
    });
  };

  const note = (url: string, evidence: string, rank: number, fields: Partial<SpecCandidate>) => {
    const existing = found.get(url);
    if (existing !== undefined) {
      if (!existing.candidate.evidence.includes(evidence))
        existing.candidate.evidence.push(evidence);
      existing.rank = Math.min(existing.rank, rank);
      return;
    }
    found.set(url, { candidate: { url, evidence: [evidence], confirmed: false, ...fields }, rank });
  };

  /** Fetches and reads one candidate; `quiet` drops it unless it is a spec (well-known probes). */
  const check = async ({
    url,
    evidence,
    rank,
    quiet,
  }: {
    url: string;
    evidence: string;
    rank: number;
    quiet: boolean;
  }) => {
    let response: FetchedResponse;
    try {
      response = await get(url, MAX_SPEC_BYTES);
    } catch (error) {
      if (!quiet)
        note(url, evidence, rank, {
          note: error instanceof Error ? error.message : 'fetch failed',
        });
      throw error;
    }
    const at = response.url;
    if (response.status >= 400) {
      if (!quiet) note(at, evidence, rank, { note: `answered ${response.status}` });
      return;
    }
    const text = response.body.toString('utf8');
    if (response.truncated) {
      note(at, evidence, rank, { note: `larger than ${MAX_SPEC_BYTES} bytes; not read` });
      return;
    }
    const summary = looksLikeHtml({ response, text }) ? null : summarizeSpec(text);
    if (summary === null) {
      if (!quiet) note(at, evidence, rank, { note: 'not an OpenAPI, Swagger or Postman document' });
      return;
    }
    note(at, evidence, rank, { confirmed: true, ...summary });
  };

  if (specUrl !== undefined) {
    await check({ url: specUrl, evidence: 'given specUrl', rank: RANK.given, quiet: false }).catch(
      (error: unknown) => {
        throw fetchError({ error, url: specUrl });
      },
    );
  }

  if (docsUrl !== undefined) {
    let page: FetchedResponse;
    try {
      page = await get(docsUrl, MAX_DOCS_PAGE_BYTES);
    } catch (error) {
      throw fetchError({ error, url: docsUrl });
    }
    const text = page.body.toString('utf8');
    if (page.status >= 400) notes.push(`the docs page answered ${page.status}`);
    else if (!looksLikeHtml({ response: page, text })) {
      // The "docs" are the spec itself.
      const summary = summarizeSpec(text);
      if (summary !== null)
        note(page.url, 'given docsUrl', RANK.given, { confirmed: true, ...summary });
    } else {
      const links = specLinksOf({ html: text, base: page.url });
      if (links.length > MAX_LINKED_CANDIDATES)
        notes.push(
          `the docs page links ${links.length} spec-like URLs; the first ${MAX_LINKED_CANDIDATES} were checked`,
        );
      const evidence = `linked from ${page.url}`;
      await mapLimit({
        items: links.slice(0, MAX_LINKED_CANDIDATES),
        limit: PROBE_CONCURRENCY,
        fn: (url) =>
          check({ url, evidence, rank: RANK.linked, quiet: false }).catch(() => undefined),
      });
    }
  }

  let seed = domain;
  if (seed === undefined) {
    const from = docsUrl ?? specUrl;
    if (from !== undefined) {
      const url = new URL(from);
      seed = `${url.protocol}//${stripKnownPrefix(url.hostname)}${url.port === '' ? '' : `:${url.port}`}`;
    } else if (app !== undefined) {
      const name = app.toLowerCase().replace(/[^a-z0-9-]/g, '');
      if (name === '')
        throw new AppError('validation_failed', 'app gives no usable name; pass domain or docsUrl');
      seed = `${name}.com`;
      notes.push(
        `no domain given: guessed ${seed} from the app name; pass domain or docsUrl for a reliable search`,
      );
    }
  }
  const hosts = seed === undefined ? [] : hostsFor(originOf(seed));
  const dead = new Map<string, FetchFailure>();
  await mapLimit({
    items: wellKnownUrls(hosts),
    limit: PROBE_CONCURRENCY,
    fn: async (url) => {
      const host = new URL(url).host;
      if (dead.has(host)) return;
      if (now() >= deadline) {
        skippedForTime++;
        return;
      }
      await check({ url, evidence: 'well-known path', rank: RANK.wellKnown, quiet: true }).catch(
        (error: unknown) => {
          if (error instanceof FetchFailure && error.kind !== 'timeout') dead.set(host, error);
          else if (!(error instanceof FetchFailure)) throw error;
        },
      );
    },
  });
  for (const [host, failure] of dead) notes.push(`${host}: ${failure.message}`);
  if (skippedForTime > 0)
    notes.push(`${skippedForTime} well-known paths skipped: the search ran out of time`);
  const blocked = [...dead.values()].filter((failure) => failure.kind === 'blocked');
  if (hosts.length > 0 && blocked.length === hosts.length && found.size === 0)
    throw new AppError('bad_request', `every host was refused: ${blocked[0]?.message ?? ''}`, {
      reason: 'ssrf_blocked',
    });
  const candidates = rankCandidates(found.values());
  if (!candidates.some((c) => c.confirmed))
    notes.push(
      'no spec confirmed: try read_docs on the API reference to find a spec link or curl examples, or ask the user for the spec URL',
    );
  return { candidates, hosts: hosts.map((h) => h.host), requests, notes };
}
