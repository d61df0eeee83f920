// The manual builder's reading of docs pages (read_docs answers) without a model: endpoints from
// curl examples (method, URL, query, JSON body), their parameters from the parameter table of the
// same section, path ids turned into templates with the example as the test value, the base URL
// as the longest path prefix the examples share, and the auth candidates the page states. Only
// what the docs show is used: prose alone yields nothing here (a model reads prose).
import type { DocsPage } from '../../server/domain/discovery.ts';
import type { ActionInput, AuthMethod, Parameter } from '../../server/domain/connector.ts';

export interface PlannedEndpoint {
  readonly method: string;
  /** Path template relative to the base URL: /items/{id}. */
  readonly path: string;
  readonly slug: string;
  readonly name: string;
  readonly description?: string;
  readonly parameters: Parameter[];
}

export interface DocsPlan {
  readonly baseUrl: string | null;
  readonly endpoints: PlannedEndpoint[];
  /** Auth candidates, most likely first. */
  readonly auth: AuthMethod[];
  readonly title: string;
}

const PLACEHOLDER =
  /^(?:\{[^}]+\}|:[A-Za-z_]\w*|<[^>]+>|[A-Z][A-Z0-9_]*_(?:ID|KEY|NAME|SLUG)|[A-Z]{2,}_[A-Z0-9_]+)$/;
const ID_LIKE = /^(?:\d+|[a-z]{1,8}_[A-Za-z0-9]+|[0-9a-f]{8}-[0-9a-f-]{27,}|[A-Za-z0-9]{16,})$/;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function singular(word: string): string {
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  return word.endsWith('s') ? word.slice(0, -1) : word;
}

function camel(words: string[]): string {
  const parts = words
    .flatMap((w) => w.split(/[^A-Za-z0-9]+/))
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  return parts.map((w, i) => (i === 0 ? w : `${w[0]?.toUpperCase() ?? ''}${w.slice(1)}`)).join('');
}

const VERB: Record<string, [string, string]> = {
  GET: ['list', 'get'],
  POST: ['create', 'create'],
  PUT: ['replace', 'update'],
  PATCH: ['update', 'update'],
  DELETE: ['delete', 'delete'],
};

function slugOf(method: string, template: string): string {
  const segs = template.split('/').filter(Boolean);
  const last = segs.at(-1) ?? 'root';
  const item = last.startsWith('{');
  const nouns = segs.filter((s) => !s.startsWith('{') && !/^v\d+$/.test(s));
  const noun = nouns.at(-1) ?? 'resource';
  const parents = nouns.slice(0, -1).map(singular);
  const [plural, single] = VERB[method] ?? ['call', 'call'];
  const verb = item ? single : method === 'GET' ? plural : single;
  const word = item || method !== 'GET' ? singular(noun) : noun;
  const slug = camel([verb, ...parents.slice(-1), word]);
  return /^[a-zA-Z]/.test(slug) ? slug.slice(0, 100) : `op${slug}`.slice(0, 100);
}

function typeSchema(type: string | undefined): Record<string, unknown> {
  const t = (type ?? '').toLowerCase();
  if (/int/.test(t)) return { type: 'integer' };
  if (/number|float|double|decimal/.test(t)) return { type: 'number' };
  if (/bool/.test(t)) return { type: 'boolean' };
  if (/array|list|\[\]/.test(t)) return { type: 'array', items: { type: 'string' } };
  if (/object|map|hash/.test(t)) return { type: 'object' };
  return { type: 'string' };
}

function column(row: Record<string, string>, ...names: RegExp[]): string | undefined {
  for (const re of names) {
    const key = Object.keys(row).find((k) => re.test(k.trim()));
    if (key !== undefined) return row[key];
  }
  return undefined;
}

function scalar(text: string): unknown {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

interface Section {
  readonly start: number;
  readonly end: number;
  readonly heading: string;
}

function sectionsOf(markdown: string): Section[] {
  const heads = [...markdown.matchAll(/^#{1,4}\s+(.+)$/gm)].map((m) => ({
    at: m.index,
    heading: (m[1] ?? '').trim(),
  }));
  if (heads.length === 0) return [{ start: 0, end: markdown.length, heading: '' }];
  const out: Section[] = [];
  if ((heads[0]?.at ?? 0) > 0) out.push({ start: 0, end: heads[0]?.at ?? 0, heading: '' });
  heads.forEach((h, i) =>
    out.push({ start: h.at, end: heads[i + 1]?.at ?? markdown.length, heading: h.heading }),
  );
  return out;
}

function sectionAt(sections: Section[], at: number): Section | undefined {
  return sections.find((s) => at >= s.start && at < s.end);
}

/** Turns the docs pages read so far into endpoints, a base URL and auth candidates. */
export function planFromDocs({
  pages,
  baseUrl: given,
}: {
  pages: readonly DocsPage[];
  baseUrl?: string | undefined;
}): DocsPlan {
  interface Raw {
    method: string;
    url: URL;
    body: unknown;
    page: DocsPage;
    section: Section | undefined;
    sections: Section[];
  }
  const raws: Raw[] = [];
  for (const page of pages) {
    const sections = sectionsOf(page.markdown);
    for (const curl of page.curl) {
      let url: URL;
      try {
        url = new URL(curl.url.replace(/\{/g, '%7B').replace(/\}/g, '%7D'));
      } catch {
        continue;
      }
      if (!/^https?:$/.test(url.protocol)) continue;
      const at = page.markdown.indexOf(curl.url.split('?')[0] ?? curl.url);
      let body: unknown;
      try {
        body = curl.body === undefined ? undefined : (JSON.parse(curl.body) as unknown);
      } catch {
        body = undefined;
      }
      raws.push({
        method: curl.method.toUpperCase(),
        url,
        body,
        page,
        section: at < 0 ? undefined : sectionAt(sections, at),
        sections,
      });
    }
  }
  // The base URL: the given one, else the origin plus the longest path prefix every example shares.
  let baseUrl = given?.replace(/\/+$/, '') ?? null;
  if (baseUrl === null && raws.length > 0) {
    const origin = raws[0]?.url.origin ?? '';
    const same = raws.filter((r) => r.url.origin === origin);
    const split = same.map((r) => r.url.pathname.split('/').filter(Boolean));
    const prefix: string[] = [];
    for (let i = 0; ; i++) {
      const seg = split[0]?.[i];
      if (seg === undefined || split.some((s) => s[i] !== seg || s.length <= i + 1)) break;
      if (!/^(?:v\d+(?:\.\d+)?|api|rest|public)$/i.test(seg)) break;
      prefix.push(seg);
    }
    baseUrl = `${origin}${prefix.length > 0 ? `/${prefix.join('/')}` : ''}`;
  }
  const basePath = baseUrl === null ? '' : new URL(baseUrl).pathname.replace(/\/+$/, '');

  const endpoints = new Map<string, PlannedEndpoint>();
  for (const raw of raws) {
    if (baseUrl !== null && raw.url.origin !== new URL(baseUrl).origin) continue;
    let rel = raw.url.pathname;
    if (basePath !== '' && rel.startsWith(basePath)) rel = rel.slice(basePath.length) || '/';
    const parameters: Parameter[] = [];
    const segs = rel.split('/').map((seg, i, all) => {
      const text = decode(seg);
      if (seg === '' || i === 0) return seg;
      const placeholder = PLACEHOLDER.test(text);
      const idish =
        ID_LIKE.test(text) && i === all.length - 1 ? true : ID_LIKE.test(text) && /\d/.test(text);
      if (!placeholder && !idish) return seg;
      const before = decode(all[i - 1] ?? 'resource');
      const name = placeholder
        ? text
            .replace(/^[{:<]|[}>]$/g, '')
            .toLowerCase()
            .replace(/[^a-z0-9_]/g, '_')
        : `${camel([singular(before)])}Id`;
      parameters.push({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string', ...(placeholder ? {} : { example: text }) },
      });
      return `{${name}}`;
    });
    let template = segs.join('/') || '/';
    for (const [name, value] of raw.url.searchParams) {
      if (/^(api_?key|access_?token|token|key)$/i.test(name)) continue;
      if (parameters.some((p) => p.name === name)) continue;
      parameters.push({
        name,
        in: 'query',
        required: false,
        schema: { type: 'string', example: value },
      });
    }
    if (raw.body !== null && typeof raw.body === 'object' && !Array.isArray(raw.body)) {
      for (const [name, value] of Object.entries(raw.body as Record<string, unknown>)) {
        parameters.push({
          name,
          in: 'body',
          required: false,
          schema: { ...typeSchema(Array.isArray(value) ? 'array' : typeof value), example: value },
        });
      }
    }
    // The parameter table of the same section says types, required and descriptions.
    const sectionText =
      raw.section === undefined ? '' : raw.page.markdown.slice(raw.section.start, raw.section.end);
    for (const table of raw.page.tables) {
      const first = table.rows[0];
      if (first === undefined) continue;
      const firstName = column(first, /^(name|parameter|param|field|key)$/i);
      if (firstName === undefined) continue;
      if (
        !new RegExp(`\\|\\s*\`?${firstName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\`?\\s*\\|`).test(
          sectionText,
        )
      )
        continue;
      for (const row of table.rows) {
        const name = column(row, /^(name|parameter|param|field|key)$/i)
          ?.replace(/`/g, '')
          .trim();
        if (name === undefined || name === '' || !/^[A-Za-z_][\w.[\]-]*$/.test(name)) continue;
        const required = /^(yes|true|required|✓|y)$/i.test(
          column(row, /^required$/i)?.trim() ?? '',
        );
        const where = column(row, /^(in|location|where)$/i)?.toLowerCase();
        const description = column(row, /^(description|details|notes?)$/i);
        const type = column(row, /^(type|format)$/i);
        const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
        // `ticket_id` in the table is the `{ticketId}` the example's id became: the docs' name wins.
        const renamed = parameters.find(
          (p) => p.in === 'path' && p.name !== name && norm(p.name) === norm(name),
        );
        if (renamed !== undefined) {
          template = template.replace(`{${renamed.name}}`, `{${name}}`);
          renamed.name = name;
        }
        const existing = parameters.find((p) => p.name === name);
        const location: Parameter['in'] =
          existing?.in ??
          (where === 'path' || where === 'header' || where === 'body' || where === 'query'
            ? where
            : raw.method === 'GET' || raw.method === 'DELETE' || raw.method === 'HEAD'
              ? 'query'
              : 'body');
        const schema = {
          ...typeSchema(type),
          ...(existing?.schema?.['example'] === undefined
            ? {}
            : {
                example: scalar(JSON.stringify(existing.schema['example']).replace(/^"|"$/g, '')),
              }),
        };
        const entry: Parameter = {
          name,
          in: location,
          required: location === 'path' ? true : required,
          schema,
          ...(description === undefined ? {} : { description: description.slice(0, 4000) }),
        };
        if (existing !== undefined) Object.assign(existing, entry);
        else parameters.push(entry);
      }
    }
    const key = `${raw.method} ${template}`;
    if (endpoints.has(key)) continue;
    const heading = raw.section?.heading ?? '';
    let slug = slugOf(raw.method, template);
    while ([...endpoints.values()].some((e) => e.slug === slug)) slug = `${slug}2`;
    endpoints.set(key, {
      method: raw.method,
      path: template,
      slug,
      name:
        heading !== '' && !/^(example|request|curl)/i.test(heading)
          ? heading.slice(0, 200)
          : `${raw.method} ${template}`,
      parameters,
    });
  }

  const auth: AuthMethod[] = [];
  for (const page of pages) {
    for (const hint of page.authHints) {
      let method: AuthMethod | null = null;
      if (hint.type === 'api_key' && hint.name !== undefined)
        method = { key: 'api_key', type: 'api_key', in: hint.in ?? 'header', name: hint.name };
      else if (hint.type === 'bearer') method = { key: 'bearer', type: 'bearer' };
      else if (hint.type === 'basic') method = { key: 'basic', type: 'basic' };
      if (method === null || auth.some((m) => m.type === method.type)) continue;
      auth.push(method);
    }
  }
  return {
    baseUrl,
    endpoints: [...endpoints.values()],
    auth,
    title: pages[0]?.title ?? '',
  };
}

/** The upsert_action input of a planned endpoint. */
export function actionOf(
  endpoint: PlannedEndpoint,
  outputSchema?: Record<string, unknown>,
): ActionInput {
  return {
    slug: endpoint.slug,
    name: endpoint.name,
    method: endpoint.method as ActionInput['method'],
    path: endpoint.path,
    parameters: endpoint.parameters,
    bodyType: 'json',
    tags: [],
    deprecated: false,
    ...(endpoint.description === undefined ? {} : { description: endpoint.description }),
    ...(outputSchema === undefined ? {} : { outputSchema }),
  };
}
