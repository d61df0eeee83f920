import { readFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../test/app.ts';
import { startPetstore, type PetstoreServer } from '../test/fixtures/petstore.ts';

type CallResult = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
};

const SPEC = new URL('../evals/data/specs/petstore-v3.yaml', import.meta.url);

/** Only MCP: import a real spec, connect a customer, call through the gateway, read the trace. */
describe('end to end over MCP only', () => {
  let t: TestApp;
  let org: SeededOrg;
  let petstore: PetstoreServer;
  let admin: Client;
  let url: string;

  const call = async (
    client: Client,
    name: string,
    args: Record<string, unknown>,
  ): Promise<Record<string, unknown>> => {
    const result = (await client.callTool({ name, arguments: args })) as CallResult;
    if (result.isError) throw new Error(`${name}: ${result.content.map((c) => c.text).join(' ')}`);
    return result.structuredContent ?? {};
  };

  beforeAll(async () => {
    petstore = await startPetstore({ apiKey: 'pet-key-1' });
    t = await createTestApp('pglite', {
      env: {
        WEFT_SSRF_TEST_ALLOWLIST: new URL(petstore.url).host,
        WEFT_RATE_LIMIT_PER_MINUTE: '100000',
      },
    });
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    org = await seedOrg(t, 'E2E');
    admin = new Client({ name: 'e2e-agent', version: '1' });
    await admin.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp/admin`), {
        requestInit: { headers: { 'x-fastn-api-key': org.liveKey } },
      }),
    );
  });
  afterAll(async () => {
    await admin.close();
    await t.close();
    await petstore.close();
  });

  it('imports petstore, connects a customer, calls getPetById through the gateway and reads the trace', async () => {
    const imported = await call(admin, 'import_openapi', {
      text: await readFile(SPEC, 'utf8'),
      slug: 'petstore',
    });
    expect(imported).toMatchObject({ outcome: 'created', slug: 'petstore' });
    const actions = (await call(admin, 'list_actions', { connector: 'petstore' }))['data'] as {
      slug: string;
    }[];
    expect(actions.map((a) => a.slug)).toEqual(
      expect.arrayContaining(['getPetById', 'findPetsByStatus', 'addPet']),
    );
    // Point the connector at the local Petstore (the spec's server is the public one).
    await call(admin, 'update_connector', {
      connector: 'petstore',
      baseUrl: petstore.url,
    });
    const customer = await call(admin, 'create_customer', {
      name: 'Pet Shop Ltd',
      externalId: 'pets',
    });
    const connector = await call(admin, 'get_connector', { connector: 'petstore' });
    const apiKeyMethod = (connector['authMethods'] as { key: string; type: string }[]).find(
      (m) => m.type === 'api_key',
    );
    expect(apiKeyMethod).toBeDefined();
    const connection = await call(admin, 'create_connection', {
      connector: 'petstore',
      customerId: customer['id'],
      authMethod: apiKeyMethod?.key,
      credentials: { apiKey: 'pet-key-1' },
    });
    expect(connection['status']).toBe('active');

    const gateway = new Client({ name: 'customer-agent', version: '1' });
    await gateway.connect(
      new StreamableHTTPClientTransport(
        new URL(`${url}/mcp/gateway?customer_id=${String(customer['id'])}`),
        { requestInit: { headers: { 'x-fastn-api-key': org.liveKey } } },
      ),
    );
    try {
      const pet = await call(gateway, 'petstore__getPetById', { petId: 1 });
      expect(pet).toMatchObject({ status: 200, ok: true, body: { id: 1, name: 'Rex' } });
      const trace = await call(admin, 'get_trace', { traceId: pet['traceId'] });
      expect(trace['data']).toEqual([
        expect.objectContaining({
          kind: 'action',
          name: 'getPetById',
          method: 'GET',
          url: `${petstore.url}/pet/1`,
          status: 200,
          attempts: 1,
        }),
      ]);
    } finally {
      await gateway.close();
    }
  });
});
