import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, withKey, type SeededOrg, type TestApp } from '../../test/app.ts';
import { TEST_DRIVERS } from '../../test/db.ts';

// 36 characters, the shape a loose check lets through to Postgres.
const DASHES = '-'.repeat(36);
const NOT_IDS = [DASHES, 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', "1' OR 1=1 --"];

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

describe.each(TEST_DRIVERS)('a malformed id from outside is a client error (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    base = (await t.app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
    org = await seedOrg(t, 'Ids');
  });
  afterAll(() => t.close());

  async function expectClientError(res: Response, status?: number) {
    const text = await res.text();
    expect(res.status, text).toBeGreaterThanOrEqual(400);
    expect(res.status, text).toBeLessThan(500);
    if (status !== undefined) expect(res.status, text).toBe(status);
    const body = JSON.parse(text) as ErrorBody;
    expect(body.error.code).toMatch(/^[a-z_]+$/);
    expect(body.error.message.length).toBeGreaterThan(5);
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
  }

  it.each(NOT_IDS)('the MCP gateway customer_id %j → 400', async (id) => {
    const res = await fetch(`${base}/mcp/gateway?customer_id=${encodeURIComponent(id)}`, {
      method: 'POST',
      headers: {
        ...withKey(org.liveKey),
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
          clientInfo: { name: 'probe', version: '1' },
        },
      }),
    });
    await expectClientError(res, 400);
  });

  it.each(NOT_IDS)('a route parameter %j → 4xx', async (id) => {
    const path = encodeURIComponent(id);
    for (const url of [
      `/api/v1/customers/${path}`,
      `/api/v1/executions/${path}`,
      `/api/v1/triggers/${path}`,
      `/api/v1/events/${path}`,
      `/api/v1/connections/${path}`,
    ]) {
      await expectClientError(await fetch(`${base}${url}`, { headers: withKey(org.liveKey) }));
    }
    await expectClientError(
      await fetch(`${base}/hooks/${path}`, { method: 'POST', body: '{}' }),
      404,
    );
  });

  it.each(NOT_IDS)('a query string id %j → 4xx', async (id) => {
    const q = encodeURIComponent(id);
    for (const url of [
      `/api/v1/executions?customerId=${q}`,
      `/api/v1/executions?workflowId=${q}`,
      `/api/v1/connections?customerId=${q}`,
      `/api/v1/events?triggerId=${q}`,
    ]) {
      await expectClientError(await fetch(`${base}${url}`, { headers: withKey(org.liveKey) }));
    }
  });

  it.each(NOT_IDS)(
    'a tool argument %j is refused by the tool, not an internal error',
    async (id) => {
      const client = new Client({ name: 'probe', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
          requestInit: { headers: withKey(org.liveKey) },
        }),
      );
      try {
        for (const [name, args] of [
          ['get_customer', { customerId: id }],
          ['get_execution', { executionId: id }],
          ['get_trigger', { triggerId: id }],
          ['list_connections', { customerId: id }],
        ] as const) {
          const result = (await client.callTool({ name, arguments: args })) as {
            isError?: boolean;
            content: { text?: string }[];
          };
          expect(result.isError, name).toBe(true);
          expect(result.content[0]?.text ?? '', name).not.toMatch(/internal error/);
        }
      } finally {
        await client.close();
      }
    },
  );
});
