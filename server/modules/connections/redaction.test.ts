// An API that hands a connection's credentials back encoded (the fixture's /reflect: every
// header, query parameter and cookie it received, and Basic's user:password, as base64, base64url
// or percent-encoding) must not hand them out through Weft: not in action or proxy results, not in
// trace spans. The expected spellings are computed here, independently of server/engine/redact.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';

const LONG_TOKEN = 'tok-7d1c52b0e94f4a6b8e21c3f0a9d8b7c6';
const ENCODE: Record<string, (text: string) => string> = {
  base64: (text) => Buffer.from(text).toString('base64'),
  base64url: (text) => Buffer.from(text).toString('base64url'),
  percent: (text) => encodeURIComponent(text),
};

interface Reflected {
  headers: Record<string, string>;
  query: Record<string, string>;
  cookies: Record<string, string>;
  basic: string | null;
}

/** Per method: how to set it up, and everything carrying the credential that the API received. */
const METHODS: Record<
  string,
  {
    auth: Record<string, unknown>;
    credentials: Record<string, string>;
    received: (accessToken: string) => string[];
    /** Where the reflected answer holds the credential. */
    redactedAt: (r: Reflected) => (string | null | undefined)[];
  }
> = {
  basic: {
    auth: { key: 'basic', type: 'basic' },
    credentials: { username: 'ada', password: 's3cret-pass' },
    received: () => [
      's3cret-pass',
      'ada:s3cret-pass',
      `Basic ${Buffer.from('ada:s3cret-pass').toString('base64')}`,
    ],
    redactedAt: (r) => [r.basic, r.headers['authorization']],
  },
  bearer: {
    auth: { key: 'bearer', type: 'bearer' },
    credentials: { token: 'bearer-456' },
    received: () => ['bearer-456', 'Bearer bearer-456'],
    redactedAt: (r) => [r.headers['authorization']],
  },
  api_key_header: {
    auth: { key: 'k', type: 'api_key', in: 'header', name: 'X-Api-Key' },
    credentials: { apiKey: 'key-123' },
    received: () => ['key-123'],
    redactedAt: (r) => [r.headers['x-api-key']],
  },
  api_key_query: {
    auth: { key: 'k', type: 'api_key', in: 'query', name: 'api_key' },
    credentials: { apiKey: 'key-123' },
    received: () => ['key-123'],
    redactedAt: (r) => [r.query['api_key']],
  },
  api_key_cookie: {
    auth: { key: 'k', type: 'api_key', in: 'cookie', name: 'api_key' },
    credentials: { apiKey: 'key-123' },
    received: () => ['key-123', 'api_key=key-123'],
    redactedAt: (r) => [r.cookies['api_key'], r.headers['cookie']],
  },
  custom: {
    auth: {
      key: 'custom',
      type: 'custom',
      fields: [{ name: 'api_token' }],
      headers: { Authorization: 'Token {{api_token}}' },
      query: { sig: 'v1.{{api_token}}' },
    },
    credentials: { api_token: LONG_TOKEN },
    received: () => [LONG_TOKEN, `Token ${LONG_TOKEN}`, `v1.${LONG_TOKEN}`],
    redactedAt: (r) => [r.headers['authorization'], r.query['sig']],
  },
  oauth2: {
    auth: { key: 'cc', type: 'oauth2', grant: 'client_credentials', tokenUrl: '', scopes: [] },
    credentials: {},
    received: (accessToken) => [accessToken, `Bearer ${accessToken}`],
    redactedAt: (r) => [r.headers['authorization']],
  },
};

describe.each(TEST_DRIVERS)('encoded credentials are redacted (%s)', (driver) => {
  let h: ConnectionsHarness;
  const ids: Record<string, string> = {};

  /** The OAuth access token the API last saw (Weft never shows it). */
  const accessToken = (): string =>
    h.fx.api.requests
      .map((r) => /^Bearer (\S+)$/.exec(String(r.headers['authorization']))?.[1])
      .filter((t): t is string => t !== undefined && t !== 'bearer-456')
      .at(-1) ?? 'no-access-token-seen';

  beforeAll(async () => {
    h = await startConnectionsHarness(driver);
    for (const [name, { auth, credentials }] of Object.entries(METHODS)) {
      const method = name === 'oauth2' ? { ...auth, tokenUrl: h.fx.provider.tokenUrl } : auth;
      const created = await h.call({
        method: 'POST',
        url: '/api/v1/connectors/import-definition',
        payload: {
          weftConnector: 1,
          connector: { slug: name, name, baseUrl: h.fx.api.url, authMethods: [method] },
          actions: [
            {
              slug: 'reflect',
              name: 'Reflect',
              method: 'GET',
              path: '/reflect',
              parameters: [{ name: 'as', in: 'query', required: true }],
            },
          ],
        },
      });
      expect(created.status, created.raw).toBe(201);
      if (name === 'oauth2') {
        await h.call({
          method: 'PUT',
          url: `/api/v1/connectors/${name}/oauth-app`,
          payload: { clientId: 'weft-app', clientSecret: 'weft-app-secret' },
        });
      }
      const connection = await h.call<{ id: string; status: string }>({
        method: 'POST',
        url: '/api/v1/connections',
        payload: { connector: name, credentials },
      });
      expect(connection.body.status, connection.raw).toBe('active');
      ids[name] = connection.body.id;
    }
  });
  afterAll(() => h.close());

  const reflect = (name: string, as: string, via: 'action' | 'proxy') =>
    via === 'action'
      ? h.call<{ status: number; body: unknown; traceId: string }>({
          method: 'POST',
          url: `/api/v1/connections/${ids[name] ?? ''}/actions/reflect`,
          payload: { input: { as } },
        })
      : h.call<{ status: number; body: unknown; traceId: string }>({
          method: 'POST',
          url: `/api/v1/connections/${ids[name] ?? ''}/proxy`,
          payload: { method: 'GET', path: '/reflect', query: { as } },
        });

  describe.each(['action', 'proxy'] as const)('through the %s route', (via) => {
    for (const as of Object.keys(ENCODE)) {
      it.each(Object.keys(METHODS))(`%s, echoed back as ${as}`, async (name) => {
        const method = METHODS[name]!;
        const res = await reflect(name, as, via);
        expect(res.status, res.raw).toBe(200);
        expect(res.body.status).toBe(200);
        const received = method.received(accessToken());
        for (const value of received) {
          const encoded = ENCODE[as]!(value);
          expect(res.raw, `${name}: ${as} of ${value}`).not.toContain(encoded);
          expect(res.raw).not.toContain(value);
        }
        // The fields that held the credential are there, redacted: the API did echo them.
        for (const field of method.redactedAt(res.body.body as Reflected)) {
          expect(field, name).toContain('[redacted]');
        }
      });
    }
  });

  it('catches a long credential inside a whole document encoded as base64 and base64url', async () => {
    for (const as of ['base64-document', 'base64url-document']) {
      for (const name of ['custom', 'oauth2']) {
        const res = await reflect(name, as, 'action');
        expect(res.status, res.raw).toBe(200);
        const { document } = res.body.body as { document: string };
        expect(document).toContain('[redacted]');
        // What is left decodes to the rest of the document, never to the credential.
        const left = document
          .split('[redacted]')
          .map((part) =>
            Buffer.from(part, as.startsWith('base64url') ? 'base64url' : 'base64').toString(
              'latin1',
            ),
          )
          .join('');
        for (const value of METHODS[name]!.received(accessToken())) {
          expect(left).not.toContain(value);
        }
        expect(left).toContain('"accept"');
      }
    }
  });

  it('keeps encoded credentials out of trace spans', async () => {
    const encodedKey = Buffer.from('key-123').toString('base64');
    const res = await h.call<{ traceId: string }>({
      method: 'POST',
      url: `/api/v1/connections/${ids['api_key_header'] ?? ''}/proxy`,
      payload: {
        method: 'GET',
        path: `/echo/${encodeURIComponent(encodedKey)}`,
        query: { copy: encodedKey, raw: 'key-123' },
      },
    });
    expect(res.status, res.raw).toBe(200);
    const trace = await h.call<{ data: { url: string }[] }>({
      method: 'GET',
      url: `/api/v1/traces/${res.body.traceId}`,
    });
    expect(trace.body.data).toHaveLength(1);
    const url = trace.body.data[0]?.url ?? '';
    expect(url).toContain('[redacted]');
    for (const form of ['key-123', encodedKey, encodeURIComponent(encodedKey)]) {
      expect(trace.raw).not.toContain(form);
    }
  });

  it('keeps every form out of the logs', () => {
    const logs = h.t.logs.join('');
    for (const value of [
      ...Object.values(METHODS).flatMap((m) => m.received(accessToken())),
      'weft-app-secret',
    ]) {
      for (const encode of Object.values(ENCODE)) expect(logs).not.toContain(encode(value));
    }
  });
});
