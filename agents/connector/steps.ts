// The Connector Agent's steps as deterministic logic over the admin tools: what each step does
// offline, and what the orchestrator runs after a model's turn to meet the step's exit criterion
// (every planned endpoint an action, every selected read action a test result, ...). Each step
// reads the run state and returns the part of it the step produced (its journal output).
import type { DocsPage, ProbeResult } from '../../server/domain/discovery.ts';
import type { ActionInput, AuthMethod } from '../../server/domain/connector.ts';
import type { Gateway, ToolAnswer } from './gateway.ts';
import type { FailedTest } from './patches.ts';
import { actionOf, planFromDocs, type DocsPlan } from './docs-plan.ts';
import { READS } from './map.ts';
import type {
  ConnectorAgentInput,
  ConnectorReport,
  ProposedMapping,
  TestSummary,
} from './types.ts';

export interface RunState {
  source: ConnectorReport['source'];
  specId?: string;
  specUrl?: string;
  docsUrls?: string[];
  connector?: { slug: string; id: string; baseUrl: string | null; auth: string[] };
  actions: { slug: string; method: string; path: string; cdmEntity?: string }[];
  planned?: number;
  events: string[];
  docEvents?: { name: string; description?: string; signatureHeader?: string }[];
  connectionId?: string;
  tests: TestSummary[];
  /** The answers of failed tests (challenge headers, capped bodies), by target and action. */
  failures?: Record<string, FailedTest>;
  specFindings: ConnectorReport['specFindings'];
  mappings: { saved: ProposedMapping[]; proposed: ProposedMapping[] };
  notes: string[];
}

export interface StepContext {
  readonly gateway: Gateway;
  readonly input: ConnectorAgentInput;
  readonly state: RunState;
  readonly allow: readonly string[];
  readonly step: string;
  readonly progress: (message: string) => void;
}

export class StepFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepFailed';
  }
}

const call = (ctx: StepContext, name: string, args: Record<string, unknown>): Promise<ToolAnswer> =>
  ctx.gateway.call(ctx.step, ctx.allow, name, args);

async function must(ctx: StepContext, name: string, args: Record<string, unknown>) {
  const answer = await call(ctx, name, args);
  if (!answer.ok || answer.data === null) throw new StepFailed(`${name} failed: ${answer.text}`);
  return answer.data;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

// ---------------------------------------------------------------------------------------------
// discover

export async function discover(ctx: StepContext): Promise<Partial<RunState>> {
  const { input } = ctx;
  let specId: string | undefined;
  if (input.specText !== undefined) {
    const stored = await must(ctx, 'create_spec', {
      text: input.specText,
      ...(input.source === undefined
        ? {}
        : { name: input.source.split(/[\\/]/).pop()?.slice(0, 200) }),
    });
    specId = String(stored['specId']);
  }
  if (input.connector !== undefined) {
    return {
      source: {
        kind: 'existing',
        ref: input.connector,
        evidence: ['an existing connector to test and repair'],
      },
      ...(specId === undefined ? {} : { specId }),
    };
  }
  if (specId !== undefined) {
    return {
      source: {
        kind: 'spec',
        ref: input.source ?? 'spec text',
        evidence: ['spec given by the caller'],
      },
      specId,
    };
  }
  const source = input.source?.trim() ?? '';
  if (source === '')
    throw new StepFailed('nothing to build from: give a spec, a docs URL or an app name');
  const confirmed = (data: Record<string, unknown>) =>
    ((data['candidates'] ?? []) as { url: string; confirmed: boolean; evidence: string[] }[]).find(
      (c) => c.confirmed,
    );
  if (isUrl(source)) {
    const asSpec = await call(ctx, 'discover_spec', { specUrl: source });
    const direct = asSpec.data === null ? undefined : confirmed(asSpec.data);
    if (direct !== undefined && direct.url.replace(/\/$/, '') === source.replace(/\/$/, ''))
      return { source: { kind: 'spec', ref: source, evidence: direct.evidence }, specUrl: source };
    const fromDocs = await call(ctx, 'discover_spec', { docsUrl: source });
    const linked = fromDocs.data === null ? undefined : confirmed(fromDocs.data);
    if (linked !== undefined) {
      ctx.progress(`found a spec: ${linked.url}`);
      return {
        source: { kind: 'spec', ref: linked.url, evidence: linked.evidence },
        specUrl: linked.url,
        // The docs that linked it still say how to authenticate when the spec does not.
        docsUrls: [source],
      };
    }
    ctx.progress('no machine-readable spec: building from the docs');
    return {
      source: { kind: 'docs', ref: source, evidence: ['no spec linked or at a well-known path'] },
      docsUrls: [source],
    };
  }
  const byApp = await must(ctx, 'discover_spec', { app: source });
  const found = confirmed(byApp);
  if (found === undefined)
    throw new StepFailed(
      `no spec found for '${source}' (${String(byApp['requests'])} requests); give its docs URL or a spec`,
    );
  return { source: { kind: 'spec', ref: found.url, evidence: found.evidence }, specUrl: found.url };
}

// ---------------------------------------------------------------------------------------------
// build

async function loadConnector(ctx: StepContext, ref: string): Promise<Partial<RunState>> {
  const connector = await must(ctx, 'get_connector', { connector: ref });
  const actions = await must(ctx, 'list_actions', { connector: ref });
  const auth = (connector['authMethods'] as AuthMethod[]).map((m) =>
    m.type === 'api_key' ? `api_key (${m.in} ${m.name})` : m.type,
  );
  return {
    connector: {
      slug: String(connector['slug']),
      id: String(connector['id']),
      baseUrl: (connector['baseUrl'] as string | null) ?? null,
      auth,
    },
    actions: (actions['data'] as RunState['actions']).map((a) => ({
      slug: a.slug,
      method: a.method,
      path: a.path,
      ...(a.cdmEntity === undefined ? {} : { cdmEntity: a.cdmEntity }),
    })),
  };
}

export async function build(ctx: StepContext): Promise<Partial<RunState>> {
  const { state, input } = ctx;
  if (state.source.kind === 'existing') return loadConnector(ctx, state.source.ref ?? '');
  if (state.source.kind === 'docs') return buildFromDocs(ctx);
  const from = state.specId !== undefined ? { specId: state.specId } : { url: state.specUrl };
  const args = {
    ...from,
    selection: input.selection ?? { mode: 'all' },
    ...(input.slug === undefined ? {} : { slug: input.slug }),
  };
  let imported = await must(ctx, 'import_openapi', args);
  if (imported['outcome'] === 'preview') {
    ctx.progress('the connector exists: applying the spec’s changes');
    imported = await must(ctx, 'import_openapi', { ...args, apply: true });
  }
  const slug = String(imported['slug']);
  ctx.progress(String(imported['summary']));
  if (input.baseUrl !== undefined)
    await must(ctx, 'update_connector', { connector: slug, baseUrl: input.baseUrl });
  let built = await loadConnector(ctx, slug);
  if (state.specUrl === undefined || built.connector === undefined) return built;
  const baseUrl = built.connector.baseUrl;
  const pages = baseUrl === null ? [] : await readDocsPages(ctx);
  // The docs that linked the spec may show operations it leaves out (a curl example of a POST
  // the spec never lists): each becomes an action too.
  if (baseUrl !== null && pages.length > 0) {
    const added = await addDocumentedEndpoints(ctx, { slug, baseUrl, pages, built });
    if (added > 0) {
      ctx.progress(`${added} operations shown in the docs but missing from the spec were added`);
      built = await loadConnector(ctx, slug);
    }
  }
  // A spec fetched from the vendor's site that declares no security: the docs that linked it
  // and a request without credentials (a 401 challenge) say where the key goes.
  const declared = built.connector?.auth.filter((a) => a !== 'none') ?? [];
  if (declared.length > 0 || baseUrl === null) return built;
  const method = await authFromDocsAndProbe(ctx, { baseUrl, actions: built.actions ?? [], pages });
  if (method === null || method.type === 'none') return built;
  await must(ctx, 'update_connector', { connector: slug, authMethods: [method] });
  ctx.progress(`the spec declares no security; auth from the docs and a probe: ${method.type}`);
  return loadConnector(ctx, slug);
}

async function readDocsPages(ctx: StepContext): Promise<DocsPage[]> {
  const pages: DocsPage[] = [];
  for (const url of ctx.state.docsUrls ?? []) {
    const answer = await call(ctx, 'read_docs', { url });
    if (answer.ok && answer.data !== null) pages.push(answer.data as unknown as DocsPage);
  }
  return pages;
}

/** `/items/{id}` and `/items/{itemId}` are one path. */
const pathKey = (method: string, path: string) =>
  `${method.toUpperCase()} ${path.replace(/\{[^}]*\}/g, '{}').replace(/\/+$/, '')}`;

async function addDocumentedEndpoints(
  ctx: StepContext,
  {
    slug,
    baseUrl,
    pages,
    built,
  }: { slug: string; baseUrl: string; pages: DocsPage[]; built: Partial<RunState> },
): Promise<number> {
  const known = new Set((built.actions ?? []).map((a) => pathKey(a.method, a.path)));
  const slugs = new Set((built.actions ?? []).map((a) => a.slug));
  const plan = planFromDocs({ pages, baseUrl });
  if (plan.baseUrl?.replace(/\/+$/, '') !== baseUrl.replace(/\/+$/, '')) return 0;
  let added = 0;
  for (const endpoint of plan.endpoints) {
    if (known.has(pathKey(endpoint.method, endpoint.path)) || slugs.has(endpoint.slug)) continue;
    const answer = await call(ctx, 'upsert_action', {
      connector: slug,
      action: actionOf(endpoint),
    });
    if (answer.ok) added += 1;
  }
  return added;
}

async function authFromDocsAndProbe(
  ctx: StepContext,
  { baseUrl, actions, pages }: { baseUrl: string; actions: RunState['actions']; pages: DocsPage[] },
): Promise<AuthMethod | null> {
  const docs = planFromDocs({ pages, baseUrl });
  const endpoints = actions
    .filter((a) => a.method === 'GET')
    .map((a) => ({ method: a.method, path: a.path, slug: a.slug, name: a.slug, parameters: [] }));
  return inferAuth(ctx, { ...docs, baseUrl, endpoints });
}

const DOCS_LINK = /\/(docs?|reference|api|guide|endpoints?)(\/|$|\.)/i;

async function buildFromDocs(ctx: StepContext): Promise<Partial<RunState>> {
  const { input } = ctx;
  const start = ctx.state.docsUrls?.[0] ?? '';
  const pages: DocsPage[] = [];
  const queue = [start];
  const seen = new Set<string>();
  // The page given and the docs pages it links to on the same site, a few at most.
  while (queue.length > 0 && pages.length < 8) {
    const url = queue.shift() ?? '';
    if (seen.has(url)) continue;
    seen.add(url);
    const answer = await call(ctx, 'read_docs', { url });
    if (!answer.ok || answer.data === null) continue;
    const page = answer.data as unknown as DocsPage;
    pages.push(page);
    ctx.progress(`read ${url}: ${page.curl.length} curl examples, ${page.tables.length} tables`);
    const origin = new URL(start).origin;
    for (const link of page.links) {
      try {
        const target = new URL(link.url, url);
        target.hash = '';
        if (
          target.origin === origin &&
          DOCS_LINK.test(target.pathname) &&
          !/\.(ya?ml|json)$/i.test(target.pathname)
        )
          queue.push(target.href);
      } catch {
        // Not a URL.
      }
    }
  }
  const plan = planFromDocs({ pages, baseUrl: input.baseUrl });
  if (plan.baseUrl === null || plan.endpoints.length === 0)
    throw new StepFailed(
      'the docs show no endpoint (no curl example with a URL): give a spec, or build with a model',
    );
  const auth = await inferAuth(ctx, plan);
  const host = new URL(plan.baseUrl).hostname.replace(/^(api|www|docs|developer)\./, '');
  const slug =
    input.slug ??
    ((
      plan.title
        .split(/[–—|:-]/)
        .map((s) => s.trim())
        .find((s) => /api/i.test(s)) ?? host
    )
      .toLowerCase()
      .replace(/\bapi\b|reference/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .replace(/^(?![a-z])/, 'c')
      .slice(0, 60) ||
      'docs-connector');
  const created = await call(ctx, 'create_connector', {
    slug,
    name: plan.title.split(/[–—|]/).at(-1)?.trim().slice(0, 200) || slug,
    baseUrl: plan.baseUrl,
    authMethods: auth === null ? [] : [auth],
  });
  if (!created.ok && !/already exists|conflict/i.test(created.text))
    throw new StepFailed(`create_connector failed: ${created.text}`);
  if (!created.ok)
    await must(ctx, 'update_connector', {
      connector: slug,
      baseUrl: plan.baseUrl,
      authMethods: auth === null ? [] : [auth],
    });
  ctx.progress(
    `connector ${slug}: ${plan.baseUrl}, auth ${auth?.type ?? 'none'}; ${plan.endpoints.length} endpoints`,
  );
  const headers = authHeaders(auth, input.credentials);
  for (const endpoint of plan.endpoints) {
    let outputSchema: Record<string, unknown> | undefined;
    const pathParams = endpoint.parameters.filter((p) => p.in === 'path');
    if (
      endpoint.method === 'GET' &&
      headers !== null &&
      pathParams.every((p) => p.schema?.['example'] !== undefined)
    ) {
      const path = endpoint.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
        encodeURIComponent(
          exampleText(pathParams.find((p) => p.name === name)?.schema?.['example'], name),
        ),
      );
      const probe = await call(ctx, 'probe_endpoint', {
        baseUrl: plan.baseUrl,
        method: 'GET',
        path,
        ...(headers.query === undefined ? {} : { query: headers.query }),
        ...(headers.headers === undefined ? {} : { headers: headers.headers }),
      });
      const result = probe.data as ProbeResult | null;
      if (
        result !== null &&
        result.status >= 200 &&
        result.status < 300 &&
        result.schema !== undefined
      )
        outputSchema = result.schema;
    }
    await must(ctx, 'upsert_action', { connector: slug, action: actionOf(endpoint, outputSchema) });
  }
  const docEvents = eventsFromDocs(pages) ?? [];
  return { ...(await loadConnector(ctx, slug)), planned: plan.endpoints.length, docEvents };
}

function exampleText(value: unknown, fallback: string): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;
}

function authHeaders(
  method: AuthMethod | null,
  credentials: Readonly<Record<string, string>> | undefined,
): { headers?: Record<string, string>; query?: Record<string, string> } | null {
  if (method === null) return {};
  const value = credentials === undefined ? undefined : credentialFor(method, credentials);
  if (value === undefined) return null;
  if (method.type === 'api_key')
    return method.in === 'query'
      ? { query: { [method.name]: value } }
      : { headers: { [method.name]: `${method.prefix ?? ''}${value}` } };
  if (method.type === 'bearer') return { headers: { Authorization: `Bearer ${value}` } };
  if (method.type === 'basic')
    return {
      headers: {
        Authorization: `Basic ${Buffer.from(`${credentials?.['username'] ?? ''}:${credentials?.['password'] ?? ''}`).toString('base64')}`,
      },
    };
  return null;
}

/** The credential value for a method from what the caller gave (apiKey, token, key, ...). */
function credentialFor(
  method: AuthMethod,
  credentials: Readonly<Record<string, string>>,
): string | undefined {
  const values = Object.entries(credentials);
  const pick = (re: RegExp) => values.find(([k]) => re.test(k))?.[1];
  if (method.type === 'api_key') return pick(/^(api_?key|key)$/i) ?? pick(/key/i) ?? values[0]?.[1];
  if (method.type === 'bearer') return pick(/^(token|access_?token|bearer)$/i) ?? pick(/token/i);
  if (method.type === 'basic') return pick(/^password$/i);
  return undefined;
}

/** Probes one endpoint without credentials: a 401 challenge says where the key goes. */
async function inferAuth(ctx: StepContext, plan: DocsPlan): Promise<AuthMethod | null> {
  const target = plan.endpoints.find((e) => e.method === 'GET' && !e.path.includes('{'));
  let method: AuthMethod | null = plan.auth[0] ?? null;
  if (target !== undefined && plan.baseUrl !== null) {
    const probe = await call(ctx, 'probe_endpoint', {
      baseUrl: plan.baseUrl,
      method: 'GET',
      path: target.path,
    });
    const result = probe.data as ProbeResult | null;
    if (result !== null && (result.status === 401 || result.status === 403)) {
      for (const challenge of result.authChallenges) {
        const header = challenge.params['header'] ?? challenge.params['header_name'];
        const query = challenge.params['query'] ?? challenge.params['param'];
        if (header !== undefined)
          method = { key: 'api_key', type: 'api_key', in: 'header', name: header };
        else if (query !== undefined)
          method = { key: 'api_key', type: 'api_key', in: 'query', name: query };
        else if (/^bearer$/i.test(challenge.scheme) && method?.type !== 'api_key')
          method = { key: 'bearer', type: 'bearer' };
        else if (/^basic$/i.test(challenge.scheme) && method === null)
          method = { key: 'basic', type: 'basic' };
        if (header !== undefined || query !== undefined) break;
      }
      ctx.progress(
        `401 without credentials; auth: ${method?.type ?? 'unknown'}${method?.type === 'api_key' ? ` in the ${method.in} ${method.name}` : ''}`,
      );
    } else if (
      result !== null &&
      result.status >= 200 &&
      result.status < 300 &&
      plan.auth.length === 0
    ) {
      return { key: 'none', type: 'none' };
    }
  }
  return method;
}

function eventsFromDocs(pages: readonly DocsPage[]): RunState['docEvents'] {
  const out: NonNullable<RunState['docEvents']> = [];
  for (const page of pages) {
    const signatureHeader = /\b(X-[A-Za-z-]*Signature[A-Za-z-]*)\b/.exec(page.markdown)?.[1];
    for (const table of page.tables) {
      const key = table.headers.find((h) => /^(event|event type|type|topic)$/i.test(h.trim()));
      if (key === undefined || !/event|webhook/i.test(page.markdown)) continue;
      for (const row of table.rows) {
        const name = row[key]?.replace(/`/g, '').trim() ?? '';
        if (!/^[a-zA-Z0-9_.:-]{1,200}$/.test(name) || !/[._:]/.test(name)) continue;
        const description = Object.entries(row).find(([h]) => /description/i.test(h))?.[1];
        out.push({
          name,
          ...(description === undefined ? {} : { description }),
          ...(signatureHeader === undefined ? {} : { signatureHeader }),
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// events

export async function events(ctx: StepContext): Promise<Partial<RunState>> {
  const slug = ctx.state.connector?.slug ?? '';
  const subscribe = ctx.state.actions.find(
    (a) => a.method === 'POST' && /webhook|subscription|hook/i.test(a.path),
  );
  const unsubscribe = ctx.state.actions.find(
    (a) => a.method === 'DELETE' && /webhook|subscription|hook/i.test(a.path),
  );
  for (const event of ctx.state.docEvents ?? []) {
    await must(ctx, 'upsert_event', {
      connector: slug,
      event: {
        name: event.name,
        ...(event.description === undefined
          ? {}
          : { description: event.description.slice(0, 10_000) }),
        subscription:
          subscribe === undefined
            ? { mode: 'manual' }
            : {
                mode: 'webhook',
                subscribeAction: subscribe.slug,
                ...(unsubscribe === undefined ? {} : { unsubscribeAction: unsubscribe.slug }),
              },
        ...(event.signatureHeader === undefined
          ? {}
          : {
              signature: { scheme: 'hmac-sha256', header: event.signatureHeader, encoding: 'hex' },
            }),
      },
    });
  }
  const listed = await must(ctx, 'list_events', { connector: slug });
  return { events: (listed['data'] as { name: string }[]).map((e) => e.name) };
}

// ---------------------------------------------------------------------------------------------
// test

interface RawResult {
  action: string;
  method: string;
  path: string;
  outcome: 'pass' | 'fail' | 'skipped';
  status: number | null;
  errorClass: string | null;
  error: string | null;
  response: { headers: Record<string, string>; body: unknown } | null;
}

/** What the fixer needs of failed results: class, message, the answer's headers and body. */
export function failuresOf(
  target: string,
  results: readonly RawResult[],
): Record<string, FailedTest> {
  const out: Record<string, FailedTest> = {};
  for (const r of results) {
    if (r.outcome !== 'fail') continue;
    const body = r.response?.body;
    out[`${target}:${r.action}`] = {
      action: r.action,
      errorClass: r.errorClass,
      error: r.error,
      status: r.status,
      ...(r.response === null
        ? {}
        : {
            responseHeaders: r.response.headers,
            ...(JSON.stringify(body ?? null).length < 20_000 ? { responseBody: body } : {}),
          }),
    };
  }
  return out;
}

export function summarize(
  target: 'mock' | 'connection',
  results: readonly RawResult[],
): TestSummary {
  return {
    target,
    passed: results.filter((r) => r.outcome === 'pass').length,
    failed: results.filter((r) => r.outcome === 'fail').length,
    skipped: results.filter((r) => r.outcome === 'skipped').length,
    results: results.map(({ action, method, path, outcome, status, errorClass, error }) => ({
      action,
      method,
      path,
      outcome,
      status,
      errorClass,
      error,
    })),
  };
}

export async function runTests(
  ctx: StepContext,
  target: 'mock' | 'connection',
  actions: readonly string[] | undefined,
): Promise<{ results: RawResult[]; findings: RunState['specFindings'] } | null> {
  const slug = ctx.state.connector?.slug ?? '';
  const answer = await call(ctx, 'test_actions', {
    connector: slug,
    ...(target === 'mock' ? { mock: true } : { connectionId: ctx.state.connectionId }),
    ...(actions === undefined || actions.length === 0 ? {} : { actions: [...actions] }),
  });
  if (!answer.ok || answer.data === null) {
    ctx.state.notes.push(`${target} tests not run: ${answer.text.slice(0, 300)}`);
    return null;
  }
  return {
    results: answer.data['results'] as RawResult[],
    findings: (answer.data['specFindings'] ?? []) as RunState['specFindings'],
  };
}

/** Makes the test connection from the caller's credentials, with the auth method they fit. */
export async function ensureConnection(ctx: StepContext): Promise<string | undefined> {
  const { input, state } = ctx;
  if (state.connectionId !== undefined) return state.connectionId;
  if (input.credentials === undefined || Object.keys(input.credentials).length === 0)
    return undefined;
  const connector = await must(ctx, 'get_connector', { connector: state.connector?.slug ?? '' });
  const methods = connector['authMethods'] as AuthMethod[];
  const method =
    methods.find(
      (m) => credentialFor(m, input.credentials ?? {}) !== undefined && m.type !== 'oauth2',
    ) ?? methods.find((m) => m.type === 'none');
  if (method === undefined) {
    state.notes.push(
      'no auth method of the connector takes the given credentials: no connection tests',
    );
    return undefined;
  }
  const value = credentialFor(method, input.credentials);
  const credentials: Record<string, string> =
    method.type === 'api_key'
      ? { apiKey: value ?? '' }
      : method.type === 'bearer'
        ? { token: value ?? '' }
        : method.type === 'basic'
          ? { username: input.credentials['username'] ?? '', password: value ?? '' }
          : {};
  const created = await must(ctx, 'create_connection', {
    connector: state.connector?.slug ?? '',
    customerId: null,
    name: 'Connector agent test connection',
    authMethod: method.key,
    credentials,
  });
  state.connectionId = String(created['id']);
  return state.connectionId;
}

export async function test(ctx: StepContext): Promise<Partial<RunState>> {
  const { state } = ctx;
  const reads = state.actions.filter((a) => READS.has(a.method)).map((a) => a.slug);
  const tests: TestSummary[] = [];
  const failures: Record<string, FailedTest> = {};
  let findings: RunState['specFindings'] = [];
  // The mock answers writes without side effects: every action is tested there; the real API
  // (a connection) gets reads only.
  if (state.source.kind !== 'docs') {
    const mock = await runTests(
      ctx,
      'mock',
      state.actions.slice(0, 200).map((a) => a.slug),
    );
    if (mock !== null) {
      tests.push(summarize('mock', mock.results));
      Object.assign(failures, failuresOf('mock', mock.results));
      findings = mock.findings;
    }
  }
  if ((await ensureConnection(ctx)) !== undefined) {
    const live = await runTests(ctx, 'connection', reads);
    if (live !== null) {
      tests.push(summarize('connection', live.results));
      Object.assign(failures, failuresOf('connection', live.results));
    }
  }
  // Exit criterion: every selected read action has a test result.
  const tested = new Set(tests.flatMap((t) => t.results.map((r) => r.action)));
  const untested = (
    tests.some((t) => t.target === 'mock') ? state.actions.map((a) => a.slug) : reads
  ).filter((r) => !tested.has(r));
  if (untested.length > 0) state.notes.push(`not tested: ${untested.join(', ')}`);
  return {
    tests,
    failures,
    specFindings: findings,
    ...(state.connectionId === undefined ? {} : { connectionId: state.connectionId }),
  };
}

export { map } from './map.ts';

export type { ActionInput };
