// Integration: App Event mechanics through the real stack (Weft app, database, connection
// runtime with its SSRF guard) against fake SaaS apps and a hook receiver on loopback.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import {
  fakeSaasConnector,
  startFakeSaas,
  type FakeSaas,
} from '../../../test/fixtures/fake-saas.ts';
import {
  createFixtureApp,
  listenOnLoopback,
  recordRequests,
  type RecordedRequest,
} from '../../../test/fixtures/http.ts';
import { operatorTenant, type Tenant } from '../../domain/tenant.ts';
import type { ConnectorEvent } from '../../domain/connector.ts';
import {
  createConnectionRuntime,
  type ConnectionRuntime,
} from '../../modules/connections/runtime.ts';
import {
  eventSecret,
  pollOnce,
  subscribe,
  unsubscribe,
  verifyEventSignature,
  type PollState,
} from './app-events.ts';

const host = (url: string) => new URL(url).host;

describe.each(TEST_DRIVERS)('App Event triggers through a connection (%s)', (driver) => {
  let saas: FakeSaas;
  let quiet: FakeSaas;
  let receiver: FastifyInstance;
  let received: RecordedRequest[];
  let receiverUrl: string;
  let t: TestApp;
  let runtime: ConnectionRuntime;
  let orgA: SeededOrg;
  let orgB: SeededOrg;
  let tenantA: Tenant;
  let tenantB: Tenant;
  let customerA: string;
  let customerB: string;
  let connectionId: string;
  let quietConnectionId: string;
  let signature: ConnectorEvent['signature'];

  async function call<T>(
    org: SeededOrg,
    method: 'GET' | 'POST',
    url: string,
    payload?: unknown,
  ): Promise<T> {
    const res = await t.app.inject({
      method,
      url,
      headers: withKey(org.liveKey),
      ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json<T>();
  }

  async function connect(slug: string, customerId: string, apiKey: string): Promise<string> {
    const created = await call<{ id: string; status: string }>(
      orgA,
      'POST',
      '/api/v1/connections',
      {
        connector: slug,
        customerId,
        credentials: { apiKey, webhookSecret: saas.webhookSecret },
      },
    );
    expect(created.status).toBe('active');
    return created.id;
  }

  beforeAll(async () => {
    saas = await startFakeSaas();
    quiet = await startFakeSaas({ webhooks: false, apiKey: 'quiet-key' });
    receiver = createFixtureApp();
    received = recordRequests({ app: receiver, now: () => 0 }).log;
    receiver.post('/hooks/:id', (_request, reply) => reply.code(204).send());
    receiverUrl = await listenOnLoopback(receiver);
    t = await createTestApp(driver, {
      env: {
        WEFT_SSRF_TEST_ALLOWLIST: [host(saas.url), host(quiet.url)].join(','),
        WEFT_RATE_LIMIT_PER_MINUTE: '100000',
      },
    });
    runtime = await createConnectionRuntime({
      config: t.config,
      db: t.database.db,
      keyring: t.keyring,
      onError: (message, error) => {
        throw new Error(`${message}: ${String(error)}`);
      },
    });
    orgA = await seedOrg(t, 'Acme');
    orgB = await seedOrg(t, 'Other');
    tenantA = operatorTenant({ orgId: orgA.organization.id, userId: null, label: 'test' });
    tenantB = operatorTenant({ orgId: orgB.organization.id, userId: null, label: 'test' });
    await call(
      orgA,
      'POST',
      '/api/v1/connectors/import-definition',
      fakeSaasConnector({ slug: 'fake-saas', baseUrl: saas.url }),
    );
    await call(
      orgA,
      'POST',
      '/api/v1/connectors/import-definition',
      fakeSaasConnector({ slug: 'quiet-saas', baseUrl: quiet.url }),
    );
    customerA = (await call<{ id: string }>(orgA, 'POST', '/api/v1/customers', { name: 'A' })).id;
    customerB = (await call<{ id: string }>(orgA, 'POST', '/api/v1/customers', { name: 'B' })).id;
    connectionId = await connect('fake-saas', customerA, saas.apiKey);
    quietConnectionId = await connect('quiet-saas', customerA, quiet.apiKey);
    const { data: events } = await call<{ data: ConnectorEvent[] }>(
      orgA,
      'GET',
      '/api/v1/connectors/fake-saas/events',
    );
    signature = events.find((e) => e.name === 'item.created')?.signature;
    expect(signature?.scheme).toBe('hmac-sha256');
  });

  afterAll(async () => {
    await runtime?.close();
    await t?.close();
    await receiver?.close();
    await saas?.close();
    await quiet?.close();
  });

  it('subscribe registers the hook at the provider, and unsubscribe removes it', async () => {
    const hookUrl = `${receiverUrl}/hooks/trigger-1`;
    const subscription = await subscribe({
      runtime,
      tenant: tenantA,
      connectionId,
      event: 'item.created',
      hookUrl,
    });
    const [registration, ...more] = saas.registrations();
    expect(more).toEqual([]);
    expect(registration).toEqual({ id: expect.any(String), url: hookUrl, event: 'item.created' });
    expect(subscription).toEqual({
      mode: 'webhook',
      subscriptionId: registration!.id,
      details: { ...registration, created_at: expect.any(String) },
    });
    const request = saas.log.find((r) => r.method === 'POST' && r.path === '/webhooks');
    expect(request?.body).toEqual({ url: hookUrl, event: 'item.created' });

    expect(
      await unsubscribe({
        runtime,
        tenant: tenantA,
        connectionId,
        event: 'item.created',
        subscription,
      }),
    ).toEqual({ removed: true });
    expect(saas.registrations()).toEqual([]);
    expect(saas.log.at(-1)).toMatchObject({
      method: 'DELETE',
      path: `/webhooks/${registration!.id}`,
      status: 204,
    });
    // Already gone at the provider: nothing to do, no error.
    expect(
      await unsubscribe({
        runtime,
        tenant: tenantA,
        connectionId,
        event: 'item.created',
        subscription,
      }),
    ).toEqual({ removed: false });
  });

  it("verifies the provider's signed event with the connection's secret; a tampered body or a wrong secret fails", async () => {
    const hookUrl = `${receiverUrl}/hooks/trigger-2`;
    const subscription = await subscribe({
      runtime,
      tenant: tenantA,
      connectionId,
      event: 'item.created',
      hookUrl,
    });
    received.splice(0);
    const [delivery] = await saas.emit({ event: 'item.created', payload: { id: 'itm_9' } });
    expect(delivery?.status).toBe(204);
    const inbound = received.find((r) => r.path === '/hooks/trigger-2');
    expect(inbound?.rawBody).toBe(delivery?.body);

    const secret = await eventSecret({ runtime, tenant: tenantA, connectionId, signature });
    expect(secret).toBe(saas.webhookSecret);
    const verify = (rawBody: string, key: string | null) =>
      verifyEventSignature({ signature, secret: key, headers: inbound!.headers, rawBody });
    expect(verify(inbound!.rawBody!, secret)).toEqual({ ok: true });
    expect(verify(inbound!.rawBody!.replace('itm_9', 'itm_8'), secret)).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(verify(inbound!.rawBody!, 'not-the-secret')).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(verify(inbound!.rawBody!, null)).toMatchObject({ ok: false });

    await unsubscribe({
      runtime,
      tenant: tenantA,
      connectionId,
      event: 'item.created',
      subscription,
    });
  });

  it('says how non-webhook events arrive, and refuses unknown events and provider refusals clearly', async () => {
    expect(
      await subscribe({
        runtime,
        tenant: tenantA,
        connectionId,
        event: 'item.polled',
        hookUrl: `${receiverUrl}/hooks/x`,
      }),
    ).toEqual({ mode: 'poll', intervalSeconds: 60, action: 'list_items' });
    await expect(
      subscribe({
        runtime,
        tenant: tenantA,
        connectionId,
        event: 'item.deleted',
        hookUrl: 'http://x',
      }),
    ).rejects.toMatchObject({
      code: 'not_found',
      message:
        "connector 'fake-saas' has no event 'item.deleted'; it has: item.created, item.polled",
    });
    await expect(
      subscribe({
        runtime,
        tenant: tenantA,
        connectionId: quietConnectionId,
        event: 'item.created',
        hookUrl: `${receiverUrl}/hooks/x`,
      }),
    ).rejects.toMatchObject({
      code: 'upstream_error',
      message: expect.stringContaining('(HTTP 404: no webhooks here)'),
    });
    await expect(
      pollOnce({ runtime, tenant: tenantA, connectionId, event: 'item.created', state: null }),
    ).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('is not polled'),
    });
  });

  it('refuses a connection that is not active', async () => {
    const broken = await connect('fake-saas', customerA, 'wrong-key');
    // The provider rejects the key: the connection goes into error.
    await expect(
      pollOnce({
        runtime,
        tenant: tenantA,
        connectionId: broken,
        event: 'item.polled',
        state: null,
      }),
    ).rejects.toMatchObject({ code: 'credentials_rejected' });
    await expect(
      subscribe({
        runtime,
        tenant: tenantA,
        connectionId: broken,
        event: 'item.created',
        hookUrl: `${receiverUrl}/hooks/x`,
      }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(
        /is in error \(the API rejected the credentials \(HTTP 401\)\); update/,
      ),
    });
    expect(saas.registrations()).toEqual([]);
  });

  it('polls a server without webhooks: a baseline first, then exactly the added and changed records', async () => {
    for (const n of [1, 2, 3, 4, 5]) quiet.addItem({ id: `itm_${n}`, name: `Item ${n}` });
    const poll = (state: PollState | null) =>
      pollOnce({
        runtime,
        tenant: tenantA,
        connectionId: quietConnectionId,
        event: 'item.polled',
        state,
      });

    const first = await poll(null);
    expect(first.records).toEqual([]);
    expect(first.state.seen).toHaveLength(5);
    // Every page was read (page size 2).
    expect(quiet.log.filter((r) => r.path === '/items')).toHaveLength(3);
    const latest = quiet.items().at(-1)!.updated_at;
    expect(first.state.cursor).toEqual({ param: 'updated_since', kind: 'since', value: latest });

    const unchanged = await poll(first.state);
    expect(unchanged.records).toEqual([]);
    expect(quiet.log.at(-1)?.url).toBe(`/items?updated_since=${encodeURIComponent(latest)}`);

    const added = quiet.addItem({ id: 'itm_6', name: 'Item 6' });
    const changed = quiet.updateItem('itm_2', { status: 'done' });
    const next = await poll(unchanged.state);
    expect(next.records).toEqual([changed, added]);
    expect(next.state.seen).toHaveLength(6);
    expect(next.state.cursor?.value).toBe(changed.updated_at);

    const again = await poll(next.state);
    expect(again.records).toEqual([]);
  });

  it("keeps a customer's connection to its own org and customer", async () => {
    const before = quiet.log.length;
    const hookUrl = `${receiverUrl}/hooks/stolen`;
    const notFound = {
      code: 'not_found',
      message: `no connection ${connectionId}; list connections to see the ids that exist`,
    };
    await expect(
      subscribe({ runtime, tenant: tenantB, connectionId, event: 'item.created', hookUrl }),
    ).rejects.toMatchObject(notFound);
    await expect(
      pollOnce({ runtime, tenant: tenantB, connectionId, event: 'item.polled', state: null }),
    ).rejects.toMatchObject(notFound);
    await expect(
      eventSecret({ runtime, tenant: tenantB, connectionId, signature }),
    ).rejects.toMatchObject(notFound);
    await expect(
      unsubscribe({
        runtime,
        tenant: tenantB,
        connectionId,
        event: 'item.created',
        subscription: { mode: 'webhook', subscriptionId: 'wh_1', details: {} },
      }),
    ).rejects.toMatchObject(notFound);
    // Another customer of the same org does not see it either.
    const otherCustomer: Tenant = { ...tenantA, customerId: customerB };
    await expect(
      subscribe({ runtime, tenant: otherCustomer, connectionId, event: 'item.created', hookUrl }),
    ).rejects.toMatchObject(notFound);
    await expect(
      eventSecret({ runtime, tenant: otherCustomer, connectionId, signature }),
    ).rejects.toMatchObject(notFound);
    expect(saas.registrations()).toEqual([]);
    expect(quiet.log.length).toBe(before);
  });
});
