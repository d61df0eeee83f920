import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import type { Connection } from '../../domain/connection.ts';
import type { RecordedRequest } from '../../../test/fixtures/index.ts';
import { RATE_CHANNEL } from './runtime.ts';

interface Echo {
  headers: Record<string, string>;
  query: Record<string, string | string[]>;
  cookies: Record<string, string>;
  body: unknown;
}
interface Result<B = unknown> {
  status: number;
  ok: boolean;
  body: B;
  traceId: string;
  attempts: number;
  items?: unknown[];
  pages?: number;
}

const SECRETS = ['key-123', 's3cret-pass', 'tok-789', 'bearer-456', 'weft-app-secret'];
/** OAuth access tokens issued during the run: secrets too. */
const seenTokens = new Set<string>();

describe.each(TEST_DRIVERS)('connections and the action engine (%s)', (driver) => {
  let h: ConnectionsHarness;
  const responses: string[] = [];

  async function call<T>(options: Parameters<ConnectionsHarness['call']>[0]) {
    const res = await h.call<T>(options);
    responses.push(res.raw);
    return res;
  }

  async function connector(
    slug: string,
    authMethods: unknown[],
    extra: Record<string, unknown> = {},
  ) {
    const res = await call({
      method: 'POST',
      url: '/api/v1/connectors/import-definition',
      payload: {
        weftConnector: 1,
        connector: { slug, name: slug, baseUrl: h.fx.api.url, authMethods, ...extra },
        actions: [
          {
            slug: 'echo',
            name: 'Echo',
            method: 'POST',
            path: '/echo/{thing}',
            parameters: [
              { name: 'thing', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'q', in: 'query', schema: { type: 'string' } },
              { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
              { name: 'xTrace', in: 'header', wireName: 'X-Trace', schema: { type: 'string' } },
              {
                name: 'email',
                in: 'body',
                required: true,
                schema: { type: 'string', format: 'email' },
              },
              { name: 'count', in: 'body', schema: { type: 'integer' } },
            ],
          },
          { slug: 'me', name: 'Who am I', method: 'GET', path: '/me' },
          { slug: 'expiredSignal', name: 'Expired signal', method: 'GET', path: '/expired-signal' },
          { slug: 'rateLimited', name: 'Rate limited', method: 'GET', path: '/rate-limited' },
          { slug: 'flaky', name: 'Flaky', method: 'GET', path: '/flaky' },
          ...(['cursor', 'offset', 'page', 'link'] as const).map((style) => ({
            slug: `items_${style}`,
            name: `Items ${style}`,
            method: 'GET',
            path: `/items/${style}`,
            parameters: [
              { name: 'cursor', in: 'query' },
              { name: 'offset', in: 'query' },
              { name: 'limit', in: 'query' },
              { name: 'page', in: 'query' },
              { name: 'per_page', in: 'query' },
            ],
            pagination:
              style === 'cursor'
                ? {
                    style,
                    cursorParam: 'cursor',
                    nextCursorPath: 'next_cursor',
                    itemsPath: 'data',
                    limitParam: 'limit',
                  }
                : style === 'offset'
                  ? {
                      style,
                      offsetParam: 'offset',
                      limitParam: 'limit',
                      itemsPath: 'data',
                      totalPath: 'total',
                    }
                  : style === 'page'
                    ? {
                        style,
                        pageParam: 'page',
                        perPageParam: 'per_page',
                        itemsPath: 'data',
                        hasMorePath: 'has_more',
                      }
                    : { style },
          })),
        ],
      },
    });
    expect(res.status, res.raw).toBe(201);
  }

  async function connect(
    connectorSlug: string,
    credentials: Record<string, string>,
    authMethod?: string,
  ): Promise<Connection> {
    const res = await call<Connection>({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { connector: connectorSlug, credentials, ...(authMethod && { authMethod }) },
    });
    expect(res.status, res.raw).toBe(201);
    return res.body;
  }

  const run = <B = unknown>(
    id: string,
    action: string,
    input: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ) =>
    call<Result<B>>({
      method: 'POST',
      url: `/api/v1/connections/${id}/actions/${action}`,
      payload: { input, ...extra },
    });

  beforeAll(async () => {
    h = await startConnectionsHarness(driver);
    await connector('keyed_header', [
      { key: 'api_key', type: 'api_key', in: 'header', name: 'X-Api-Key' },
    ]);
    await connector('keyed_query', [
      { key: 'api_key', type: 'api_key', in: 'query', name: 'api_key' },
    ]);
    await connector('keyed_cookie', [
      { key: 'api_key', type: 'api_key', in: 'cookie', name: 'api_key' },
    ]);
    await connector('basic', [{ key: 'basic', type: 'basic' }]);
    await connector('bearer', [{ key: 'bearer', type: 'bearer' }]);
    await connector('custom', [
      {
        key: 'custom',
        type: 'custom',
        fields: [{ name: 'api_token' }],
        headers: { Authorization: 'Token {{api_token}}' },
      },
    ]);
    await connector('oauth', [
      {
        key: 'oauth2',
        type: 'oauth2',
        grant: 'authorization_code',
        authorizeUrl: h.fx.provider.authorizeUrl,
        tokenUrl: h.fx.provider.tokenUrl,
        scopes: ['read'],
        expiredSignal: { bodyPath: 'error.code', bodyValues: ['token_expired'] },
      },
    ]);
    await connector('machine', [
      {
        key: 'cc',
        type: 'oauth2',
        grant: 'client_credentials',
        tokenUrl: h.fx.provider.tokenUrl,
        scopes: ['read'],
      },
    ]);
    for (const slug of ['oauth', 'machine']) {
      const app = await call({
        method: 'PUT',
        url: `/api/v1/connectors/${slug}/oauth-app`,
        payload: { clientId: 'weft-app', clientSecret: 'weft-app-secret' },
      });
      expect(app.status, app.raw).toBe(200);
      expect(app.raw).not.toContain('weft-app-secret');
    }
  });
  afterAll(() => h.close());

  it('puts each kind of credential exactly where the method declares it', async () => {
    // What the API actually received, from its own log: exactly one place holds the credential.
    const cases: [string, Record<string, string>, (r: RecordedRequest) => void][] = [
      [
        'keyed_header',
        { apiKey: 'key-123' },
        (r) => expect(r.headers['x-api-key']).toBe('key-123'),
      ],
      [
        'keyed_query',
        { apiKey: 'key-123' },
        (r) => expect(new URL(r.url, 'http://x').searchParams.get('api_key')).toBe('key-123'),
      ],
      [
        'keyed_cookie',
        { apiKey: 'key-123' },
        (r) => expect(r.headers['cookie']).toBe('api_key=key-123'),
      ],
      [
        'basic',
        { username: 'ada', password: 's3cret-pass' },
        (r) =>
          expect(r.headers['authorization']).toBe(
            `Basic ${Buffer.from('ada:s3cret-pass').toString('base64')}`,
          ),
      ],
      [
        'bearer',
        { token: 'bearer-456' },
        (r) => expect(r.headers['authorization']).toBe('Bearer bearer-456'),
      ],
      [
        'custom',
        { api_token: 'tok-789' },
        (r) => expect(r.headers['authorization']).toBe('Token tok-789'),
      ],
    ];
    for (const [slug, credentials, check] of cases) {
      const connection = await connect(slug, credentials);
      expect(connection).toMatchObject({
        status: 'active',
        credentialFields: Object.keys(credentials).sort(),
      });
      const res = await run<Echo>(connection.id, 'echo', {
        thing: 'a b/c',
        q: 'x',
        tags: ['t1', 't2'],
        xTrace: 'abc',
        email: 'ada@example.com',
        count: 2,
      });
      expect(res.status, res.raw).toBe(200);
      const echo = res.body.body;
      const received = h.fx.api.requests.at(-1) as RecordedRequest;
      check(received);
      const secret = Object.values(credentials).at(-1) as string;
      const elsewhere = JSON.stringify({
        ...received,
        headers: {
          ...received.headers,
          authorization: undefined,
          cookie: undefined,
          'x-api-key': undefined,
        },
        url: received.url.replace(/api_key=[^&]*/, ''),
      });
      expect(elsewhere, `${slug} leaked the credential into another place`).not.toContain(secret);
      // An upstream that echoes the credential back does not get it past Weft.
      expect(res.raw).not.toContain(secret);
      expect(echo.query['q']).toBe('x');
      expect(echo.query['tags']).toEqual(['t1', 't2']);
      expect(echo.headers['x-trace']).toBe('abc');
      expect(echo.body).toEqual({ email: 'ada@example.com', count: 2 });
      // Only the declared place carries the credential.
      const me = await run<{ scheme: string }>(connection.id, 'me');
      expect(me.body.status, `${slug}: ${me.raw}`).toBe(200);
    }
  });

  it('validates input against the action schema before sending anything', async () => {
    const connection = await connect('keyed_header', { apiKey: 'key-123' });
    const before = h.fx.api.requests.length;
    const bad = await run(connection.id, 'echo', {
      thing: 'x',
      email: 'not-an-email',
      count: 'two',
    });
    expect(bad.status).toBe(422);
    expect(bad.raw).toMatch(/email/);
    expect(bad.raw).toMatch(/count/);
    const unknown = await run(connection.id, 'echo', { thing: 'x', email: 'a@b.co', bogus: 1 });
    expect(unknown.status).toBe(422);
    expect(h.fx.api.requests.length).toBe(before);
    const missing = await run(connection.id, 'ehco', {});
    expect(missing.status).toBe(404);
    expect(missing.raw).toContain("did you mean 'echo'");
  });

  it('refuses wrong or missing credentials with an error naming the connection and method, never the secret', async () => {
    const missing = await call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { connector: 'basic', credentials: { username: 'ada' } },
    });
    expect(missing.status).toBe(422);
    expect(missing.raw).toMatch(/needs the credential password/);
    const extra = await call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { connector: 'bearer', credentials: { token: 'x', apiKey: 'key-123' } },
    });
    expect(extra.status).toBe(422);
    expect(extra.raw).toMatch(/takes no credential 'apiKey'/);
    expect(extra.raw).not.toContain('key-123');

    const wrong = await connect('keyed_header', { apiKey: 'wrong-key-999' });
    const res = await run(wrong.id, 'me');
    expect(res.status).toBe(424);
    expect(res.raw).toContain(wrong.id);
    expect(res.raw).toMatch(/auth method api_key/);
    expect(res.raw).not.toContain('wrong-key-999');
    const after = await call<Connection>({ method: 'GET', url: `/api/v1/connections/${wrong.id}` });
    expect(after.body.status).toBe('error');
    expect(after.body.statusReason).toMatch(/rejected the credentials/);
  });

  it('runs the whole OAuth 2.0 authorization-code flow over HTTP, with PKCE and state', async () => {
    const start = await call<{ url: string; connectionId: string }>({
      method: 'GET',
      url: `/api/v1/connections/oauth/start?connector=oauth&redirectUri=${encodeURIComponent(`${h.weftUrl}/api/v1/oauth/callback`)}`,
    });
    expect(start.status, start.raw).toBe(200);
    const authorize = new URL(start.body.url);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const pending = await call<Connection>({
      method: 'GET',
      url: `/api/v1/connections/${start.body.connectionId}`,
    });
    expect(pending.body.status).toBe('pending');

    // The user's browser: provider → redirect → Weft's callback.
    const consent = await fetch(authorize, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = consent.headers.get('location') ?? '';
    expect(back.startsWith(`${h.weftUrl}/api/v1/oauth/callback?`)).toBe(true);
    const forged = new URL(back);
    forged.searchParams.set('state', 'x'.repeat(43));
    expect((await fetch(forged)).status).toBe(400);
    const done = await fetch(back);
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await done.text()).toContain('Connected');
    // A state works once.
    expect((await fetch(back)).status).toBe(400);

    const active = await call<Connection>({
      method: 'GET',
      url: `/api/v1/connections/${start.body.connectionId}`,
    });
    expect(active.body).toMatchObject({
      status: 'active',
      credentialFields: ['access_token', 'refresh_token'],
    });
    const me = await run<{ scheme: string }>(start.body.connectionId, 'me');
    expect(me.body.body).toMatchObject({ scheme: 'bearer', clientId: 'weft-app' });
  });

  async function oauthConnection(): Promise<string> {
    const start = await call<{ url: string; connectionId: string }>({
      method: 'GET',
      url: `/api/v1/connections/oauth/start?connector=oauth&redirectUri=${encodeURIComponent(`${h.weftUrl}/api/v1/oauth/callback`)}`,
    });
    const consent = await fetch(start.body.url, { redirect: 'manual' });
    const done = await fetch(consent.headers.get('location') ?? '');
    expect(done.status).toBe(200);
    return start.body.connectionId;
  }

  async function currentToken(connectionId: string): Promise<string> {
    await run(connectionId, 'me');
    const received = h.fx.api.requests.at(-1) as RecordedRequest;
    const token = String(received.headers['authorization']).replace(/^Bearer /, '');
    seenTokens.add(token);
    return token;
  }

  it('refreshes ahead of expiry, on a 401, and on an "expired" 200 body', async () => {
    // Ahead of expiry: a token that lives 30 s is inside the 60 s refresh margin.
    h.fx.provider.setNextTtl(30);
    const id = await oauthConnection();
    let refreshes = h.fx.provider.stats.tokenRequests.refresh_token;
    const first = await currentToken(id);
    expect(h.fx.provider.stats.tokenRequests.refresh_token).toBe(refreshes + 1);
    refreshes++;

    // On 401: the provider expires the token early.
    h.fx.provider.expireAccessToken(first);
    const second = await currentToken(id);
    expect(second).not.toBe(first);
    expect(h.fx.provider.stats.tokenRequests.refresh_token).toBe(refreshes + 1);
    refreshes++;

    // On a 200 whose body says the token expired.
    h.fx.provider.expireAccessToken(second);
    const signal = await run<{ ok: boolean }>(id, 'expiredSignal');
    expect(signal.body.body).toEqual({ ok: true });
    expect(h.fx.provider.stats.tokenRequests.refresh_token).toBe(refreshes + 1);
    const view = await call<Connection>({ method: 'GET', url: `/api/v1/connections/${id}` });
    expect(view.body.lastRefreshedAt).not.toBeNull();
  });

  it('marks the connection expired, with a reason, an event and a reconnect link, when the grant is revoked', async () => {
    const id = await oauthConnection();
    const token = await currentToken(id);
    h.fx.provider.revokeGrantOf(token);
    const res = await run(id, 'me');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: 'connection_expired' } });
    const view = await call<Connection>({ method: 'GET', url: `/api/v1/connections/${id}` });
    expect(view.body.status).toBe('expired');
    expect(view.body.statusReason).toMatch(/invalid_grant/);
    expect(view.body.reconnectUrl).toContain(`connectionId=${id}`);
    const events = await call<{
      data: { type: string; resourceId: string; payload: Record<string, unknown> }[];
    }>({ method: 'GET', url: '/api/v1/platform-events' });
    expect(events.body.data.find((e) => e.resourceId === id)).toMatchObject({
      type: 'connection.expired',
      payload: { connector: 'oauth' },
    });
    // Later calls fail fast without another token request.
    const before = h.fx.provider.stats.tokenRequests.refresh_token;
    expect((await run(id, 'me')).status).toBe(409);
    expect(h.fx.provider.stats.tokenRequests.refresh_token).toBe(before);
    // Reconnecting brings it back.
    const again = await call<{ url: string }>({
      method: 'GET',
      url: `/api/v1/connections/oauth/start?connectionId=${id}&redirectUri=${encodeURIComponent(`${h.weftUrl}/api/v1/oauth/callback`)}`,
    });
    const consent = await fetch(again.body.url, { redirect: 'manual' });
    expect((await fetch(consent.headers.get('location') ?? '')).status).toBe(200);
    expect((await run(id, 'me')).body.status).toBe(200);
  });

  it('gets a client-credentials token when the connection is created', async () => {
    const connection = await connect('machine', {});
    expect(connection.status).toBe('active');
    const me = await run<{ scheme: string; clientId: string }>(connection.id, 'me');
    expect(me.body.body).toMatchObject({ scheme: 'bearer', clientId: 'weft-app' });
  });

  it('waits out a 429 with Retry-After, and concurrent callers share the pause', async () => {
    const connection = await connect('keyed_header', { apiKey: 'key-123' });
    h.fx.api.reset();
    // The pause is announced to every process (RATE_CHANNEL) only after this one has taken it,
    // so callers started on the announcement start inside a pause their process already knows.
    let announced!: () => void;
    const pauseTaken = new Promise<void>((resolve) => (announced = resolve));
    const listener = await h.t.database.db.listen(RATE_CHANNEL, {
      onMessage: () => announced(),
      onReset: () => undefined,
    });
    try {
      const first = run(connection.id, 'rateLimited');
      await pauseTaken;
      const othersStarted = Date.now();
      const others = [1, 2].map(() => run(connection.id, 'rateLimited'));
      const results = await Promise.all([first, ...others]);
      for (const r of results) expect(r.body.status, r.raw).toBe(200);
      const calls = h.fx.api.rateLimitCalls;
      const [limited, ...later] = calls;
      expect(limited?.status).toBe(429);
      const pauseEnds = (limited?.at ?? 0) + 1000;
      // The scenario happened: the others started well inside the pause...
      expect(othersStarted).toBeLessThan(pauseEnds - 500);
      // ...and none of the three reached the API again before it ended.
      expect(later.filter((c) => c.at < pauseEnds)).toEqual([]);
      expect(calls.filter((c) => c.status === 200)).toHaveLength(3);
    } finally {
      await listener.close();
    }
  });

  it('retries a flaky 503 and records the attempts in the trace', async () => {
    const connection = await connect('keyed_header', { apiKey: 'key-123' });
    h.fx.api.reset();
    const res = await run(connection.id, 'flaky');
    expect(res.body).toMatchObject({ status: 200, attempts: 3 });
    const trace = await call<{
      data: { name: string; status: number; attempts: number; url: string; kind: string }[];
    }>({ method: 'GET', url: `/api/v1/traces/${res.body.traceId}` });
    expect(trace.body.data).toEqual([
      expect.objectContaining({
        name: 'flaky',
        status: 200,
        attempts: 3,
        kind: 'action',
        url: `${h.fx.api.url}/flaky`,
      }),
    ]);
  });

  it('follows every pagination style to the end', async () => {
    const connection = await connect('keyed_header', { apiKey: 'key-123' });
    for (const style of ['cursor', 'offset', 'page', 'link']) {
      const input = style === 'page' ? { per_page: '7' } : style === 'link' ? {} : { limit: '7' };
      const res = await run(connection.id, `items_${style}`, input, { allPages: true });
      expect(res.status, `${style}: ${res.raw}`).toBe(200);
      expect(res.body.items, style).toHaveLength(25);
      expect(new Set((res.body.items as { id: string }[]).map((i) => i.id)).size).toBe(25);
      expect(res.body.pages).toBeGreaterThan(1);
    }
  });

  it('proxies a request through the connection, within the base URL only', async () => {
    const connection = await connect('keyed_query', { apiKey: 'key-123' });
    const res = await call<Result<Echo>>({
      method: 'POST',
      url: `/api/v1/connections/${connection.id}/proxy`,
      payload: {
        method: 'PUT',
        path: '/echo/raw',
        query: { a: ['1', '2'] },
        headers: { 'X-Custom': 'yes', Authorization: 'Bearer stolen' },
        body: { hello: 'world' },
      },
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.body).toMatchObject({
      query: { a: ['1', '2'], api_key: '[redacted]' },
      body: { hello: 'world' },
    });
    expect(res.body.body.headers['x-custom']).toBe('yes');
    expect(res.body.body.headers['authorization']).toBeUndefined();
    // A path cannot leave the base URL's origin: this one reaches the fixture API, which has no such route.
    h.fx.api.clear();
    const escape = await call<Result>({
      method: 'POST',
      url: `/api/v1/connections/${connection.id}/proxy`,
      payload: { method: 'GET', path: '//169.254.169.254/latest' },
    });
    expect(escape.status).toBe(200);
    expect(escape.body.status).toBe(404);
    expect(h.fx.api.requests.at(-1)?.path).toBe('/169.254.169.254/latest');
    // The trace shows the URL with the key masked.
    const spans = await call<{ data: { url: string }[] }>({
      method: 'GET',
      url: `/api/v1/connections/${connection.id}/spans`,
    });
    expect(spans.body.data[0]?.url).toContain('api_key=%5Bredacted%5D');
  });

  it('refuses to call private addresses (SSRF guard) even from a connector definition', async () => {
    // Weft's own port is live on loopback but not allowlisted: a real connection that the guard
    // refuses after connecting, as it would a DNS name that resolves to a private address.
    const weftPort = new URL(h.weftUrl).port;
    for (const baseUrl of [
      'http://169.254.169.254',
      'http://10.0.0.1',
      `http://[::1]:${weftPort}`,
      `http://localhost:${weftPort}`,
      `http://127.0.0.1:${weftPort}`,
    ]) {
      const slug = `evil_${Math.random().toString(36).slice(2, 8)}`;
      const created = await call({
        method: 'POST',
        url: '/api/v1/connectors',
        payload: { slug, name: 'evil', baseUrl, authMethods: [{ key: 'none', type: 'none' }] },
      });
      expect(created.status).toBe(201);
      await call({
        method: 'POST',
        url: `/api/v1/connectors/${slug}/actions`,
        payload: { slug: 'grab', name: 'grab', method: 'GET', path: '/latest/meta-data' },
      });
      const connection = await connect(slug, {});
      const res = await run(connection.id, 'grab');
      expect(res.status, `${baseUrl}: ${res.raw}`).toBe(502);
      expect(res.raw, res.raw).toMatch(/refused/);
    }
  });

  it('runs a custom token exchange, keeps the token, and exchanges again when it is rejected', async () => {
    await connector('exchange', [
      {
        key: 'custom',
        type: 'custom',
        fields: [{ name: 'client_id', secret: false }, { name: 'client_secret' }],
        headers: { Authorization: 'Bearer {{token}}' },
        tokenExchange: {
          method: 'POST',
          url: h.fx.provider.tokenUrl,
          bodyType: 'form',
          body: {
            grant_type: 'client_credentials',
            client_id: '{{client_id}}',
            client_secret: '{{client_secret}}',
          },
          tokenPath: 'access_token',
          expiresInPath: 'expires_in',
        },
      },
    ]);
    const before = h.fx.provider.stats.tokenRequests.client_credentials;
    const connection = await connect('exchange', {
      client_id: 'weft-app',
      client_secret: 'weft-app-secret',
    });
    expect(connection).toMatchObject({
      status: 'active',
      credentialFields: ['client_id', 'client_secret', 'token'],
    });
    const me = await run<{ clientId: string }>(connection.id, 'me');
    expect(me.body.body).toMatchObject({ scheme: 'bearer', clientId: 'weft-app' });
    expect(h.fx.provider.stats.tokenRequests.client_credentials).toBe(before + 1);
    const token = await currentToken(connection.id);
    expect(h.fx.provider.stats.tokenRequests.client_credentials).toBe(before + 1);
    h.fx.provider.expireAccessToken(token);
    expect((await run(connection.id, 'me')).body.status).toBe(200);
    expect(h.fx.provider.stats.tokenRequests.client_credentials).toBe(before + 2);
    const wrong = await connect('exchange', {
      client_id: 'weft-app',
      client_secret: 'not-the-secret',
    });
    expect(wrong.status).toBe('expired');
    expect(wrong.statusReason).toMatch(/rejected/);
  });

  it('refuses a redirect to a private address', async () => {
    const slug = 'redirector';
    await call({
      method: 'POST',
      url: '/api/v1/connectors',
      payload: {
        slug,
        name: slug,
        baseUrl: h.fx.api.url,
        authMethods: [{ key: 'none', type: 'none' }],
      },
    });
    await call({
      method: 'POST',
      url: `/api/v1/connectors/${slug}/actions`,
      payload: {
        slug: 'follow',
        name: 'follow',
        method: 'GET',
        path: '/redirect',
        parameters: [{ name: 'to', in: 'query', required: true }],
      },
    });
    const connection = await connect(slug, {});
    for (const to of [
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.1/',
      `${h.weftUrl}/health`,
    ]) {
      const res = await run(connection.id, 'follow', { to });
      expect(res.status, `${to}: ${res.raw}`).toBe(502);
      expect(res.raw).toMatch(/refused/);
    }
    // An allowed target is followed.
    const ok = await run<Result>(connection.id, 'follow', {
      to: `${h.fx.api.url}/echo/after-redirect`,
    });
    expect(ok.body.status).toBe(200);
  });

  it('tests a connection', async () => {
    const good = await connect('keyed_header', { apiKey: 'key-123' });
    const ok = await call<{ ok: boolean; status: number }>({
      method: 'POST',
      url: `/api/v1/connections/${good.id}/test`,
    });
    expect(ok.body).toMatchObject({ ok: true });
  });

  it('keeps every credential out of the database in plaintext, out of the logs and out of every response', async () => {
    await h.t.app.inject({ method: 'GET', url: '/health' });
    const dump = await h.t.database.db.owner(async (sql) => {
      const tables = await sql.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
      );
      const parts: string[] = [];
      for (const { tablename } of tables)
        parts.push(JSON.stringify(await sql.query(`SELECT * FROM ${tablename}`)));
      return parts.join('\n');
    });
    expect(dump).toContain('wenc1.');
    await call({ method: 'GET', url: '/api/v1/connections' });
    await call({ method: 'GET', url: '/api/v1/connectors/oauth/oauth-app' });
    const logs = h.t.logs.join('');
    const everything = responses.join('\n');
    expect(responses.length).toBeGreaterThan(30);
    expect(seenTokens.size).toBeGreaterThanOrEqual(3);
    for (const secret of [...SECRETS, ...seenTokens]) {
      expect(dump, `database holds ${secret}`).not.toContain(secret);
      expect(logs, `logs hold ${secret}`).not.toContain(secret);
      expect(everything, `a response holds ${secret}`).not.toContain(secret);
    }
  });
});
