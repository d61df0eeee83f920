import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, type TestApp } from '../../test/app.ts';
import { startVendorSite, type VendorSite } from '../../test/fixtures/vendor-site.ts';

type CallResult = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
};

async function connect(t: TestApp, name: string): Promise<Client> {
  const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const org = await seedOrg(t, name);
  const client = new Client({ name: 'connector-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp/admin`), {
      requestInit: { headers: { 'x-fastn-api-key': org.liveKey } },
    }),
  );
  return client;
}

describe('discovery tools through the MCP client', () => {
  let site: VendorSite;
  let t: TestApp;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallResult;
  const ok = async (name: string, args: Record<string, unknown>) => {
    const result = await call(name, args);
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    return result.structuredContent ?? {};
  };

  beforeAll(async () => {
    site = await startVendorSite();
    t = await createTestApp('pglite', {
      env: { WEFT_SSRF_TEST_ALLOWLIST: site.allowlist.join(',') },
    });
    client = await connect(t, 'Discovery');
  });
  afterAll(async () => {
    await client.close();
    await t.close();
    await site.close();
  });

  it('discover_spec ranks the confirmed specs with their evidence', async () => {
    const result = await ok('discover_spec', { docsUrl: site.urls.docs, domain: site.apiOrigin });
    expect(
      (result['candidates'] as Record<string, unknown>[]).map((c) => [
        c['url'],
        c['confirmed'],
        c['evidence'],
        c['operations'],
      ]),
    ).toEqual([
      [site.urls.specYaml, true, [`linked from ${site.urls.docs}`], 2],
      [site.urls.specJson, true, ['well-known path'], 5],
    ]);
  });

  it('read_docs returns Markdown, parsed curl examples, the parameter table and auth hints', async () => {
    const result = await call('read_docs', { url: site.urls.docs });
    const page = result.structuredContent ?? {};
    expect(result.content[0]?.text).toMatch(/3 curl examples, 1 tables/);
    expect(page['markdown']).toMatch(/^# List items – Acme API reference$/m);
    expect(page['markdown']).toContain('```bash\ncurl -G');
    expect(page['curl']).toContainEqual({
      method: 'GET',
      url: `${site.apiOrigin}/v1/items?limit=2`,
      headers: { 'X-Api-Key': 'YOUR_API_KEY', Accept: 'application/json' },
    });
    expect((page['tables'] as { rows: unknown[] }[])[0]?.rows).toHaveLength(2);
    expect(page['authHints']).toContainEqual(
      expect.objectContaining({ type: 'api_key', in: 'header', name: 'X-Api-Key' }),
    );
  });

  it('probe_endpoint reads the challenge without a key, and refuses writes', async () => {
    const result = await ok('probe_endpoint', { baseUrl: site.apiOrigin, path: '/v1/items' });
    expect(result).toMatchObject({
      status: 401,
      authChallenges: [{ scheme: 'ApiKey', realm: 'acme', params: { header: 'X-Api-Key' } }],
    });
    const write = await call('probe_endpoint', {
      baseUrl: site.apiOrigin,
      path: '/v1/items',
      method: 'POST',
    });
    expect(write.isError).toBe(true);
    expect(write.content[0]?.text).toMatch(/only GET, HEAD or OPTIONS; writes are refused/);
    expect(site.log.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('probe_endpoint through a connection uses its key and masks it', async () => {
    await ok('create_connector', {
      slug: 'acme',
      name: 'Acme',
      baseUrl: `${site.apiOrigin}/v1`,
      authMethods: [{ key: 'api_key', type: 'api_key', in: 'header', name: 'X-Api-Key' }],
    });
    const customer = await ok('create_customer', { name: 'Probe', externalId: 'probe' });
    const connection = await ok('create_connection', {
      connector: 'acme',
      customerId: customer['id'],
      credentials: { apiKey: site.apiKey },
    });
    const items = await ok('probe_endpoint', {
      connectionId: connection['id'],
      path: '/items',
      query: { limit: '2' },
    });
    expect(items).toMatchObject({
      status: 200,
      pagination: { next: `${site.apiOrigin}/v1/items?limit=2&cursor=2` },
      rateLimit: { limit: '100' },
      schema: { type: 'object', properties: { data: { type: 'array' } } },
    });
    const echoed = await ok('probe_endpoint', { connectionId: connection['id'], path: '/whoami' });
    expect(echoed['status']).toBe(200);
    expect(JSON.stringify(echoed)).not.toContain(site.apiKey);
  });
});

describe('discovery tools without the vendor on the allowlist', () => {
  let site: VendorSite;
  let t: TestApp;
  let client: Client;

  beforeAll(async () => {
    site = await startVendorSite();
    t = await createTestApp('pglite');
    client = await connect(t, 'Guarded');
  });
  afterAll(async () => {
    await client.close();
    await t.close();
    await site.close();
  });

  it.each([
    ['read_docs', () => ({ url: site.urls.docs })],
    ['probe_endpoint', () => ({ baseUrl: site.apiOrigin, path: '/v1/items' })],
    ['discover_spec', () => ({ domain: site.apiOrigin })],
    ['read_docs', () => ({ url: 'http://169.254.169.254/latest/meta-data/' })],
  ])('%s refuses a loopback or metadata address', async (name, args) => {
    const result = (await client.callTool({ name, arguments: args() })) as CallResult;
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(/^bad_request: .*refused/);
    expect(site.log).toEqual([]);
  });
});
