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
import { syncHint } from '../../runtime/scheduler/ticker.ts';

const host = (url: string) => new URL(url).host;

describe.each(TEST_DRIVERS)('app event triggers, end to end (%s)', (driver) => {
  let saas: FakeSaas;
  let quiet: FakeSaas;
  let t: TestApp;
  let org: SeededOrg;
  let customerId: string;
  let connectionId: string;
  let quietConnectionId: string;

  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
    const res = await t.app.inject({
      method,
      url,
      headers: withKey(org.liveKey),
      ...(payload !== undefined && { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };

  const until = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 200; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  const eventsOf = async (triggerId: string) =>
    (await api('GET', `/api/v1/events?triggerId=${triggerId}`)).body.data as {
      id: string;
      verdict: string;
      payload: unknown;
      executions: { executionId: string }[];
    }[];

  /** Makes the trigger's schedule due now, as its next tick would. */
  const pollNow = async (triggerId: string) => {
    await t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
      sql.query(`UPDATE trigger_schedules SET next_run_at = now() WHERE trigger_id = $1`, [
        triggerId,
      ]),
    );
    await syncHint({ db: t.database.db, orgId: org.organization.id, triggerId });
  };

  beforeAll(async () => {
    saas = await startFakeSaas();
    quiet = await startFakeSaas({ webhooks: false, apiKey: 'quiet-key' });
    t = await createTestApp(driver, {
      workers: true,
      env: {
        WEFT_SSRF_TEST_ALLOWLIST: [host(saas.url), host(quiet.url)].join(','),
        WEFT_RATE_LIMIT_PER_MINUTE: '100000',
      },
    });
    // The provider posts events to the real URL.
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    org = await seedOrg(t, 'Events');
    for (const [slug, server] of [
      ['fake-saas', saas],
      ['quiet-saas', quiet],
    ] as const) {
      const imported = await api(
        'POST',
        '/api/v1/connectors/import-definition',
        fakeSaasConnector({ slug, baseUrl: server.url }),
      );
      expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    }
    customerId = (await api('POST', '/api/v1/customers', { name: 'Acme' })).body.id;
    const connect = async (slug: string, server: FakeSaas) =>
      (
        await api('POST', '/api/v1/connections', {
          connector: slug,
          customerId,
          credentials: { apiKey: server.apiKey, webhookSecret: server.webhookSecret },
        })
      ).body.id as string;
    connectionId = await connect('fake-saas', saas);
    quietConnectionId = await connect('quiet-saas', quiet);
    await api('POST', '/api/v1/workflows', {
      name: 'on-item',
      source:
        'export default async function (ctx) { return { got: ctx.input, customer: ctx.customer.id, by: ctx.trigger.type }; }',
    });
    await api('POST', '/api/v1/workflows/on-item/publish', { deployTo: ['production'] });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await saas?.close();
    await quiet?.close();
  });

  it('subscribes on create, verifies and routes the provider’s signed events, unsubscribes on delete', async () => {
    const created = await api('POST', '/api/v1/triggers', {
      type: 'app_event',
      name: 'new items',
      appEvent: { connectionId, event: 'item.created' },
      routes: [{ workflow: 'on-item' }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const trigger = created.body;
    expect(trigger.appEvent).toMatchObject({
      connector: 'fake-saas',
      customerId,
      subscription: { mode: 'webhook', status: 'subscribed' },
    });
    const [registration] = saas.registrations();
    expect(registration?.url).toMatch(new RegExp(`/hooks/${trigger.id}$`));

    const deliveries = await saas.emit({
      event: 'item.created',
      payload: { id: 'it_1', name: 'Lamp' },
    });
    expect(deliveries.map((d) => d.status)).toEqual([202]);
    const event = await until('the event to be routed', async () =>
      (await eventsOf(trigger.id)).find((e) => e.verdict === 'routed'),
    );
    expect(event.payload).toMatchObject({ event: 'item.created', payload: { id: 'it_1' } });
    const execution = (await api('GET', `/api/v1/executions/${event.executions[0]?.executionId}`))
      .body;
    expect(execution).toMatchObject({
      status: 'completed',
      triggeredBy: 'app-event',
      customerId,
      output: { customer: customerId, by: 'app-event' },
    });

    // A forged event (no valid provider signature) is refused before anything is written.
    const forged = await fetch(registration?.url ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': 'sha256=00' },
      body: JSON.stringify({ id: 'evil', event: 'item.created', payload: {} }),
    });
    expect(forged.status).toBe(401);
    const after = await eventsOf(trigger.id);
    expect(after.filter((e) => e.verdict !== 'rejected')).toHaveLength(1);
    expect(after.find((e) => e.verdict === 'rejected')).toMatchObject({
      payload: null,
      executions: [],
    });

    expect((await api('DELETE', `/api/v1/triggers/${trigger.id}`)).status).toBe(204);
    expect(saas.registrations()).toEqual([]);
  });

  it('polls a provider without webhooks and emits only new or changed records', async () => {
    quiet.addItem({ id: 'q1', name: 'Existing' });
    const created = await api('POST', '/api/v1/triggers', {
      type: 'app_event',
      name: 'polled items',
      appEvent: { connectionId: quietConnectionId, event: 'item.polled' },
      routes: [{ workflow: 'on-item' }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const trigger = created.body;
    expect(trigger.appEvent.subscription).toMatchObject({ mode: 'poll' });

    // The first poll records a baseline: the existing item is no event.
    await pollNow(trigger.id);
    await until('the baseline poll', async () => {
      const [row] = await t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
        sql.query<{ state: Record<string, unknown> }>(
          'SELECT state FROM trigger_schedules WHERE trigger_id = $1',
          [trigger.id],
        ),
      );
      return row && Object.keys(row.state).length > 0 ? true : undefined;
    });
    expect(await eventsOf(trigger.id)).toEqual([]);

    quiet.addItem({ id: 'q2', name: 'Added' });
    quiet.updateItem('q1', { status: 'archived' });
    await pollNow(trigger.id);
    const events = await until('two routed events', async () => {
      const list = await eventsOf(trigger.id);
      return list.length === 2 && list.every((e) => e.verdict === 'routed') ? list : undefined;
    });
    expect(events.map((e) => (e.payload as { id: string }).id).sort()).toEqual(['q1', 'q2']);
    // The last poll's outcome shows on the trigger.
    const shown = (await api('GET', `/api/v1/triggers/${trigger.id}`)).body;
    expect(shown.appEvent.subscription).toMatchObject({
      mode: 'poll',
      lastPollError: null,
      lastPollRecords: 2,
      lastPollAt: expect.any(String),
    });

    // Nothing changed: nothing new.
    await pollNow(trigger.id);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await eventsOf(trigger.id)).toHaveLength(2);
  });
});
