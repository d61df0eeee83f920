// WEFT_EGRESS_ALLOW through the whole app: config → runtime → guarded dispatcher → action.
// No test allowlist here: the fixture API on loopback is reachable only through the egress list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';

describe.each(TEST_DRIVERS)('WEFT_EGRESS_ALLOW in the app (%s)', (driver) => {
  let h: ConnectionsHarness;

  async function connectorOn(baseUrl: string): Promise<string> {
    const slug = `egress_${Math.random().toString(36).slice(2, 8)}`;
    const created = await h.call({
      method: 'POST',
      url: '/api/v1/connectors/import-definition',
      payload: {
        weftConnector: 1,
        connector: { slug, name: slug, baseUrl, authMethods: [{ key: 'none', type: 'none' }] },
        actions: [{ slug: 'grab', name: 'grab', method: 'GET', path: '/echo/grab' }],
      },
    });
    expect(created.status, created.raw).toBe(201);
    const connection = await h.call<{ id: string }>({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { connector: slug, credentials: {} },
    });
    expect(connection.status, connection.raw).toBe(201);
    return connection.body.id;
  }

  const grab = (id: string) =>
    h.call<{ status: number; error?: { message: string } }>({
      method: 'POST',
      url: `/api/v1/connections/${id}/actions/grab`,
      payload: { input: {} },
    });

  beforeAll(async () => {
    h = await startConnectionsHarness(driver, {
      env: { WEFT_SSRF_TEST_ALLOWLIST: '', WEFT_EGRESS_ALLOW: '127.0.0.0/8, 169.254.0.0/16' },
    });
  });
  afterAll(() => h.close());

  it('reaches a private API inside an allowed range', async () => {
    const id = await connectorOn(h.fx.api.url);
    const res = await grab(id);
    expect(res.status, res.raw).toBe(200);
    expect(res.body.status).toBe(200);
    expect(h.fx.api.requests.at(-1)?.path).toBe('/echo/grab');
  });

  it('refuses what is not listed, saying which setting would allow it', async () => {
    const res = await grab(await connectorOn('http://10.0.0.1:8080'));
    expect(res.status, res.raw).toBe(502);
    expect(res.body.error?.message).toBe(
      'grab: request to 10.0.0.1 (10.0.0.1:8080) refused: 10.0.0.1 is a private address; to allow it set WEFT_EGRESS_ALLOW=10.0.0.1:8080 (or a range such as 10.0.0.0/8)',
    );
  });

  it('refuses cloud metadata inside an allowed range', async () => {
    const res = await grab(await connectorOn('http://169.254.169.254'));
    expect(res.status, res.raw).toBe(502);
    expect(res.body.error?.message).toMatch(
      /169\.254\.169\.254 is a cloud metadata address, refused even inside an allowed range/,
    );
  });
});
