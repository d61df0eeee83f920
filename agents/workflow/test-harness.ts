// Test helper of the Workflow Agent and Setup Assistant tests: Weft listening on loopback (its
// public URL known before it starts, so webhook URLs point at it), the shop and CRM fakes let
// through the SSRF guard, a seeded org, and an MCP client over Streamable HTTP announcing itself
// as the agent, so its writes are audited as the agent on behalf of the key's user.
import { createServer } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../test/app.ts';
import type { TestDriver } from '../../test/db.ts';
import { startShopCrm, type ShopCrm, type ShopOrder } from '../../test/fixtures/shop-crm.ts';

export interface JourneyHarness {
  t: TestApp;
  apps: ShopCrm;
  org: SeededOrg;
  weftUrl: string;
  connect(clientName: string): Promise<Client>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export const SEED_ORDERS: Omit<ShopOrder, 'id'>[] = [
  {
    number: 'SO-1',
    status: 'paid',
    currency: 'EUR',
    total: '42.50',
    customer: { email: 'ada@example.com', name: 'Ada' },
    line_items: [{ sku: 'MUG', quantity: 1, unit_price: '42.50' }],
    note: null,
  },
  {
    number: 'SO-2',
    status: 'cancelled',
    currency: 'EUR',
    total: '10.00',
    customer: { email: 'bob@example.com', name: 'Bob' },
    line_items: [{ sku: 'TEE', quantity: 2, unit_price: '5.00' }],
    note: null,
  },
];

export async function startJourney(
  env: Record<string, string> = {},
  driver: TestDriver = 'pglite',
  /** Also run the queued-workflow workers (schedules and on-demand runs of non-instant tiers). */
  { workers = false }: { workers?: boolean } = {},
): Promise<JourneyHarness> {
  const apps = await startShopCrm({ orders: SEED_ORDERS });
  const port = await freePort();
  const hosts = [apps.shopUrl, apps.crmUrl].map((u) => new URL(u).host).join(',');
  const t = await createTestApp(driver, {
    workers,
    env: {
      WEFT_SSRF_TEST_ALLOWLIST: hosts,
      WEFT_PUBLIC_URL: `http://127.0.0.1:${port}`,
      WEFT_RATE_LIMIT_PER_MINUTE: '100000',
      ...env,
    },
  });
  const weftUrl = await t.app.listen({ port, host: '127.0.0.1' });
  const org = await seedOrg(t, 'Journey');
  const clients: Client[] = [];
  return {
    t,
    apps,
    org,
    weftUrl,
    async connect(clientName) {
      const client = new Client({ name: clientName, version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${weftUrl}/mcp/admin?toolsets=all`), {
          requestInit: { headers: { 'x-fastn-api-key': org.liveKey } },
        }),
      );
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) await c.close().catch(() => undefined);
      await t.close();
      await apps.close();
    },
  };
}

/** Imports both fakes from their specs and connects them for a test customer; answers the ids. */
export async function connectApps(
  client: Client,
  apps: ShopCrm,
): Promise<{ shop: string; crm: string; customerId: string }> {
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = (await client.callTool({ name, arguments: args })) as {
      isError?: boolean;
      structuredContent?: Record<string, unknown>;
      content: { text?: string }[];
    };
    if (r.isError === true) throw new Error(`${name}: ${r.content.map((c) => c.text).join(' ')}`);
    return r.structuredContent ?? {};
  };
  await call('import_openapi', { url: `${apps.shopUrl}/openapi.json`, slug: 'shop' });
  await call('import_openapi', { url: `${apps.crmUrl}/openapi.json`, slug: 'crm' });
  // Runs act for a customer: the test customer whose shop and CRM are connected.
  const customer = await call('create_customer', { name: 'Test customer', externalId: 'test' });
  const customerId = String(customer['id']);
  const shop = await call('create_connection', {
    connector: 'shop',
    customerId,
    credentials: { apiKey: apps.shopKey },
  });
  const crm = await call('create_connection', {
    connector: 'crm',
    customerId,
    credentials: { token: apps.crmToken },
  });
  return { shop: String(shop['id']), crm: String(crm['id']), customerId };
}
