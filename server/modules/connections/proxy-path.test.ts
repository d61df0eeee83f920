// The proxy route (and action paths) stay under the connector's base path, however the path is
// spelled. The connector's base is the fixture API's /echo/base/: anything that got out would
// still be answered (the echo answers every /echo/* path), so "nothing arrived" is the proof.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; requestId?: string };
}

const ESCAPES: [path: string, why: string][] = [
  ['/../x', 'its ".." segments climb above it'],
  ['/a/../../x', 'its ".." segments climb above it'],
  ['/./../x', 'its ".." segments climb above it'],
  ['/%2e%2e/x', 'its ".." segments climb above it once percent-decoded'],
  ['/%2E%2E/x', 'its ".." segments climb above it once percent-decoded'],
  ['/.%2e/x', 'its ".." segments climb above it once percent-decoded'],
  ['/%2e./x', 'its ".." segments climb above it once percent-decoded'],
  ['/..%2fx', 'its ".." segments climb above it once percent-decoded'],
  ['/..%2Fx', 'its ".." segments climb above it once percent-decoded'],
  ['/%2e%2e%2f%2e%2e%2fx', 'its ".." segments climb above it once percent-decoded'],
  ['/..\\x', 'its ".." segments climb above it, a backslash counting as a slash'],
  ['/a\\..\\..\\x', 'its ".." segments climb above it, a backslash counting as a slash'],
  ['/\\..\\x', 'its ".." segments climb above it, a backslash counting as a slash'],
  [
    '/..%5cx',
    'its ".." segments climb above it once percent-decoded, a backslash counting as a slash',
  ],
  ['/%252e%252e/x', 'its ".." segments climb above it once percent-decoded 2 times'],
  ['/..%252fx', 'its ".." segments climb above it once percent-decoded 2 times'],
  ['/%25252e%25252e/x', 'its ".." segments climb above it once percent-decoded 3 times'],
  [
    '/%2525252e%2525252e/x',
    'its ".." segments climb above it (it is still percent-encoded after 3 decodings)',
  ],
  ['/..;/x', 'its ".." segments climb above it'],
  ['/..%3b/x', 'its ".." segments climb above it once percent-decoded'],
  ['/..%3fx', 'its ".." segments climb above it once percent-decoded'],
];

describe.each(TEST_DRIVERS)('proxy paths stay under the base path (%s)', (driver) => {
  let h: ConnectionsHarness;
  let connectionId: string;

  const proxy = <T>(path: string) =>
    h.call<T>({
      method: 'POST',
      url: `/api/v1/connections/${connectionId}/proxy`,
      payload: { method: 'GET', path },
    });

  beforeAll(async () => {
    h = await startConnectionsHarness(driver);
    const created = await h.call({
      method: 'POST',
      url: '/api/v1/connectors/import-definition',
      payload: {
        weftConnector: 1,
        connector: {
          slug: 'based',
          name: 'based',
          baseUrl: `${h.fx.api.url}/echo/base`,
          authMethods: [{ key: 'k', type: 'api_key', in: 'header', name: 'X-Api-Key' }],
        },
        actions: [
          {
            slug: 'thing',
            name: 'Thing',
            method: 'GET',
            path: '/things/{id}',
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          },
        ],
      },
    });
    expect(created.status, created.raw).toBe(201);
    const connection = await h.call<{ id: string }>({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { connector: 'based', credentials: { apiKey: 'key-123' } },
    });
    connectionId = connection.body.id;
  });
  afterAll(() => h.close());

  it.each(ESCAPES)('refuses %s with a 400 that names the problem', async (path, why) => {
    h.fx.api.clear();
    const res = await proxy<ErrorBody>(path);
    expect(res.status, res.raw).toBe(400);
    expect(res.body.error).toEqual({
      code: 'bad_request',
      message: `the path ${JSON.stringify(path)} leaves the connector's base path (/echo/base/): ${why}; give a path inside it`,
      details: { path, basePath: '/echo/base/' },
      requestId: expect.any(String),
    });
    expect(h.fx.api.requests).toEqual([]);
  });

  it('lets through paths that stay inside, dots and encoded slashes included', async () => {
    for (const [path, arrived] of [
      ['/items', '/echo/base/items'],
      ['/a/../b', '/echo/base/b'],
      ['/a/%2e%2e/b', '/echo/base/b'],
      ['/a/..%2fb', '/echo/base/a/..%2fb'],
      ['/group%2Fproject/issues', '/echo/base/group%2Fproject/issues'],
      ['/compare/main...feature', '/echo/base/compare/main...feature'],
      ['/x?next=../../admin', '/echo/base/x'],
      ['/', '/echo/base/'],
    ] as const) {
      h.fx.api.clear();
      const res = await proxy<{ status: number }>(path);
      expect(res.status, `${path}: ${res.raw}`).toBe(200);
      expect(res.body.status, path).toBe(200);
      expect(h.fx.api.requests.map((r) => r.path)).toEqual([arrived]);
    }
  });

  it('applies the same rule to action path parameters', async () => {
    h.fx.api.clear();
    const res = await h.call<ErrorBody>({
      method: 'POST',
      url: `/api/v1/connections/${connectionId}/actions/thing`,
      payload: { input: { id: '../../../admin' } },
    });
    expect(res.status, res.raw).toBe(400);
    expect(res.body.error.message).toBe(
      `the path "/things/..%2F..%2F..%2Fadmin" leaves the connector's base path (/echo/base/): its ".." segments climb above it once percent-decoded; give a path inside it`,
    );
    expect(h.fx.api.requests).toEqual([]);
    const ok = await h.call<{ status: number }>({
      method: 'POST',
      url: `/api/v1/connections/${connectionId}/actions/thing`,
      payload: { input: { id: 'a/b' } },
    });
    expect(ok.body.status).toBe(200);
    expect(h.fx.api.requests.at(-1)?.path).toBe('/echo/base/things/a%2Fb');
  });
});
