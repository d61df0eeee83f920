// Usage per customer per month, counted from what the work leaves behind, and quotas enforced on
// it: a customer over a monthly limit gets 429 quota_exceeded naming the quota.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import { PERMISSIONS, systemTenant } from '../../domain/tenant.ts';
import { startAgentRun } from '../agent-runs/agent-runs.service.ts';
import { monthRange } from './usage.service.ts';

interface Usage {
  month: string;
  customers: {
    customerId: string | null;
    executions: number;
    actionCalls: number;
    agentTokens: number;
    quotas: { executions: number | null; actionCalls: number | null; agentTokens: number | null };
  }[];
}

describe.each(TEST_DRIVERS)('usage and quotas (%s)', (driver) => {
  let h: ConnectionsHarness;
  let acme: string;
  let globex: string;
  let connectionId: string;

  const usageOf = async (customerId: string) => {
    const res = await h.call<Usage>({
      method: 'GET',
      url: `/api/v1/usage?customerId=${customerId}`,
    });
    expect(res.status, res.raw).toBe(200);
    return res.body.customers.find((c) => c.customerId === customerId);
  };

  beforeAll(async () => {
    h = await startConnectionsHarness(driver);
    const customer = async (name: string) =>
      (
        await h.call<{ id: string }>({
          method: 'POST',
          url: '/api/v1/customers',
          payload: { name },
        })
      ).body.id;
    acme = await customer('Acme');
    globex = await customer('Globex');
    const created = await h.call({
      method: 'POST',
      url: '/api/v1/workflows',
      payload: {
        name: 'noop',
        slug: 'noop',
        source: 'export default async function () { return 1; }',
      },
    });
    expect(created.status, created.raw).toBe(201);
    await h.call({
      method: 'POST',
      url: '/api/v1/workflows/noop/publish',
      payload: { deployTo: ['production'] },
    });
    const connector = await h.call({
      method: 'POST',
      url: '/api/v1/connectors/import-definition',
      payload: {
        weftConnector: 1,
        connector: {
          slug: 'fixture',
          name: 'Fixture',
          baseUrl: h.fx.api.url,
          authMethods: [{ key: 'k', type: 'api_key', in: 'header', name: 'X-Api-Key' }],
        },
        actions: [
          {
            slug: 'reflect',
            name: 'Reflect',
            method: 'GET',
            path: '/reflect',
            parameters: [{ name: 'as', in: 'query', required: true }],
          },
        ],
      },
    });
    expect(connector.status, connector.raw).toBe(201);
    const connection = await h.call<{ id: string }>({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { connector: 'fixture', credentials: { apiKey: 'key-123' }, customerId: acme },
    });
    expect(connection.status, connection.raw).toBe(201);
    connectionId = connection.body.id;
  }, 60_000);
  afterAll(() => h.close());

  it('names months in UTC', () => {
    expect(monthRange('2026-02')).toEqual({
      month: '2026-02',
      from: new Date('2026-02-01T00:00:00Z'),
      to: new Date('2026-03-01T00:00:00Z'),
    });
    expect(monthRange(undefined, new Date('2026-12-31T23:59:59Z')).month).toBe('2026-12');
  });

  it('refuses executions over the monthly quota with 429 naming it, for that customer only', async () => {
    const set = await h.call({
      method: 'PUT',
      url: `/api/v1/customers/${acme}/quotas`,
      payload: { executions: 2 },
    });
    expect(set.status, set.raw).toBe(200);
    expect(set.body).toEqual({
      customerId: acme,
      executions: 2,
      actionCalls: null,
      agentTokens: null,
    });
    const run = (customerId: string) =>
      h.call<{ error?: { code: string; message: string; details: Record<string, unknown> } }>({
        method: 'POST',
        url: '/api/v1/workflows/noop/run',
        payload: { customerId },
      });
    expect((await run(acme)).status).toBe(200);
    expect((await run(acme)).status).toBe(200);
    const refused = await run(acme);
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe('quota_exceeded');
    expect(refused.body.error?.details).toMatchObject({ quota: 'executions', limit: 2, used: 2 });
    expect(refused.body.error?.message).toMatch(/quota executions/);
    // Another customer, and runs for no customer, are not held back.
    expect((await run(globex)).status).toBe(200);
    expect(
      (await h.call({ method: 'POST', url: '/api/v1/workflows/noop/run', payload: {} })).status,
    ).toBe(200);

    expect(await usageOf(acme)).toMatchObject({ executions: 2, quotas: { executions: 2 } });
    expect(await usageOf(globex)).toMatchObject({ executions: 1, quotas: { executions: null } });
    // Raising the quota lets the customer run again; null removes it.
    await h.call({
      method: 'PUT',
      url: `/api/v1/customers/${acme}/quotas`,
      payload: { executions: 3 },
    });
    expect((await run(acme)).status).toBe(200);
    expect((await run(acme)).status).toBe(429);
    await h.call({
      method: 'PUT',
      url: `/api/v1/customers/${acme}/quotas`,
      payload: { executions: null },
    });
    expect((await run(acme)).status).toBe(200);
    // Another month has nothing.
    const past = await h.call<Usage>({ method: 'GET', url: '/api/v1/usage?month=2020-01' });
    expect(past.body.customers.filter((c) => c.executions > 0)).toEqual([]);
  });

  it('counts action calls and refuses them over the quota', async () => {
    await h.call({
      method: 'PUT',
      url: `/api/v1/customers/${acme}/quotas`,
      payload: { actionCalls: 1 },
    });
    const call = () =>
      h.call<{ error?: { code: string; details: Record<string, unknown> } }>({
        method: 'POST',
        url: `/api/v1/connections/${connectionId}/actions/reflect`,
        payload: { input: { as: 'plain' } },
      });
    expect((await call()).status).toBeLessThan(429);
    // The span is written in the background: wait until the call is counted.
    for (let i = 0; i < 50 && ((await usageOf(acme))?.actionCalls ?? 0) < 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await usageOf(acme)).toMatchObject({ actionCalls: 1, quotas: { actionCalls: 1 } });
    const refused = await call();
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: 'quota_exceeded',
      details: { quota: 'action_calls' },
    });
  });

  it("refuses a customer's agent run once its agent tokens are used up", async () => {
    const orgId = h.org.organization.id;
    await h.call({
      method: 'PUT',
      url: `/api/v1/customers/${globex}/quotas`,
      payload: { agentTokens: 1000 },
    });
    await h.t.database.db.tenant({ orgId }, (sql) =>
      sql.query(
        `INSERT INTO agent_runs (org_id, id, kind, actor_type, customer_id, tokens_in, tokens_out, status)
         VALUES ($1, $2, 'connector', 'system', $3, 700, 400, 'completed')`,
        [orgId, randomUUID(), globex],
      ),
    );
    expect(await usageOf(globex)).toMatchObject({
      agentTokens: 1100,
      quotas: { agentTokens: 1000 },
    });
    const tenant = systemTenant({
      orgId,
      customerId: globex,
      actorId: null,
      label: 'test',
      permissions: PERMISSIONS,
    });
    await expect(
      startAgentRun({
        db: h.t.database.db,
        keyring: h.t.keyring,
        tenant,
        queue: null,
        input: { kind: 'connector', input: { source: 'https://example.test/spec.json' } },
      }),
    ).rejects.toMatchObject({ code: 'quota_exceeded', details: { quota: 'agent_tokens' } });
  });

  it('admits starts at the same moment one at a time: a quota is never overshot', async () => {
    const initech = (
      await h.call<{ id: string }>({
        method: 'POST',
        url: '/api/v1/customers',
        payload: { name: 'Initech' },
      })
    ).body.id;
    const connection = await h.call<{ id: string }>({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { connector: 'fixture', credentials: { apiKey: 'key-456' }, customerId: initech },
    });
    expect(connection.status, connection.raw).toBe(201);
    // One execution before the quota is set counts against it.
    const run = () =>
      h.call({
        method: 'POST',
        url: '/api/v1/workflows/noop/run',
        payload: { customerId: initech },
      });
    expect((await run()).status).toBe(200);
    await h.call({
      method: 'PUT',
      url: `/api/v1/customers/${initech}/quotas`,
      payload: { executions: 6, actionCalls: 3 },
    });
    const runs = await Promise.all(Array.from({ length: 20 }, run));
    expect(runs.filter((r) => r.status === 200).length).toBe(5);
    expect(runs.filter((r) => r.status === 429).length).toBe(15);
    expect(await usageOf(initech)).toMatchObject({ executions: 6 });

    const calls = await Promise.all(
      Array.from({ length: 12 }, () =>
        h.call({
          method: 'POST',
          url: `/api/v1/connections/${connection.body.id}/actions/reflect`,
          payload: { input: { as: 'plain' } },
        }),
      ),
    );
    expect(calls.filter((r) => r.status === 429).length).toBe(9);
    expect(calls.filter((r) => r.status < 300).length).toBe(3);
  });

  it('quota changes are audited; an unknown customer is a 404', async () => {
    const audit = await h.call<{ data: { action: string; resourceId: string }[] }>({
      method: 'GET',
      url: `/api/v1/audit-log?action=customer.quotas.set&resource=${acme}`,
    });
    expect(audit.body.data.length).toBe(4);
    const missing = await h.call({
      method: 'PUT',
      url: `/api/v1/customers/${randomUUID()}/quotas`,
      payload: { executions: 1 },
    });
    expect(missing.status).toBe(404);
  });
});
