import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../test/app.ts';

describe('admin MCP server paths', () => {
  let t: TestApp;
  let url: string;
  let org: SeededOrg;

  beforeAll(async () => {
    t = await createTestApp('pglite');
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    org = await seedOrg(t, 'Paths');
  });
  afterAll(() => t.close());

  it('serves the admin tools at /mcp, the path clients guess, as at /mcp/admin', async () => {
    const client = new Client({ name: 'guessing-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { 'x-fastn-api-key': org.liveKey } },
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('import_openapi');
      const created = await client.callTool({
        name: 'create_customer',
        arguments: { name: 'Guess', externalId: 'guess-1' },
      });
      expect(created.isError).toBeFalsy();
      expect(created.structuredContent).toMatchObject({ name: 'Guess' });
    } finally {
      await client.close();
    }
  });

  it('still asks for an API key at /mcp', async () => {
    const res = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
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
    expect(res.status).toBe(401);
  });
});
