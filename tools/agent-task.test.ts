// The task an IDE agent was given ("connect our customer with their API key, list orders, map
// them to the canonical Order, give me a workflow that returns the latest orders"), scripted
// through the real MCP SDK client against a local API Weft has not seen. It must finish with
// no failed call except the one publish that is meant to be refused.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../test/connections.ts';
import { TEST_DRIVERS } from '../test/db.ts';

type CallResult = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
};

const API_KEY = 'shp_live_0123456789abcdef';

const ORDERS = [
  {
    id: 1001,
    number: 'SO-1001',
    status: 'processing',
    currency: 'USD',
    total: '119.98',
    subtotal: '109.98',
    tax: '10.00',
    placed_at: '2026-03-01T10:15:00+01:00',
    customer: { id: 'c_7', email: 'ada@example.com' },
    line_items: [
      { sku: 'MUG-1', quantity: 2, unit_price: '24.99' },
      { sku: 'TEE-9', quantity: 3, unit_price: '20.00' },
    ],
  },
  {
    id: 1002,
    number: 'SO-1002',
    status: 'canceled',
    currency: 'JPY',
    total: '5400',
    subtotal: '5000',
    tax: '400',
    placed_at: '2026-03-02T08:00:00Z',
    customer: { id: 'c_9', email: 'grace@example.com' },
    line_items: [{ sku: 'CUP-3', quantity: 1, unit_price: '5000' }],
  },
];

/** Only `Authorization: Token <key>` opens the API, as its docs (and only its docs) say. */
function api(request: IncomingMessage, response: ServerResponse): void {
  const send = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  if (request.headers.authorization !== `Token ${API_KEY}`)
    return send(401, { error: 'invalid_token', detail: 'expected Authorization: Token <key>' });
  const url = new URL(request.url ?? '/', 'http://x');
  if (url.pathname === '/orders') return send(200, { data: ORDERS, next_cursor: null });
  const one = /^\/orders\/(\d+)$/.exec(url.pathname);
  const found = ORDERS.find((o) => String(o.id) === one?.[1]);
  if (found) return send(200, found);
  return send(404, { error: 'not_found' });
}

function specFor(baseUrl: string): string {
  return JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Shopline', version: '1.0' },
    servers: [{ url: baseUrl }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: {
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'Send your key in every request as `Authorization: Token <your key>`.',
        },
      },
      schemas: {
        Customer: {
          type: 'object',
          properties: { id: { type: 'string' }, email: { type: 'string', format: 'email' } },
        },
        LineItem: {
          type: 'object',
          properties: {
            sku: { type: 'string' },
            quantity: { type: 'integer' },
            unit_price: { type: 'string', description: 'Decimal amount' },
          },
        },
        Order: {
          type: 'object',
          properties: {
            id: { type: 'integer' },
            number: { type: 'string' },
            status: { type: 'string', enum: ['new', 'processing', 'shipped', 'canceled'] },
            currency: { type: 'string' },
            total: { type: 'string', description: 'Decimal amount' },
            subtotal: { type: 'string' },
            tax: { type: 'string' },
            placed_at: { type: 'string', format: 'date-time' },
            customer: { $ref: '#/components/schemas/Customer' },
            line_items: { type: 'array', items: { $ref: '#/components/schemas/LineItem' } },
          },
        },
        OrderList: {
          type: 'object',
          properties: {
            data: { type: 'array', items: { $ref: '#/components/schemas/Order' } },
            next_cursor: { type: 'string', nullable: true },
          },
        },
      },
    },
    paths: {
      '/orders': {
        get: {
          operationId: 'listOrders',
          summary: 'List orders',
          parameters: [
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer' } },
          ],
          responses: {
            '200': {
              description: 'Orders',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/OrderList' } },
              },
            },
          },
        },
      },
      '/orders/{id}': {
        get: {
          operationId: 'getOrder',
          summary: 'Get an order',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
          responses: {
            '200': {
              description: 'An order',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
            },
          },
        },
        delete: {
          operationId: 'deleteOrder',
          summary: 'Delete an order',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
          responses: { '204': { description: 'Deleted' } },
        },
      },
    },
  });
}

const WRONG_WORKFLOW = `export default async (ctx) => {
  const res = await ctx.connectors.shopline.listOrders({});
  return ctx.cdm.toCanonical('shopline', 'Order', res.body.data[0]);
};
`;

const FIXED_WORKFLOW = `export default async (ctx) => {
  const res = await ctx.connectors.shopline.listOrders({});
  if (!res.ok) throw new Error(\`listOrders answered \${res.status}\`);
  const orders = [];
  for (const record of res.body.data)
    orders.push(await ctx.cdm.toCanonical({ connector: 'shopline', entity: 'Order', record }));
  return { orders };
};
`;

describe.each(TEST_DRIVERS)('an agent finishes the orders task through MCP (%s)', (driver) => {
  let h: ConnectionsHarness;
  let apiServer: Server;
  let apiUrl: string;
  let client: Client;
  const calls: { name: string; failed: boolean }[] = [];

  const call = async (name: string, args: Record<string, unknown>): Promise<CallResult> => {
    const result = (await client.callTool({ name, arguments: args })) as CallResult;
    calls.push({ name, failed: result.isError === true });
    return result;
  };
  const ok = async (name: string, args: Record<string, unknown>) => {
    const result = await call(name, args);
    expect(result.isError, `${name}: ${result.content.map((c) => c.text).join(' ')}`).toBeFalsy();
    return result.structuredContent ?? {};
  };

  beforeAll(async () => {
    apiServer = createServer(api);
    await new Promise<void>((resolve) => apiServer.listen(0, '127.0.0.1', resolve));
    const { port } = apiServer.address() as AddressInfo;
    apiUrl = `http://127.0.0.1:${port}`;
    h = await startConnectionsHarness(driver, {
      env: { WEFT_SSRF_TEST_ALLOWLIST: `127.0.0.1:${port}` },
    });
    client = new Client({ name: 'ide-agent', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${h.weftUrl}/mcp/admin?toolsets=all`), {
        requestInit: { headers: { 'x-fastn-api-key': h.org.liveKey } },
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await client.close();
    await h.close();
    await new Promise<void>((resolve) => apiServer.close(() => resolve()));
  });

  it('import → connect → test → suggest → preview live → save → workflow refused, fixed, run', async () => {
    // The docs an agent reads first.
    const helpers = await client.readResource({ uri: 'weft://docs/mapping-helpers' });
    expect(JSON.stringify(helpers.contents)).toContain('$toMinor(amount');
    const ctxDoc = await client.readResource({ uri: 'weft://docs/workflow-ctx' });
    expect(JSON.stringify(ctxDoc.contents)).toContain('interface WorkflowContext');

    // The spec is handed over once and imported by id.
    const spec = await ok('create_spec', { text: specFor(apiUrl), name: 'shopline.json' });
    const imported = await ok('import_openapi', { specId: spec['specId'], slug: 'shopline' });
    const connector = imported['connector'] as {
      authMethods: { type: string; in?: string; name?: string; prefix?: string }[];
    };
    // The prefix comes from the scheme's prose, not a guess.
    expect(connector.authMethods[0]).toMatchObject({
      type: 'api_key',
      in: 'header',
      name: 'Authorization',
      prefix: 'Token ',
    });
    const actions = (await ok('list_actions', { connector: 'shopline' }))['data'] as {
      slug: string;
      method: string;
    }[];
    const list = actions.find((a) => a.method === 'GET' && a.slug === 'listOrders');
    expect(list, JSON.stringify(actions)).toBeDefined();
    const listSlug = list?.slug ?? '';

    const customer = await ok('create_customer', { name: 'Acme', externalId: 'acme' });
    const connection = await ok('create_connection', {
      connector: 'shopline',
      customerId: customer['id'],
      credentials: { apiKey: API_KEY },
    });
    const tested = await ok('test_connection', { connectionId: connection['id'] });
    expect(tested['ok'], JSON.stringify(tested)).toBe(true);

    // Suggestions on the list action: item schema through $refs, nested fields, line items,
    // and expressions that convert money, dates and the enum.
    const suggested = await ok('suggest_mapping', {
      connector: 'shopline',
      action: listSlug,
      entity: 'Order',
    });
    const mapping = suggested['mapping'] as Record<string, string>;
    expect(suggested['recordPath'], JSON.stringify(suggested)).toBe('data[]');
    expect(Object.keys(mapping).length, JSON.stringify(mapping)).toBeGreaterThanOrEqual(12);
    expect(mapping['totalAmount']).toBe('$toMinor(total, currency)');
    expect(mapping['createdAt']).toBe('$toIso(placed_at)');
    expect(mapping['status']).toMatch(
      /^\$mapEnum\(status, \{.*"canceled":"cancelled".*\}, "other"\)$/,
    );
    expect(mapping['customerEmail']).toBe('customer.email');
    expect(mapping['lineItems[]']).toBe('line_items');
    expect(mapping['lineItems[].sku']).toBe('sku');
    expect(mapping['lineItems[].unitPrice']).toBe('$toMinor(unit_price, $record.currency)');
    expect(mapping['id']).toBe('$string(id)');

    // Preview on live records fetched through the connection: clean on every one.
    const preview = await ok('preview_mapping', {
      entity: 'Order',
      direction: 'to_canonical',
      fields: mapping,
      connectionId: connection['id'],
      action: listSlug,
    });
    const samples = preview['samples'] as { index: number; errors: unknown[] }[];
    expect(samples).toHaveLength(2);
    expect(samples.flatMap((s) => s.errors)).toEqual([]);
    expect(preview['warnings']).toEqual([]);

    await ok('save_mapping', {
      connector: 'shopline',
      entity: 'Order',
      direction: 'to_canonical',
      fields: mapping,
    });
    const saved = (await ok('list_mappings', { connector: 'shopline' }))['data'] as unknown[];
    expect(saved).toHaveLength(1);
    const read = await ok('get_mapping', { connector: 'shopline', entity: 'Order' });
    expect(read['fields']).toEqual(mapping);

    // A wrong ctx call is refused at publish, with its line and column, before anything runs.
    await ok('create_workflow', {
      name: 'Latest orders',
      slug: 'latest-orders',
      source: WRONG_WORKFLOW,
    });
    const refused = await call('publish_workflow', { workflow: 'latest-orders' });
    expect(refused.isError).toBe(true);
    const error = JSON.parse(refused.content[1]?.text ?? '{}') as {
      error: {
        code: string;
        message: string;
        details: { errors: { line: number; column: number }[] };
      };
    };
    expect(error.error.code).toBe('validation_failed');
    expect(error.error.message).toContain('line 3:');
    expect(error.error.details.errors[0]).toMatchObject({ line: 3 });
    expect(error.error.details.errors[0]?.column).toBeGreaterThan(1);

    await ok('update_workflow', { workflow: 'latest-orders', source: FIXED_WORKFLOW });
    await ok('publish_workflow', { workflow: 'latest-orders', deployTo: ['production'] });
    const ran = await ok('run_workflow', {
      workflow: 'latest-orders',
      customerId: customer['id'],
    });
    expect(ran['status'], JSON.stringify(ran)).toBe('completed');
    const orders = (ran['output'] as { orders: Record<string, unknown>[] }).orders;
    expect(orders[0]).toMatchObject({
      id: '1001',
      status: 'open',
      currency: 'USD',
      totalAmount: 11998,
      customerEmail: 'ada@example.com',
      createdAt: '2026-03-01T09:15:00.000Z',
      lineItems: [
        { sku: 'MUG-1', quantity: 2, unitPrice: 2499 },
        { sku: 'TEE-9', quantity: 3, unitPrice: 2000 },
      ],
    });
    expect(orders[1]).toMatchObject({ status: 'cancelled', currency: 'JPY', totalAmount: 5400 });

    // Only the deliberate publish check failed.
    expect(calls.filter((c) => c.failed).map((c) => c.name)).toEqual(['publish_workflow']);
  }, 120_000);

  it('a 401 names the placement used, with the trace and what the API said', async () => {
    // The same API imported without the prose: the key goes out with no prefix and is refused.
    const bare = JSON.parse(specFor(apiUrl)) as {
      components: { securitySchemes: { apiKey: { description?: string } } };
    };
    delete bare.components.securitySchemes.apiKey.description;
    const imported = await ok('import_openapi', {
      text: JSON.stringify(bare),
      slug: 'shopline_bare',
    });
    const warnings = imported['warnings'] as { reason: string }[];
    expect(warnings.map((w) => w.reason).join('\n')).toContain('scheme word');
    const connection = await ok('create_connection', {
      connector: 'shopline_bare',
      credentials: { apiKey: API_KEY },
    });
    const tested = await ok('test_connection', { connectionId: connection['id'] });
    expect(tested).toMatchObject({
      ok: false,
      status: 401,
      placement: 'header Authorization, no prefix',
    });
    expect(tested['traceId']).toEqual(expect.any(String));
    expect(tested['bodyExcerpt']).toContain('invalid_token');
    expect((tested['nextSteps'] as string[])[0]).toContain('header Authorization');

    const trace = await ok('get_trace', { traceId: tested['traceId'] });
    const span = (trace['data'] as { requestHeaders?: Record<string, string> }[])[0];
    expect(span?.requestHeaders?.['Authorization'] ?? span?.requestHeaders?.['authorization']).toBe(
      `****${API_KEY.slice(-4)}`,
    );
    // The secret is nowhere in the trace.
    expect(JSON.stringify(trace)).not.toContain(API_KEY);

    // With the prefixed connector, the trace keeps the scheme word and the last 4 only.
    const good = (await ok('list_connections', { connector: 'shopline' }))['data'] as {
      id: string;
    }[];
    const run = await ok('run_action', { connectionId: good[0]?.id, action: 'listOrders' });
    const goodTrace = await ok('get_trace', { traceId: run['traceId'] });
    const headers = (goodTrace['data'] as { requestHeaders?: Record<string, string> }[])[0]
      ?.requestHeaders;
    expect(headers?.['Authorization'] ?? headers?.['authorization']).toBe(
      `Token ****${API_KEY.slice(-4)}`,
    );
  }, 60_000);

  it('a refused URL says why, and how to hand the spec over instead', async () => {
    const refused = await call('import_openapi', { url: 'file:///home/me/spec.yaml' });
    expect(refused.isError).toBe(true);
    expect(refused.content[0]?.text).toContain('upload_spec { path }');
    // A private address names the guard that refused it and what to do instead.
    const internal = await call('import_openapi', { url: 'http://10.1.2.3/openapi.json' });
    expect(internal.isError).toBe(true);
    expect(internal.content[0]?.text).toMatch(/SSRF guard refused http:\/\/10\.1\.2\.3.*private/);
    expect(internal.content[0]?.text).toContain('create_spec');
  });

  it("the customer's gateway offers GET actions until chosen, and workflows as tools", async () => {
    const customers = (await ok('list_customers', {}))['data'] as { id: string }[];
    const customerId = customers[0]?.id ?? '';
    const gateway = new Client({ name: 'customer-agent', version: '1' });
    await gateway.connect(
      new StreamableHTTPClientTransport(
        new URL(`${h.weftUrl}/mcp/gateway?customer_id=${customerId}`),
        { requestInit: { headers: { 'x-fastn-api-key': h.org.liveKey } } },
      ),
    );
    try {
      const before = (await gateway.listTools()).tools.map((t) => t.name);
      expect(before).toContain('shopline__listOrders');
      expect(before).not.toContain('shopline__deleteOrder');

      const offer = await ok('update_gateway', {
        customerId,
        actions: { shopline: ['listOrders', 'deleteOrder'] },
        workflows: ['latest-orders'],
      });
      expect(offer['workflows']).toEqual([
        { workflow: 'latest-orders', tool: 'workflow__latest-orders' },
      ]);
      const after = (await gateway.listTools()).tools.map((t) => t.name);
      expect(after).toEqual(
        expect.arrayContaining(['shopline__deleteOrder', 'workflow__latest-orders']),
      );
      expect(after).not.toContain('shopline__getOrder');
      const ran = (await gateway.callTool({
        name: 'workflow__latest-orders',
        arguments: {},
      })) as CallResult;
      expect(ran.isError, JSON.stringify(ran.content)).toBeFalsy();
      expect(ran.structuredContent?.['status']).toBe('completed');
    } finally {
      await gateway.close();
    }
  }, 60_000);
});
