// A connection's credentials never follow a redirect to another origin. Two fixture APIs on
// loopback, on different ports (different origins): the connector's own, and "elsewhere", which
// records what reaches it. Every auth method, through an action and through the proxy route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import { parseCookies, parseQuery } from '../../../test/fixtures/http.ts';
import {
  startApiServer,
  type ApiServer,
  type RecordedRequest,
} from '../../../test/fixtures/index.ts';
import type { Connection } from '../../domain/connection.ts';

interface Result {
  status: number;
  ok: boolean;
  body: unknown;
}

const BASIC = `Basic ${Buffer.from('ada:s3cret-pass').toString('base64')}`;
/** Every credential value used here, and the forms they travel in. */
const SECRETS = [
  'key-123',
  's3cret-pass',
  'bearer-456',
  'tok-789',
  'weft-app-secret',
  BASIC.slice('Basic '.length),
];

/** Where each method puts its credentials, checked on a request that should carry them. */
const METHODS: Record<
  string,
  { auth: unknown[]; credentials: Record<string, string>; carries: (r: RecordedRequest) => void }
> = {
  none: {
    auth: [{ key: 'none', type: 'none' }],
    credentials: {},
    carries: (r) => expect(r.headers['authorization']).toBeUndefined(),
  },
  basic: {
    auth: [{ key: 'basic', type: 'basic' }],
    credentials: { username: 'ada', password: 's3cret-pass' },
    carries: (r) => expect(r.headers['authorization']).toBe(BASIC),
  },
  bearer: {
    auth: [{ key: 'bearer', type: 'bearer' }],
    credentials: { token: 'bearer-456' },
    carries: (r) => expect(r.headers['authorization']).toBe('Bearer bearer-456'),
  },
  api_key_header: {
    auth: [{ key: 'k', type: 'api_key', in: 'header', name: 'X-Api-Key' }],
    credentials: { apiKey: 'key-123' },
    carries: (r) => expect(r.headers['x-api-key']).toBe('key-123'),
  },
  api_key_query: {
    auth: [{ key: 'k', type: 'api_key', in: 'query', name: 'api_key' }],
    credentials: { apiKey: 'key-123' },
    carries: (r) => expect(parseQuery(r.url)['api_key']).toBe('key-123'),
  },
  api_key_cookie: {
    auth: [{ key: 'k', type: 'api_key', in: 'cookie', name: 'api_key' }],
    credentials: { apiKey: 'key-123' },
    carries: (r) => expect(parseCookies(r.headers['cookie'] as string)['api_key']).toBe('key-123'),
  },
  oauth2: {
    auth: [{ key: 'cc', type: 'oauth2', grant: 'client_credentials', tokenUrl: '', scopes: [] }],
    credentials: {},
    carries: (r) => expect(r.headers['authorization']).toMatch(/^Bearer \S{16,}$/),
  },
  custom: {
    auth: [
      {
        key: 'custom',
        type: 'custom',
        fields: [{ name: 'api_token' }],
        headers: { Authorization: 'Token {{api_token}}', 'X-Sig': 'sig-{{api_token}}' },
        query: { sig: '{{api_token}}' },
      },
    ],
    credentials: { api_token: 'tok-789' },
    carries: (r) => {
      expect(r.headers['authorization']).toBe('Token tok-789');
      expect(r.headers['x-sig']).toBe('sig-tok-789');
      expect(parseQuery(r.url)['sig']).toBe('tok-789');
    },
  },
  custom_body: {
    auth: [
      {
        key: 'custom',
        type: 'custom',
        fields: [{ name: 'api_token' }],
        body: { secret: '{{api_token}}' },
      },
    ],
    credentials: { api_token: 'tok-789' },
    carries: (r) => expect(r.body).toEqual({ note: 'hi', secret: 'tok-789' }),
  },
};

/** Nothing the connection applied, in any place or form, reached this request. */
function expectNoCredentials(r: RecordedRequest | undefined, access: string[]): void {
  expect(r).toBeDefined();
  const seen = JSON.stringify([r?.url, r?.headers, r?.rawBody]);
  for (const secret of [...SECRETS, ...access]) expect(seen).not.toContain(secret);
  for (const header of ['authorization', 'cookie', 'x-api-key', 'x-sig'])
    expect(r?.headers[header]).toBeUndefined();
  expect(parseQuery(r?.url ?? '')).not.toHaveProperty('api_key');
  expect(parseQuery(r?.url ?? '')).not.toHaveProperty('sig');
}

describe.each(TEST_DRIVERS)('redirects and credentials (%s)', (driver) => {
  let h: ConnectionsHarness;
  let elsewhere: ApiServer;
  const connections: Record<string, Connection> = {};
  /** OAuth access tokens the API saw: credentials too. */
  const accessTokens = (): string[] =>
    h.fx.api.requests
      .map((r) => /^Bearer (\S+)$/.exec(String(r.headers['authorization']))?.[1])
      .filter((t): t is string => t !== undefined && t !== 'bearer-456');

  beforeAll(async () => {
    elsewhere = await startApiServer();
    h = await startConnectionsHarness(driver, {
      env: { WEFT_EGRESS_ALLOW: new URL(elsewhere.url).host },
    });
    for (const [name, { auth, credentials }] of Object.entries(METHODS)) {
      const methods =
        name === 'oauth2' ? [{ ...(auth[0] as object), tokenUrl: h.fx.provider.tokenUrl }] : auth;
      const created = await h.call({
        method: 'POST',
        url: '/api/v1/connectors/import-definition',
        payload: {
          weftConnector: 1,
          connector: { slug: name, name, baseUrl: h.fx.api.url, authMethods: methods },
          actions: [
            {
              slug: 'follow',
              name: 'Follow',
              method: name === 'custom_body' ? 'POST' : 'GET',
              path: '/redirect',
              parameters: [
                { name: 'to', in: 'query', required: true, schema: { type: 'string' } },
                { name: 'status', in: 'query', schema: { type: 'string' } },
                ...(name === 'custom_body'
                  ? [{ name: 'note', in: 'body', schema: { type: 'string' } }]
                  : []),
              ],
            },
          ],
        },
      });
      expect(created.status, created.raw).toBe(201);
      if (name === 'oauth2') {
        const app = await h.call({
          method: 'PUT',
          url: `/api/v1/connectors/${name}/oauth-app`,
          payload: { clientId: 'weft-app', clientSecret: 'weft-app-secret' },
        });
        expect(app.status, app.raw).toBe(200);
      }
      const connection = await h.call<Connection>({
        method: 'POST',
        url: '/api/v1/connections',
        payload: { connector: name, credentials },
      });
      expect(connection.status, connection.raw).toBe(201);
      expect(connection.body.status).toBe('active');
      connections[name] = connection.body;
    }
  });
  afterAll(async () => {
    await h.close();
    await elsewhere.close();
  });

  /** Through the action, or the same request through the proxy route. */
  async function follow({
    via,
    name,
    to,
    status,
  }: {
    via: 'action' | 'proxy';
    name: string;
    to: string;
    status?: number;
  }): Promise<Result> {
    const id = connections[name]?.id ?? '';
    const post = name === 'custom_body';
    const query = { to, ...(status === undefined ? {} : { status: String(status) }) };
    const res =
      via === 'action'
        ? await h.call<Result>({
            method: 'POST',
            url: `/api/v1/connections/${id}/actions/follow`,
            payload: { input: { ...query, ...(post ? { note: 'hi' } : {}) } },
          })
        : await h.call<Result>({
            method: 'POST',
            url: `/api/v1/connections/${id}/proxy`,
            payload: {
              method: post ? 'POST' : 'GET',
              path: '/redirect',
              query,
              ...(post ? { body: { note: 'hi' } } : {}),
            },
          });
    expect(res.status, res.raw).toBe(200);
    return res.body;
  }

  describe.each(['action', 'proxy'] as const)('through the %s route', (via) => {
    it.each(Object.keys(METHODS))(
      '%s: kept on the same origin, absent at another',
      async (name) => {
        const status = name === 'custom_body' ? 307 : 302;
        const tag = `${via}-${name}`;
        const same = await follow({ via, name, to: `${h.fx.api.url}/echo/same-${tag}`, status });
        expect(same.status).toBe(200);
        const arrived = h.fx.api.requests.find((r) => r.path === `/echo/same-${tag}`);
        expect(arrived, tag).toBeDefined();
        METHODS[name]?.carries(arrived!);

        const cross = await follow({ via, name, to: `${elsewhere.url}/echo/away-${tag}`, status });
        expect(cross.status).toBe(200);
        const away = elsewhere.requests.find((r) => r.path === `/echo/away-${tag}`);
        expectNoCredentials(away, accessTokens());
        if (name === 'custom_body') {
          // A 307 keeps the method and the body, without the credential field.
          expect(away).toMatchObject({ method: 'POST', body: { note: 'hi' } });
        }
      },
    );
  });

  it('keeps the body but not its credential field across a 308, and drops both on a 303', async () => {
    await follow({
      via: 'action',
      name: 'custom_body',
      to: `${elsewhere.url}/echo/p308`,
      status: 308,
    });
    const permanent = elsewhere.requests.find((r) => r.path === '/echo/p308');
    expect(permanent).toMatchObject({ method: 'POST', body: { note: 'hi' } });
    await follow({
      via: 'action',
      name: 'custom_body',
      to: `${elsewhere.url}/echo/s303`,
      status: 303,
    });
    const seeOther = elsewhere.requests.find((r) => r.path === '/echo/s303');
    expect(seeOther).toMatchObject({ method: 'GET', rawBody: null });
    expect(seeOther?.headers['content-type']).toBeUndefined();
  });

  it('drops a credential that the redirect copies into the other origin’s query', async () => {
    for (const name of ['api_key_query', 'custom']) {
      const value = name === 'custom' ? 'tok-789' : 'key-123';
      const param = name === 'custom' ? 'sig' : 'api_key';
      await follow({
        via: 'action',
        name,
        to: `${elsewhere.url}/echo/copied-${name}?${param}=${value}&page=2`,
      });
      const copied = elsewhere.requests.find((r) => r.path === `/echo/copied-${name}`);
      expectNoCredentials(copied, []);
      expect(parseQuery(copied?.url ?? '')).toEqual({ page: '2' });
    }
  });

  it('does not put the credentials back when another origin sends the call home again', async () => {
    const home = `${h.fx.api.url}/echo/home-again`;
    await follow({
      via: 'action',
      name: 'api_key_header',
      to: `${elsewhere.url}/redirect?to=${encodeURIComponent(home)}`,
    });
    const back = h.fx.api.requests.find((r) => r.path === '/echo/home-again');
    expectNoCredentials(back, []);
  });

  it('takes a 401 from another origin as its answer, not as a verdict on the credentials', async () => {
    const tokenCalls = h.fx.provider.stats.tokenRequests.client_credentials;
    for (const name of ['api_key_header', 'oauth2']) {
      const res = await follow({ via: 'action', name, to: `${elsewhere.url}/me` });
      expect(res.status).toBe(401);
      const connection = await h.call<Connection>({
        method: 'GET',
        url: `/api/v1/connections/${connections[name]?.id ?? ''}`,
      });
      expect(connection.body.status).toBe('active');
    }
    // No token refresh for a 401 that the token was never sent to.
    expect(h.fx.provider.stats.tokenRequests.client_credentials).toBe(tokenCalls);
  });

  it('does not follow a token request to another origin', async () => {
    const target = `${elsewhere.url}/echo/token-grab`;
    const created = await h.call({
      method: 'POST',
      url: '/api/v1/connectors/import-definition',
      payload: {
        weftConnector: 1,
        connector: {
          slug: 'exchanger',
          name: 'exchanger',
          baseUrl: h.fx.api.url,
          authMethods: [
            {
              key: 'custom',
              type: 'custom',
              fields: [{ name: 'client_secret' }],
              headers: { Authorization: 'Bearer {{token}}' },
              tokenExchange: {
                method: 'POST',
                url: `${h.fx.api.url}/redirect?status=307&to=${encodeURIComponent(target)}`,
                bodyType: 'form',
                body: { client_secret: '{{client_secret}}' },
                tokenPath: 'access_token',
              },
            },
          ],
        },
      },
    });
    expect(created.status, created.raw).toBe(201);
    const connection = await h.call<Connection>({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { connector: 'exchanger', credentials: { client_secret: 'weft-app-secret' } },
    });
    expect(connection.body.status).toBe('error');
    expect(connection.body.statusReason).toContain(
      `the API redirected to another origin (${elsewhere.url}); not followed, because the request carries credentials`,
    );
    expect(elsewhere.requests.find((r) => r.path === '/echo/token-grab')).toBeUndefined();
  });
});
