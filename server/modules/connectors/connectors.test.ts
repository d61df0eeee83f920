import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  seedUserKey,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import type { Action, Connector, ConnectorDocument } from '../../domain/connector.ts';

const DOCUMENT: ConnectorDocument = {
  weftConnector: 1,
  connector: {
    slug: 'shop',
    name: 'Shop',
    description: 'A shop API',
    domain: 'shop.example',
    visibility: 'private',
    baseUrl: 'https://{region}.shop.example/v2',
    serverVariables: { region: { default: 'eu', enum: ['eu', 'us'] } },
    authMethods: [
      { key: 'api_key', type: 'api_key', in: 'header', name: 'X-Shop-Key' },
      {
        key: 'oauth2',
        type: 'oauth2',
        grant: 'authorization_code',
        authorizeUrl: 'https://shop.example/oauth/authorize',
        tokenUrl: 'https://shop.example/oauth/token',
        scopes: ['orders:read'],
        scopeSeparator: ' ',
        pkce: true,
        tokenAuth: 'basic',
        refreshAheadSeconds: 60,
      },
    ],
    rateLimit: { requestsPerSecond: 5 },
  },
  actions: [
    {
      slug: 'listOrders',
      name: 'List orders',
      method: 'GET',
      path: '/orders',
      parameters: [{ name: 'cursor', in: 'query', required: false }],
      bodyType: 'json',
      pagination: {
        style: 'cursor',
        cursorParam: 'cursor',
        nextCursorPath: 'next',
        itemsPath: 'orders',
      },
      cdmEntity: 'Order',
      tags: ['orders'],
      deprecated: false,
    },
    {
      slug: 'getOrder',
      name: 'Get an order',
      method: 'GET',
      path: '/orders/{order_id}',
      parameters: [
        {
          name: 'orderId',
          wireName: 'order_id',
          in: 'path',
          required: true,
          schema: { type: 'string' },
        },
      ],
      bodyType: 'json',
      tags: [],
      deprecated: false,
    },
  ],
  events: [
    {
      name: 'order.created',
      payloadSchema: { type: 'object' },
      subscription: { mode: 'webhook' },
      signature: { scheme: 'hmac-sha256', header: 'X-Signature', encoding: 'hex' },
    },
  ],
};

describe.each(TEST_DRIVERS)('connectors API (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  const call = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    key?: string,
  ) =>
    t.app.inject({
      method,
      url,
      headers: withKey(key ?? org.liveKey),
      ...(payload !== undefined && { payload: payload as object }),
    });

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    org = await seedOrg(t, 'Connectors');
  });
  afterAll(() => t.close());

  it('imports a document, exports the same document, and replaces it only when asked', async () => {
    const created = await call('POST', '/api/v1/connectors/import-definition', DOCUMENT);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json<Connector>()).toMatchObject({
      slug: 'shop',
      actionCount: 2,
      eventCount: 1,
    });
    const exported = await call('GET', '/api/v1/connectors/shop/export');
    // Actions and events come back ordered by slug and name.
    expect(exported.json()).toEqual({
      ...DOCUMENT,
      actions: [...DOCUMENT.actions].sort((a, b) => a.slug.localeCompare(b.slug)),
    });
    const again = await call('POST', '/api/v1/connectors/import-definition', DOCUMENT);
    expect(again.statusCode).toBe(409);
    const smaller = { ...DOCUMENT, actions: DOCUMENT.actions.slice(0, 1), events: [] };
    const replaced = await call(
      'POST',
      '/api/v1/connectors/import-definition?replace=true',
      smaller,
    );
    expect(replaced.json<Connector>()).toMatchObject({
      id: created.json<Connector>().id,
      actionCount: 1,
      eventCount: 0,
    });
    const audit = await call('GET', '/api/v1/audit-log');
    expect(audit.body).toContain('connector.replace');
  });

  it('serves the JSON Schema of the format', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/connectors/format.schema.json' });
    const schema = res.json<{ properties: Record<string, unknown>; required: string[] }>();
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['weftConnector', 'connector', 'actions', 'events']),
    );
  });

  it('manages actions and events one by one, deriving the input schema from parameters', async () => {
    await call('POST', '/api/v1/connectors', {
      slug: 'crm',
      name: 'CRM',
      baseUrl: 'https://crm.example',
      authMethods: [{ key: 'none', type: 'none' }],
    });
    const put = await call('POST', '/api/v1/connectors/crm/actions', {
      slug: 'createContact',
      name: 'Create a contact',
      method: 'POST',
      path: '/contacts',
      parameters: [
        { name: 'email', in: 'body', required: true, schema: { type: 'string', format: 'email' } },
        { name: 'name', in: 'body', schema: { type: 'string' } },
      ],
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json<Action>().inputSchema).toEqual({
      type: 'object',
      properties: { email: { type: 'string', format: 'email' }, name: { type: 'string' } },
      required: ['email'],
      additionalProperties: false,
    });
    const got = await call('GET', '/api/v1/connectors/crm/actions/createContact');
    expect(got.json<Action>().slug).toBe('createContact');
    const typo = await call('GET', '/api/v1/connectors/crm/actions/createContcat');
    expect(typo.statusCode).toBe(404);
    expect(typo.body).toContain("did you mean 'createContact'");
    expect(
      (await call('POST', '/api/v1/connectors/crm/events', { name: 'contact.created' })).statusCode,
    ).toBe(200);
    expect((await call('DELETE', '/api/v1/connectors/crm/events/contact.created')).statusCode).toBe(
      204,
    );
    expect((await call('DELETE', '/api/v1/connectors/crm/actions/createContact')).statusCode).toBe(
      204,
    );
    expect((await call('GET', '/api/v1/connectors/crm')).json<Connector>()).toMatchObject({
      actionCount: 0,
      eventCount: 0,
    });
    const missing = await call('GET', '/api/v1/connectors/crn');
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain("did you mean 'crm'");
  });

  it('refuses definitions that cannot work, and writes nothing', async () => {
    const bad: [string, unknown, RegExp][] = [
      [
        'a path parameter without a parameter',
        { slug: 'x', name: 'x', method: 'GET', path: '/things/{id}' },
        /uses \{id\}/,
      ],
      [
        'a duplicated parameter',
        {
          slug: 'x',
          name: 'x',
          method: 'GET',
          path: '/x',
          parameters: [
            { name: 'a', in: 'query' },
            { name: 'a', in: 'header' },
          ],
        },
        /appears twice/,
      ],
      ['an unknown method', { slug: 'x', name: 'x', method: 'FETCH', path: '/x' }, /method/],
      ['a relative path', { slug: 'x', name: 'x', method: 'GET', path: 'x' }, /must start with \//],
      ['a bad slug', { slug: 'with space', name: 'x', method: 'GET', path: '/x' }, /slug/],
    ];
    await call('POST', '/api/v1/connectors', { slug: 'strict', name: 'Strict' });
    for (const [name, action, message] of bad) {
      const res = await call('POST', '/api/v1/connectors/strict/actions', action);
      expect(res.statusCode, name).toBe(422);
      expect(res.body, name).toMatch(message);
    }
    const dupAuth = await call('POST', '/api/v1/connectors', {
      slug: 'dup',
      name: 'Dup',
      authMethods: [
        { key: 'a', type: 'none' },
        { key: 'a', type: 'bearer' },
      ],
    });
    expect(dupAuth.statusCode).toBe(422);
    const badUrl = await call('POST', '/api/v1/connectors', {
      slug: 'badurl',
      name: 'x',
      baseUrl: 'ftp://x',
    });
    expect(badUrl.statusCode).toBe(422);
    const dupSlug = await call('POST', '/api/v1/connectors', { slug: 'strict', name: 'Again' });
    expect(dupSlug.statusCode).toBe(409);
    expect((await call('GET', '/api/v1/connectors/strict')).json<Connector>().actionCount).toBe(0);
    expect((await call('GET', '/api/v1/connectors/dup')).statusCode).toBe(404);
  });

  it('lets a viewer read connectors but not change them', async () => {
    const viewer = await seedUserKey(t, org, 'viewer');
    expect((await call('GET', '/api/v1/connectors', undefined, viewer)).statusCode).toBe(200);
    expect(
      (await call('POST', '/api/v1/connectors', { slug: 'nope', name: 'Nope' }, viewer)).statusCode,
    ).toBe(403);
  });
});
