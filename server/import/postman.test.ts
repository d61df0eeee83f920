import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectorDocumentSchema, type ActionInput } from '../domain/connector.ts';
import { buildActionRequest, resolveBaseUrl } from '../engine/request-builder.ts';
import { AppError } from '../errors.ts';
import { deriveInputSchema } from '../domain/connector.ts';
import { extractPostman } from './postman.ts';
import { MAX_WARNINGS, type ImportResult, type ImportWarning } from './types.ts';

const V21 = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';
const V20 = 'https://schema.getpostman.com/json/collection/v2.0.0/collection.json';

function extract(collection: unknown): ImportResult {
  const warnings: ImportWarning[] = [];
  const result = extractPostman({ collection, warnings });
  expect(result.warnings).toBe(warnings);
  expect(ConnectorDocumentSchema.parse(result.document)).toEqual(result.document);
  return result;
}

const str = { type: 'string' };

/** Variables, collection-level API key, nested folders, both path variable styles, bodies. */
const crm = {
  info: { name: 'Acme CRM API', schema: V21, description: 'CRM of Acme' },
  variable: [
    { key: 'baseUrl', value: 'https://api.acme.test/v2' },
    { key: 'customerId', value: 'cus_123' },
  ],
  auth: {
    type: 'apikey',
    apikey: [
      { key: 'key', value: 'X-Api-Key' },
      { key: 'value', value: '{{apiKey}}' },
      { key: 'in', value: 'header' },
    ],
  },
  item: [
    {
      name: 'Customers',
      item: [
        {
          name: 'List customers',
          request: {
            method: 'GET',
            header: [{ key: 'Accept', value: 'application/json' }],
            url: {
              raw: '{{baseUrl}}/customers?limit=10&starting_after=',
              host: ['{{baseUrl}}'],
              path: ['customers'],
              query: [
                { key: 'limit', value: '10' },
                {
                  key: 'starting_after',
                  value: '',
                  disabled: true,
                  description: 'Cursor from the previous page',
                },
              ],
            },
          },
          response: [
            {
              name: 'ok',
              code: 200,
              body: '{"data":[{"id":"cus_1","email":"a@b.c"}],"has_more":false}',
            },
          ],
        },
        {
          name: 'Get customer',
          request: {
            method: 'GET',
            url: {
              raw: '{{baseUrl}}/customers/:id',
              host: ['{{baseUrl}}'],
              path: ['customers', ':id'],
              variable: [{ key: 'id', value: 'cus_123', description: 'Customer id' }],
            },
          },
        },
        {
          name: 'Create customer',
          request: {
            method: 'POST',
            header: [
              { key: 'Content-Type', value: 'application/json' },
              { key: 'Idempotency-Key', value: '{{$guid}}' },
            ],
            body: {
              mode: 'raw',
              raw: '{\n  "email": "ada@example.com",\n  "name": "Ada",\n  "age": {{age}},\n  "vip": true,\n  "score": 4.5,\n  "tags": ["a"],\n  "address": { "city": "Paris" }\n}',
              options: { raw: { language: 'json' } },
            },
            url: '{{baseUrl}}/customers',
          },
        },
        {
          name: 'Notes',
          item: [
            {
              name: 'Add note',
              request: {
                method: 'POST',
                url: '{{baseUrl}}/customers/{{customerId}}/notes',
                body: {
                  mode: 'urlencoded',
                  urlencoded: [
                    { key: 'text', value: 'Hello' },
                    { key: 'pinned', value: 'true', disabled: true },
                  ],
                },
              },
            },
          ],
        },
      ],
    },
    {
      name: 'Health check',
      request: { method: 'GET', auth: { type: 'noauth' }, url: '{{baseUrl}}/health' },
    },
    { name: 'Broken', request: { method: 'GET' } },
    { name: 'Weird', request: { method: 'PROPFIND', url: '{{baseUrl}}/x' } },
    42,
  ],
};

/** Absolute URLs sharing a prefix; bearer, request-level basic and folder-level OAuth 2.0. */
const shop = {
  info: { name: 'Shop Orders (v1)', schema: V21 },
  auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{accessToken}}', type: 'string' }] },
  item: [
    {
      name: 'Orders',
      item: [
        {
          name: 'List orders',
          request: {
            method: 'GET',
            url: {
              raw: 'https://Shop.Example.com/api/v1/orders?status=open&tag=a&tag=b&page=1',
              protocol: 'https',
              host: ['Shop', 'Example', 'com'],
              path: ['api', 'v1', 'orders'],
              query: [
                { key: 'status', value: 'open' },
                { key: 'tag', value: 'a' },
                { key: 'tag', value: 'b' },
                { key: 'page', value: '1', disabled: true },
              ],
            },
          },
        },
        {
          name: 'Get order',
          request: {
            method: 'get',
            url: 'https://shop.example.com/api/v1/orders/:orderId?expand=items',
          },
        },
        {
          name: 'Refund order',
          request: {
            method: 'POST',
            header: [{ key: 'X-Request-Id', value: '{{$guid}}', disabled: true }],
            url: 'https://shop.example.com/api/v1/orders/{{orderId}}/refunds',
            body: { mode: 'raw', raw: '[{"line": 1, "amount": 10}]' },
          },
        },
        {
          name: 'Get order',
          description: 'Same name twice',
          request: {
            method: 'GET',
            url: 'https://shop.example.com/api/v1/orders/:orderId/items/:id',
            auth: {
              type: 'basic',
              basic: [
                { key: 'username', value: 'u' },
                { key: 'password', value: 'p' },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'Admin',
      auth: {
        type: 'oauth2',
        oauth2: [
          { key: 'grant_type', value: 'client_credentials' },
          { key: 'accessTokenUrl', value: 'https://auth.example.com/oauth/token' },
          { key: 'scope', value: 'orders:read orders:write' },
          { key: 'client_authentication', value: 'body' },
        ],
      },
      item: [
        {
          name: '[Deprecated] Purge orders',
          request: { method: 'DELETE', url: 'https://shop.example.com/api/v1/admin/orders' },
        },
        {
          name: 'Token',
          request: { method: 'POST', url: 'https://auth.example.com/oauth/token' },
        },
        {
          name: 'Digest thing',
          request: {
            method: 'GET',
            auth: { type: 'digest', digest: [] },
            url: 'https://shop.example.com/api/v1/digest',
          },
        },
      ],
    },
  ],
};

/** As the Postman API returns it: wrapped, v2.0 auth objects, a templated host, odd bodies. */
const zendesk = {
  collection: {
    info: { name: 'Zendesk Support', schema: V20 },
    variable: [{ key: 'base_url', value: 'https://{{subdomain}}.zendesk.com/api/v2' }],
    auth: { type: 'apikey', apikey: { key: 'api_key', value: '{{token}}', in: 'query' } },
    item: [
      {
        name: 'Upload attachment',
        request: {
          method: 'POST',
          header: 'X-Tenant: acme\nContent-Type: multipart/form-data',
          url: '{{base_url}}/uploads.json?api_key={{token}}&filename=a.png',
          body: {
            mode: 'formdata',
            formdata: [
              { key: 'file', type: 'file', src: 'a.png' },
              { key: 'note', value: 'hi', type: 'text' },
            ],
          },
        },
      },
      {
        name: 'Search',
        request: {
          method: 'POST',
          url: '{{base_url}}/search',
          body: { mode: 'graphql', graphql: { query: '{ a }' } },
        },
      },
      {
        name: 'Ticket XML',
        request: {
          method: 'PUT',
          url: '{{base_url}}/tickets/:ticket_id.xml',
          body: { mode: 'raw', raw: '<t/>', options: { raw: { language: 'xml' } } },
        },
      },
      {
        name: 'Ticket',
        request: {
          method: 'PATCH',
          url: '{{base_url}}/tickets/:id',
          body: { mode: 'raw', raw: '{"id": 1, "subject": "x"}' },
        },
      },
    ],
  },
};

describe('extractPostman', () => {
  it('reads variables, nested folders, path variables, query, headers and bodies', () => {
    const result = extract(crm);
    expect(result.document).toEqual({
      weftConnector: 1,
      connector: {
        slug: 'acme-crm-api',
        name: 'Acme CRM API',
        description: 'CRM of Acme',
        visibility: 'private',
        baseUrl: 'https://api.acme.test/v2',
        serverVariables: {},
        // The public health check's noauth does not add a "none" beside a real method.
        authMethods: [{ key: 'api_key', type: 'api_key', in: 'header', name: 'X-Api-Key' }],
      },
      actions: [
        {
          slug: 'listCustomers',
          name: 'List customers',
          method: 'GET',
          path: '/customers',
          parameters: [
            { name: 'limit', in: 'query', required: true, schema: { type: 'integer' } },
            {
              name: 'starting_after',
              in: 'query',
              required: false,
              description: 'Cursor from the previous page',
              schema: str,
            },
          ],
          bodyType: 'json',
          outputSchema: {
            type: 'object',
            properties: {
              data: {
                type: 'array',
                items: { type: 'object', properties: { id: str, email: str } },
              },
              has_more: { type: 'boolean' },
            },
          },
          tags: ['Customers'],
          deprecated: false,
        },
        {
          slug: 'getCustomer',
          name: 'Get customer',
          method: 'GET',
          path: '/customers/{id}',
          parameters: [
            { name: 'id', in: 'path', required: true, description: 'Customer id', schema: str },
          ],
          bodyType: 'json',
          tags: ['Customers'],
          deprecated: false,
        },
        {
          slug: 'createCustomer',
          name: 'Create customer',
          method: 'POST',
          path: '/customers',
          parameters: [
            { name: 'Idempotency-Key', in: 'header', required: true, schema: str },
            { name: 'email', in: 'body', required: false, schema: str },
            { name: 'name', in: 'body', required: false, schema: str },
            // An unquoted {{variable}} in the example says nothing about its type.
            { name: 'age', in: 'body', required: false, schema: {} },
            { name: 'vip', in: 'body', required: false, schema: { type: 'boolean' } },
            { name: 'score', in: 'body', required: false, schema: { type: 'number' } },
            {
              name: 'tags',
              in: 'body',
              required: false,
              schema: { type: 'array', items: str },
            },
            {
              name: 'address',
              in: 'body',
              required: false,
              schema: { type: 'object', properties: { city: str } },
            },
          ],
          bodyType: 'json',
          tags: ['Customers'],
          deprecated: false,
        },
        {
          slug: 'addNote',
          name: 'Add note',
          method: 'POST',
          path: '/customers/{customerId}/notes',
          parameters: [
            { name: 'customerId', in: 'path', required: true, schema: str },
            { name: 'text', in: 'body', required: true, schema: str },
            { name: 'pinned', in: 'body', required: false, schema: { type: 'boolean' } },
          ],
          bodyType: 'form',
          tags: ['Customers', 'Notes'],
          deprecated: false,
        },
        {
          slug: 'healthCheck',
          name: 'Health check',
          method: 'GET',
          path: '/health',
          parameters: [],
          bodyType: 'json',
          tags: [],
          deprecated: false,
        },
      ],
      events: [],
    });
    expect(result.warnings).toEqual([
      { path: '/item/4', reason: 'not an object; skipped' },
      { path: '/item/2/request/url', reason: 'request without a URL; skipped' },
      { path: '/item/3/request/method', reason: 'method PROPFIND is not supported; skipped' },
    ]);
    expect(result.stats).toEqual({ operations: 7, actions: 5, events: 0, schemas: 0 });
    expect(result.entities).toEqual([]);
    expect(result.ranking.map((r) => r.slug)).toEqual([
      'listCustomers',
      'healthCheck',
      'getCustomer',
      'createCustomer',
      'addNote',
    ]);
  });

  it('takes the base URL from the common prefix and gathers auth from every level', () => {
    const result = extract(shop);
    expect(result.document.connector).toEqual({
      slug: 'shop-orders-v1',
      name: 'Shop Orders (v1)',
      visibility: 'private',
      baseUrl: 'https://shop.example.com/api/v1',
      serverVariables: {},
      authMethods: [
        { key: 'bearer', type: 'bearer' },
        { key: 'basic', type: 'basic' },
        {
          key: 'oauth2',
          type: 'oauth2',
          grant: 'client_credentials',
          tokenUrl: 'https://auth.example.com/oauth/token',
          scopes: ['orders:read', 'orders:write'],
          scopeSeparator: ' ',
          pkce: false,
          tokenAuth: 'post',
          refreshAheadSeconds: 60,
        },
      ],
    });
    expect(result.document.actions).toEqual([
      {
        slug: 'listOrders',
        name: 'List orders',
        method: 'GET',
        path: '/orders',
        parameters: [
          { name: 'status', in: 'query', required: true, schema: str },
          { name: 'tag', in: 'query', required: true, schema: { type: 'array', items: str } },
          { name: 'page', in: 'query', required: false, schema: { type: 'integer' } },
        ],
        bodyType: 'json',
        tags: ['Orders'],
        deprecated: false,
      },
      {
        slug: 'getOrder',
        name: 'Get order',
        method: 'GET',
        path: '/orders/{orderId}',
        parameters: [
          { name: 'orderId', in: 'path', required: true, schema: str },
          { name: 'expand', in: 'query', required: true, schema: str },
        ],
        bodyType: 'json',
        tags: ['Orders'],
        deprecated: false,
      },
      {
        slug: 'refundOrder',
        name: 'Refund order',
        method: 'POST',
        path: '/orders/{orderId}/refunds',
        parameters: [
          { name: 'orderId', in: 'path', required: true, schema: str },
          { name: 'X-Request-Id', in: 'header', required: false, schema: str },
          {
            name: 'body',
            in: 'body',
            required: true,
            whole: true,
            schema: {
              type: 'array',
              items: {
                type: 'object',
                properties: { line: { type: 'integer' }, amount: { type: 'integer' } },
              },
            },
          },
        ],
        bodyType: 'json',
        tags: ['Orders'],
        deprecated: false,
      },
      {
        slug: 'getOrder2',
        name: 'Get order',
        description: 'Same name twice',
        method: 'GET',
        path: '/orders/{orderId}/items/{id}',
        parameters: [
          { name: 'orderId', in: 'path', required: true, schema: str },
          { name: 'id', in: 'path', required: true, schema: str },
        ],
        bodyType: 'json',
        tags: ['Orders'],
        deprecated: false,
      },
      {
        slug: 'deprecatedPurgeOrders',
        name: '[Deprecated] Purge orders',
        method: 'DELETE',
        path: '/admin/orders',
        parameters: [],
        bodyType: 'json',
        tags: ['Admin'],
        deprecated: true,
      },
      {
        slug: 'digestThing',
        name: 'Digest thing',
        method: 'GET',
        path: '/digest',
        parameters: [],
        bodyType: 'json',
        tags: ['Admin'],
        deprecated: false,
      },
    ]);
    expect(result.warnings).toEqual([
      {
        path: '/item/1/item/2/request/auth',
        reason: 'auth type digest is not supported; add it as a custom auth method',
      },
      {
        path: '/item/1/item/1/request/url',
        reason: 'URL is outside the base URL https://shop.example.com/api/v1; skipped',
      },
    ]);
    expect(result.ranking.at(-1)).toEqual({
      slug: 'deprecatedPurgeOrders',
      score: -3.5,
      reasons: ['deletes a record', 'deprecated'],
    });
  });

  it('unwraps an API response, reads v2.0 auth and turns an unset host variable into a server variable', () => {
    const result = extract(zendesk);
    expect(result.document.connector).toEqual({
      slug: 'zendesk-support',
      name: 'Zendesk Support',
      visibility: 'private',
      baseUrl: 'https://{subdomain}.zendesk.com/api/v2',
      serverVariables: { subdomain: { default: '' } },
      authMethods: [{ key: 'api_key', type: 'api_key', in: 'query', name: 'api_key' }],
    });
    expect(
      result.document.actions.map(({ slug, method, path, parameters, bodyType }) => ({
        slug,
        method,
        path,
        parameters,
        bodyType,
      })),
    ).toEqual([
      {
        slug: 'uploadAttachment',
        method: 'POST',
        path: '/uploads.json',
        // The API key in the query is the auth method's, not an input.
        parameters: [
          { name: 'filename', in: 'query', required: true, schema: str },
          { name: 'X-Tenant', in: 'header', required: true, schema: str },
          { name: 'note', in: 'body', required: true, schema: str },
        ],
        bodyType: 'form',
      },
      {
        slug: 'search',
        method: 'POST',
        path: '/search',
        parameters: [
          { name: 'query', in: 'body', required: true, schema: str },
          { name: 'variables', in: 'body', required: false, schema: { type: 'object' } },
        ],
        bodyType: 'json',
      },
      {
        slug: 'ticketXml',
        method: 'PUT',
        path: '/tickets/{ticket_id}.xml',
        parameters: [{ name: 'ticket_id', in: 'path', required: true, schema: str }],
        bodyType: 'json',
      },
      {
        slug: 'ticket',
        method: 'PATCH',
        path: '/tickets/{id}',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: str },
          {
            name: 'body_id',
            in: 'body',
            wireName: 'id',
            required: false,
            schema: { type: 'integer' },
          },
          { name: 'subject', in: 'body', required: false, schema: str },
        ],
        bodyType: 'json',
      },
    ]);
    expect(result.warnings).toEqual([
      {
        path: '/collection/item/0/request/url',
        reason:
          "the base URL uses {{subdomain}}, which the collection gives no value; set it in each connection's config",
      },
      {
        path: '/collection/item/0/request/body/formdata/0',
        reason: 'file fields are not supported; skipped',
      },
      {
        path: '/collection/item/0/request/body',
        reason: 'multipart form-data is sent as application/x-www-form-urlencoded',
      },
      {
        path: '/collection/item/2/request/body',
        reason:
          'raw xml bodies are not supported (actions send JSON or form bodies); the action has no body input',
      },
    ]);
  });

  it('produces actions the engine turns into the requests the collection describes', () => {
    const document = extract(zendesk).document;
    const base = resolveBaseUrl({
      baseUrl: document.connector.baseUrl ?? null,
      serverVariables: document.connector.serverVariables,
      values: { subdomain: 'acme' },
    });
    const stored = (action: ActionInput | undefined) => ({
      ...action!,
      id: '00000000-0000-4000-8000-000000000001',
      connectorId: '00000000-0000-4000-8000-000000000002',
      inputSchema: deriveInputSchema(action!),
      createdAt: '',
      updatedAt: '',
    });
    const patch = buildActionRequest({
      action: stored(document.actions.find((a) => a.slug === 'ticket')),
      base,
      input: { id: 'T/1', body_id: 7, subject: 'Hi' },
    });
    expect(patch.url.href).toBe('https://acme.zendesk.com/api/v2/tickets/T%2F1');
    expect(JSON.parse(patch.body ?? '')).toEqual({ id: 7, subject: 'Hi' });

    const orders = extract(shop).document;
    const list = buildActionRequest({
      action: stored(orders.actions[0]),
      base: new URL(`${orders.connector.baseUrl}/`),
      input: { status: 'open', tag: ['a', 'b'] },
    });
    expect(list.url.href).toBe('https://shop.example.com/api/v1/orders?status=open&tag=a&tag=b');
  });

  it('derives auth from headers a collection sends by hand, and omits a base URL it cannot find', () => {
    const result = extract({
      info: { name: 'Hand-made' },
      item: [
        {
          name: 'me',
          request: {
            url: '{{host}}/me?access_token={{t}}&fields=id',
            header: [
              { key: 'Authorization', value: 'Token {{token}}' },
              { key: 'X-API-Key', value: '{{key}}' },
              { key: 'X-Trace', value: '1', disabled: true },
            ],
          },
        },
      ],
    });
    expect(result.document.connector.baseUrl).toBeUndefined();
    expect(result.document.connector.authMethods).toEqual([
      { key: 'api_key', type: 'api_key', in: 'header', name: 'Authorization', prefix: 'Token ' },
      { key: 'api_key_2', type: 'api_key', in: 'header', name: 'X-API-Key' },
      { key: 'api_key_3', type: 'api_key', in: 'query', name: 'access_token' },
    ]);
    expect(result.document.actions[0]).toMatchObject({
      slug: 'me',
      method: 'GET',
      path: '/me',
      parameters: [
        { name: 'fields', in: 'query', required: true, schema: str },
        { name: 'X-Trace', in: 'header', required: false, schema: str },
      ],
    });
    expect(result.warnings).toEqual([
      {
        path: '/item/0/request/url',
        reason:
          'no absolute http(s) base URL found (requests start with "{{host}}"); set baseUrl on the connector',
      },
    ]);
  });

  it('reads OAuth 2.0 authorization code with PKCE and declares none for an explicitly open API', () => {
    const oauth = extract({
      info: { name: 'Calendar' },
      variable: [{ key: 'url', value: 'https://cal.example.com' }],
      auth: {
        type: 'oauth2',
        oauth2: [
          { key: 'grant_type', value: 'authorization_code_with_pkce' },
          { key: 'authUrl', value: '{{url}}/oauth/authorize' },
          { key: 'accessTokenUrl', value: '{{url}}/oauth/token' },
          { key: 'scope', value: 'calendar.read' },
        ],
      },
      item: [{ name: 'Events', request: { url: '{{url}}/events' } }],
    });
    expect(oauth.document.connector.authMethods).toEqual([
      {
        key: 'oauth2',
        type: 'oauth2',
        grant: 'authorization_code',
        authorizeUrl: 'https://cal.example.com/oauth/authorize',
        tokenUrl: 'https://cal.example.com/oauth/token',
        scopes: ['calendar.read'],
        scopeSeparator: ' ',
        pkce: true,
        tokenAuth: 'basic',
        refreshAheadSeconds: 60,
      },
    ]);
    expect(oauth.document.connector.baseUrl).toBe('https://cal.example.com');
    expect(oauth.document.actions[0]?.path).toBe('/events');

    const open = extract({
      info: { name: 'Open data' },
      auth: { type: 'noauth' },
      item: [{ name: 'x', request: 'https://data.example.org/x' }],
    });
    expect(open.document.connector.authMethods).toEqual([{ key: 'none', type: 'none' }]);
    expect(open.warnings).toEqual([]);
  });

  it('makes slugs valid and unique and keeps colliding parameter names apart', () => {
    const result = extract({
      info: { name: '42 Crée — API!' },
      item: [
        { name: 'Créer un client', request: { method: 'POST', url: 'https://x.test/a' } },
        { name: '2FA: enable', request: { method: 'POST', url: 'https://x.test/b' } },
        { name: '!!!', request: { method: 'DELETE', url: 'https://x.test/items/:id' } },
        { name: '', request: { method: 'DELETE', url: 'https://x.test/items/:id' } },
        {
          name: 'x'.repeat(300),
          request: {
            method: 'POST',
            url: 'https://x.test/items/{{id}}/a b?id=1',
            header: [{ key: 'id', value: '2' }],
            body: { mode: 'raw', raw: '{"id": 3}' },
          },
        },
      ],
    });
    expect(result.document.connector.slug).toBe('cree-api');
    // Compatibility characters decompose to capitals (㎴ is "pV"); slugs stay lowercase.
    expect(extract({ info: { name: '㎴ meter' }, item: [] }).document.connector.slug).toBe(
      'pv-meter',
    );
    const actions = result.document.actions;
    expect(actions.map((a) => a.slug)).toEqual([
      'creerUnClient',
      'faEnable',
      'deleteItems',
      'deleteItemsId',
      'x'.repeat(100),
    ]);
    expect(actions[3]?.name).toBe('DELETE /items/{id}');
    expect(actions[4]?.name).toHaveLength(200);
    expect(actions[4]?.path).toBe('/items/{id}/a%20b');
    expect(actions[4]?.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: str },
      {
        name: 'query_id',
        wireName: 'id',
        in: 'query',
        required: true,
        schema: { type: 'integer' },
      },
      { name: 'header_id', wireName: 'id', in: 'header', required: true, schema: str },
      { name: 'body_id', wireName: 'id', in: 'body', required: false, schema: { type: 'integer' } },
    ]);
  });

  it('refuses what is not a v2 collection with a clear error', () => {
    const fail = (collection: unknown) => () => extractPostman({ collection, warnings: [] });
    expect(fail(null)).toThrow('not a Postman Collection v2.1: expected a JSON object');
    expect(fail([])).toThrow(AppError);
    expect(fail({ info: {}, requests: [] })).toThrow(/v1 collection; export it/);
    expect(fail({ openapi: '3.1.0' })).toThrow(
      'not a Postman Collection v2.1: it has no "item" array',
    );
  });

  it('keeps at most the shared number of warnings', () => {
    const item = Array.from({ length: MAX_WARNINGS + 50 }, () => 'junk');
    const result = extract({ info: { name: 'noisy' }, item });
    expect(result.warnings).toHaveLength(MAX_WARNINGS + 1);
    // 50 skipped items plus the missing auth and base URL.
    expect(result.warnings.at(-1)).toEqual({ path: '', reason: '52 more warnings not shown' });
  });

  it('stops at deeply nested folders and cyclic variables without hanging', () => {
    let item: unknown[] = [{ name: 'leaf', request: 'https://x.test/leaf' }];
    for (let i = 0; i < 200; i++) item = [{ name: `f${i}`, item }];
    const deep = extract({
      info: { name: 'deep' },
      variable: [
        { key: 'a', value: '{{b}}{{b}}' },
        { key: 'b', value: '{{a}}{{a}}' },
      ],
      item: [...item, { name: 'loop', request: `{{a}}/${'{{'.repeat(50_000)}` }],
    });
    expect(deep.warnings.some((w) => w.reason.includes('nested deeper than 32'))).toBe(true);
    expect(deep.document.actions.length).toBeLessThanOrEqual(1);
  });
});

describe('extractPostman on arbitrary input', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 10 }),
    fc.constantFrom(
      '{{baseUrl}}',
      '{{baseUrl}}/a/:id',
      ':id',
      '{{id}}',
      '{x}',
      'https://api.x.test/v1',
      'http://',
      'https://{{sub}}.x.test',
      '{',
      '}}',
      '?a=1&a=2&b',
      '%zz',
      '\ud800',
      '',
      ' ',
      '__proto__',
      'constructor',
    ),
  );
  const garbage = fc.oneof(text, fc.anything({ maxDepth: 2 }));
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, garbage);
  const entry = fc.record(
    {
      key: maybe(text),
      value: maybe(text),
      disabled: maybe(fc.boolean()),
      description: garbage,
      type: fc.constantFrom('text', 'file'),
    },
    { requiredKeys: [] },
  );
  const url = fc.oneof(
    text,
    fc.record(
      {
        raw: maybe(text),
        protocol: maybe(fc.constantFrom('https', 'http', 'ftp')),
        host: maybe(fc.array(text, { maxLength: 3 })),
        port: garbage,
        path: maybe(fc.array(fc.oneof(text, fc.record({ value: text })), { maxLength: 4 })),
        query: maybe(fc.array(entry, { maxLength: 3 })),
        variable: maybe(fc.array(entry, { maxLength: 2 })),
      },
      { requiredKeys: [] },
    ),
  );
  const attributes = fc.array(
    fc.record({
      key: fc.constantFrom(
        'key',
        'in',
        'value',
        'accessTokenUrl',
        'authUrl',
        'scope',
        'grant_type',
        'client_authentication',
        'addTokenTo',
      ),
      value: maybe(
        fc.constantFrom(
          'https://a.test/token',
          'client_credentials',
          'implicit',
          'authorization_code',
          'body',
          'query',
          'queryParams',
          'X-Key',
        ),
      ),
    }),
    { maxLength: 5 },
  );
  const auth = maybe(
    fc.record(
      {
        type: maybe(
          fc.constantFrom('apikey', 'basic', 'bearer', 'oauth2', 'noauth', 'digest', 'inherit'),
        ),
        apikey: maybe(attributes),
        oauth2: maybe(attributes),
        bearer: maybe(attributes),
      },
      { requiredKeys: [] },
    ),
  );
  const body = fc.record(
    {
      mode: maybe(fc.constantFrom('raw', 'urlencoded', 'formdata', 'graphql', 'file')),
      raw: maybe(fc.oneof(text, fc.json({ maxDepth: 3 }))),
      options: maybe(
        fc.record({ raw: fc.record({ language: maybe(fc.constantFrom('json', 'xml')) }) }),
      ),
      urlencoded: maybe(fc.array(entry, { maxLength: 3 })),
      formdata: maybe(fc.array(entry, { maxLength: 3 })),
      disabled: maybe(fc.boolean()),
    },
    { requiredKeys: [] },
  );
  const request = fc.oneof(
    text,
    fc.record(
      {
        method: maybe(fc.constantFrom('GET', 'post', 'PATCH', 'PROPFIND', 'HEAD')),
        url,
        header: maybe(fc.oneof(text, fc.array(entry, { maxLength: 3 }))),
        body: maybe(body),
        auth,
        description: garbage,
      },
      { requiredKeys: [] },
    ),
  );
  const { item } = fc.letrec<{ item: unknown }>((tie) => ({
    item: fc.oneof(
      { depthSize: 'small' },
      fc.record(
        {
          name: maybe(text),
          request,
          response: maybe(
            fc.array(
              fc.record({ code: maybe(fc.constantFrom(200, 201, 404)), body: maybe(fc.json()) }),
              { maxLength: 2 },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
      fc.record(
        { name: maybe(text), item: fc.array(tie('item'), { maxLength: 4 }), auth },
        { requiredKeys: [] },
      ),
      garbage,
    ),
  }));
  const collection = fc.record(
    {
      info: maybe(
        fc.record(
          { name: maybe(text), schema: maybe(text), description: garbage },
          { requiredKeys: [] },
        ),
      ),
      item: fc.array(item, { maxLength: 6 }),
      variable: maybe(
        fc.array(
          fc.record(
            {
              key: maybe(fc.constantFrom('baseUrl', 'base_url', 'url', 'id', 'sub')),
              value: maybe(text),
              disabled: maybe(fc.boolean()),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
      ),
      auth,
    },
    { requiredKeys: ['item'] },
  );

  /** What importing a document checks beyond its schema (connectors.service checkAction). */
  function expectImportable(result: ImportResult): void {
    ConnectorDocumentSchema.parse(result.document);
    for (const action of result.document.actions) {
      const names = action.parameters.map((p) => p.name);
      expect(new Set(names).size).toBe(names.length);
      for (const m of action.path.matchAll(/\{([^}]+)\}/g)) {
        expect(
          action.parameters.some((p) => p.in === 'path' && (p.wireName ?? p.name) === m[1]),
        ).toBe(true);
      }
      expect(action.parameters.filter((p) => p.whole === true).length).toBeLessThanOrEqual(1);
    }
    for (const w of result.warnings) expect(w.path).toMatch(/^(\/|$)/);
    expect(result.ranking.map((r) => r.slug).sort()).toEqual(
      result.document.actions.map((a) => a.slug).sort(),
    );
  }

  function run(input: unknown): void {
    let result: ImportResult;
    try {
      result = extractPostman({ collection: input, warnings: [] });
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('validation_failed');
      expect((error as AppError).message).toMatch(/^not a Postman Collection v2\.1: /);
      return;
    }
    expectImportable(result);
  }

  it('never throws anything but a clear error on garbage', () => {
    fc.assert(fc.property(fc.anything(), run), { numRuns: 400 });
  });

  it('turns any partial collection into an importable document', () => {
    fc.assert(fc.property(collection, run), { numRuns: 400 });
  });
});
