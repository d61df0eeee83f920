import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../test/connections.ts';
import { TEST_DRIVERS } from '../../test/db.ts';
import { systemTenant } from '../../server/domain/tenant.ts';
import { createConnectionRuntime } from '../../server/modules/connections/runtime.ts';
import { createGatewayServer, gatewayToolName } from './gateway.ts';

type CallResult = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
};

describe.each(TEST_DRIVERS)('customer gateway MCP server (%s)', (driver) => {
  let h: ConnectionsHarness;
  const customers: string[] = [];

  async function gateway(customerId: string, key = h.org.liveKey): Promise<Client> {
    const client = new Client({ name: 'customer-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(
        new URL(`${h.weftUrl}/mcp/gateway?customer_id=${customerId}`),
        { requestInit: { headers: { 'x-fastn-api-key': key } } },
      ),
    );
    return client;
  }

  beforeAll(async () => {
    h = await startConnectionsHarness(driver, {
      api: { rateLimitedCalls: 100, retryAfterSeconds: 120 },
    });
    const doc = {
      weftConnector: 1,
      connector: {
        slug: 'crm',
        name: 'CRM',
        baseUrl: h.fx.api.url,
        authMethods: [{ key: 'api_key', type: 'api_key', in: 'header', name: 'X-Api-Key' }],
      },
      actions: [
        {
          slug: 'whoAmI',
          name: 'Who am I',
          description: 'Returns the account the key belongs to',
          method: 'GET',
          path: '/me',
        },
        {
          slug: 'listItems',
          name: 'List items',
          description: 'Lists items in the CRM',
          method: 'GET',
          path: '/items/cursor',
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'string' } }],
        },
        { slug: 'slowDown', name: 'Rate limited', method: 'GET', path: '/rate-limited' },
      ],
    };
    expect(
      (await h.call({ method: 'POST', url: '/api/v1/connectors/import-definition', payload: doc }))
        .status,
    ).toBe(201);
    for (const name of ['Alpha', 'Beta']) {
      const c = await h.call<{ id: string }>({
        method: 'POST',
        url: '/api/v1/customers',
        payload: { name },
      });
      customers.push(c.body.id);
    }
    // Only Alpha connects the CRM.
    const conn = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { connector: 'crm', customerId: customers[0], credentials: { apiKey: 'key-123' } },
    });
    expect(conn.status).toBe(201);
  });
  afterAll(() => h.close());

  it('exposes the connected apps’ actions as <connector>__<action> tools, plus search and execute', async () => {
    const client = await gateway(customers[0] ?? '');
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([
        'crm__listItems',
        'crm__slowDown',
        'crm__whoAmI',
        'execute_tool',
        'search_tools',
      ]);
      const me = (await client.callTool({ name: 'crm__whoAmI', arguments: {} })) as CallResult;
      expect(me.isError).toBeFalsy();
      expect(me.structuredContent).toMatchObject({ status: 200, body: { scheme: 'api_key' } });
      const found = (await client.callTool({
        name: 'search_tools',
        arguments: { query: 'list items' },
      })) as CallResult;
      expect((found.structuredContent?.['tools'] as { name: string }[])[0]?.name).toBe(
        'crm__listItems',
      );
      const executed = (await client.callTool({
        name: 'execute_tool',
        arguments: { name: 'crm__listItems', arguments: { limit: '3' } },
      })) as CallResult;
      expect((executed.structuredContent?.['body'] as { data: unknown[] }).data).toHaveLength(3);
      const bad = (await client.callTool({
        name: 'crm__listItems',
        arguments: { limit: 3, nope: 1 },
      })) as CallResult;
      expect(bad.isError).toBe(true);
      expect(bad.content[0]?.text).toMatch(/^validation_failed/);
    } finally {
      await client.close();
    }
  });

  it('turns an API rate limit into a structured retry_after_seconds', async () => {
    const client = await gateway(customers[0] ?? '');
    try {
      const limited = (await client.callTool({
        name: 'crm__slowDown',
        arguments: {},
      })) as CallResult;
      expect(limited.isError).toBe(true);
      expect(JSON.parse(limited.content[1]?.text ?? '{}')).toMatchObject({
        error: { code: 'rate_limited', retry_after_seconds: 120 },
      });
    } finally {
      await client.close();
    }
  });

  it('a customer session sees and calls only that customer’s connections', async () => {
    const beta = await gateway(customers[1] ?? '');
    try {
      const { tools } = await beta.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['execute_tool', 'search_tools']);
      const stolen = (await beta.callTool({ name: 'crm__whoAmI', arguments: {} })) as CallResult;
      expect(stolen.isError).toBe(true);
      expect(stolen.content[0]?.text).toMatch(/no tool 'crm__whoAmI' for this customer/);
    } finally {
      await beta.close();
    }
    // A customer of another org, or no customer at all, is refused before any session exists.
    const other = await fetch(`${h.weftUrl}/mcp/gateway?customer_id=${crypto.randomUUID()}`, {
      method: 'POST',
      headers: {
        'x-fastn-api-key': h.org.liveKey,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'x', version: '1' },
        },
      }),
    });
    expect(other.status).toBe(404);
    const missing = await fetch(`${h.weftUrl}/mcp/gateway`, {
      method: 'POST',
      headers: { 'x-fastn-api-key': h.org.liveKey, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(missing.status).toBe(400);
  });

  it('exposes only the connectors chosen for the customer, when a selection is set', async () => {
    const second = {
      weftConnector: 1,
      connector: {
        slug: 'billing',
        name: 'Billing',
        baseUrl: h.fx.api.url,
        authMethods: [{ key: 'api_key', type: 'api_key', in: 'header', name: 'X-Api-Key' }],
      },
      actions: [{ slug: 'me', name: 'Me', method: 'GET', path: '/me' }],
    };
    expect(
      (
        await h.call({
          method: 'POST',
          url: '/api/v1/connectors/import-definition',
          payload: second,
        })
      ).status,
    ).toBe(201);
    await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: {
        connector: 'billing',
        customerId: customers[0],
        credentials: { apiKey: 'key-123' },
      },
    });
    const names = async () => {
      const client = await gateway(customers[0] ?? '');
      try {
        return (await client.listTools()).tools
          .map((t) => t.name)
          .filter((n) => n.includes('__'))
          .sort();
      } finally {
        await client.close();
      }
    };
    expect(await names()).toEqual([
      'billing__me',
      'crm__listItems',
      'crm__slowDown',
      'crm__whoAmI',
    ]);
    const set = await h.call({
      method: 'PATCH',
      url: `/api/v1/customers/${customers[0]}`,
      payload: { gatewayConnectors: ['billing'] },
    });
    expect(set.status, set.raw).toBe(200);
    expect(await names()).toEqual(['billing__me']);
    await h.call({
      method: 'PATCH',
      url: `/api/v1/customers/${customers[0]}`,
      payload: { gatewayConnectors: null },
    });
    expect(await names()).toHaveLength(4);
  });

  it('offers entity-level tools (list_products, upsert_product) over apps with an action and a mapping for the entity', async () => {
    const headers = { connector: 'crm' };
    for (const action of [
      {
        slug: 'listProducts',
        name: 'List products',
        method: 'GET',
        path: '/items/cursor',
        parameters: [
          { name: 'cursor', in: 'query' },
          { name: 'limit', in: 'query' },
        ],
        pagination: {
          style: 'cursor',
          cursorParam: 'cursor',
          nextCursorPath: 'next_cursor',
          itemsPath: 'data',
          limitParam: 'limit',
        },
        cdmEntity: 'Product',
      },
      {
        slug: 'createProduct',
        name: 'Create a product',
        method: 'POST',
        path: '/echo/products',
        parameters: [
          { name: 'sku', in: 'body' },
          { name: 'title', in: 'body' },
        ],
        cdmEntity: 'Product',
      },
    ]) {
      expect(
        (
          await h.call({
            method: 'POST',
            url: `/api/v1/connectors/${headers.connector}/actions`,
            payload: action,
          })
        ).status,
      ).toBe(200);
    }
    const client = await gateway(customers[0] ?? '');
    try {
      // No mapping yet: no entity tools.
      expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('list_products');
      for (const [direction, fields] of [
        ['to_canonical', { id: 'id', name: 'name', sku: 'id' }],
        ['from_canonical', { sku: 'sku', title: 'name' }],
      ] as const) {
        const saved = await h.call({
          method: 'POST',
          url: '/api/v1/cdm/mappings',
          payload: { connector: 'crm', entity: 'Product', direction, fields },
        });
        expect(saved.status, saved.raw).toBe(201);
      }
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['list_products', 'upsert_product']));
      const listed = (await client.callTool({
        name: 'list_products',
        arguments: { limit: 30 },
      })) as CallResult;
      expect(listed.isError).toBeFalsy();
      const body = JSON.parse(listed.content[0]?.text ?? '{}') as {
        items: { id: string; name: string }[];
        errors: unknown[];
      };
      expect(body.items).toHaveLength(25);
      expect(typeof body.items[0]?.id).toBe('string');
      expect(typeof body.items[0]?.name).toBe('string');
      expect(body.errors).toEqual([]);
      const written = (await client.callTool({
        name: 'upsert_product',
        arguments: { record: { sku: 'W-1', name: 'Widget' } },
      })) as CallResult;
      expect(written.isError).toBeFalsy();
      expect(JSON.parse(written.content[0]?.text ?? '{}')).toMatchObject({
        status: 200,
        sent: { sku: 'W-1', title: 'Widget' },
        body: { body: { sku: 'W-1', title: 'Widget' } },
      });
    } finally {
      await client.close();
    }
  });

  it('refuses the actions of a connector to a key without connectors:read', async () => {
    // No role lacks connectors:read today, so the key is a tenant built with every permission
    // the gateway otherwise needs (the customer and its connections) and not that one.
    const runtime = await createConnectionRuntime({
      config: h.t.config,
      db: h.t.database.db,
      keyring: h.t.keyring,
      onError: () => undefined,
    });
    const server = createGatewayServer({
      runtime,
      tenant: systemTenant({
        orgId: h.org.organization.id,
        customerId: customers[0] ?? '',
        actorId: null,
        label: 'gateway without connectors:read',
        permissions: ['customers:read', 'connections:read', 'connections:execute'],
      }),
      onUnexpected: () => 'ref',
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'customer-agent', version: '1.0.0' });
    try {
      await server.connect(serverSide);
      await client.connect(clientSide);
      for (const [name, args] of [
        ['crm__whoAmI', {}],
        ['execute_tool', { name: 'crm__whoAmI', arguments: {} }],
        ['search_tools', { query: 'who am i' }],
      ] as const) {
        const refused = (await client.callTool({ name, arguments: args })) as CallResult;
        expect(refused.isError, name).toBe(true);
        expect(refused.content[0]?.text).toBe(
          'forbidden: this caller lacks the permission connectors:read',
        );
      }
      await expect(client.listTools()).rejects.toThrow(/lacks the permission connectors:read/);
    } finally {
      await client.close();
      await server.close();
      await runtime.close();
    }
  });

  it('keeps tool names within 64 characters', () => {
    expect(gatewayToolName('a'.repeat(63), 'b'.repeat(100)).length).toBeLessThanOrEqual(64);
    expect(gatewayToolName('a'.repeat(63), 'b'.repeat(100))).not.toBe(
      gatewayToolName('a'.repeat(63), `${'b'.repeat(99)}c`),
    );
  });
});
