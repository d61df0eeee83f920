import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';

describe.each(TEST_DRIVERS)('webhook triggers (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let other: SeededOrg;
  let base: string;

  // Real HTTP over loopback, as senders and clients call it.
  type Answer = { statusCode: number; body: string; json(): ReturnType<typeof JSON.parse> };
  const send = async (
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Answer> => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    return { statusCode: res.status, body: text, json: () => JSON.parse(text) };
  };

  const api = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    key?: string,
  ) =>
    send(
      method,
      url,
      {
        ...withKey(key ?? org.liveKey),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      payload === undefined ? undefined : JSON.stringify(payload),
    );

  const hook = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    send(
      'POST',
      new URL(url).pathname,
      { 'content-type': 'application/json', ...headers },
      typeof body === 'string' ? body : JSON.stringify(body),
    );

  async function workflow(slug: string, source: string, key?: string) {
    const created = await api('POST', '/api/v1/workflows', { name: slug, slug, source }, key);
    expect(created.statusCode, created.body).toBe(201);
    const published = await api(
      'POST',
      `/api/v1/workflows/${slug}/publish`,
      { deployTo: ['production'] },
      key,
    );
    expect(published.statusCode, published.body).toBe(201);
  }

  async function settled(eventId: string) {
    for (let i = 0; i < 200; i++) {
      const event = (await api('GET', `/api/v1/events/${eventId}`)).json();
      if (event.verdict !== 'pending') return event;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`event ${eventId} still pending`);
  }

  const executionsOf = async (slug: string) => {
    const id = (await api('GET', `/api/v1/workflows/${slug}`)).json().id;
    return (await api('GET', `/api/v1/executions?workflowId=${id}&limit=200`)).json().data;
  };

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    base = (await t.app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
    org = await seedOrg(t, 'Hooks');
    other = await seedOrg(t, 'Elsewhere');
    await workflow(
      'record-a',
      'export default async function (ctx) { return { route: "a", body: ctx.input, h: ctx.headers["x-route"] }; }',
    );
    await workflow(
      'record-b',
      'export default async function (ctx) { return { route: "b", body: ctx.input }; }',
    );
    await workflow('record-c', 'export default async function (ctx) { return { route: "c" }; }');
  }, 60_000);

  afterAll(() => t.close());

  it('routes by JSON filter: none, one or several of three routes', async () => {
    const created = await api('POST', '/api/v1/triggers', {
      type: 'webhook',
      name: 'orders',
      routes: [
        {
          workflow: 'record-a',
          filter: 'body.type = "order.created"',
          headers: { 'x-route': 'A' },
        },
        { workflow: 'record-b', filter: 'body.total > 100' },
        { workflow: 'record-c', filter: 'body.type = "order.created" and body.total > 1000' },
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
    const trigger = created.json();
    expect(trigger.webhook.url).toMatch(/\/hooks\/[0-9a-f-]{36}$/);
    expect(trigger.secret).toBeUndefined();

    const cases: [unknown, string[]][] = [
      [{ type: 'order.updated', total: 5 }, []],
      [{ type: 'order.created', total: 5 }, ['a']],
      [{ type: 'order.updated', total: 500 }, ['b']],
      [{ type: 'order.created', total: 5000 }, ['a', 'b', 'c']],
    ];
    for (const [body, expected] of cases) {
      const res = await hook(trigger.webhook.url, body);
      expect(res.statusCode, res.body).toBe(202);
      const event = await settled(res.json().eventId);
      expect(event.verdict).toBe(expected.length === 0 ? 'filtered_out' : 'routed');
      expect(event.payload).toEqual(body);
      const routes = event.matchedRoutes.map(
        (id: string) => trigger.routes.find((r: { id: string }) => r.id === id).workflowSlug,
      );
      expect(routes.sort()).toEqual(expected.map((x) => `record-${x}`));
      expect(event.executions).toHaveLength(expected.length);
      for (const e of event.executions) {
        const detail = (await api('GET', `/api/v1/executions/${e.executionId}`)).json();
        expect(detail).toMatchObject({ status: 'completed', triggeredBy: 'webhook' });
        expect(detail.trigger).toMatchObject({ triggerId: trigger.id, eventId: event.id });
      }
    }
    // The route's headers reach ctx.headers.
    const last = (await executionsOf('record-a'))[0];
    expect(last.output).toMatchObject({ route: 'a', h: 'A' });

    // A filter that does not compile is refused on save, with where.
    const bad = await api('PATCH', `/api/v1/triggers/${trigger.id}`, {
      routes: [{ workflow: 'record-a', filter: 'body.type = = "x"' }],
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.message).toMatch(
      /routes\[0\]\.filter is not a valid JSONata expression/,
    );
  });

  it('rejects bad signatures, stale timestamps, missing keys and replays with nothing executed', async () => {
    const hmac = (
      await api('POST', '/api/v1/triggers', {
        type: 'webhook',
        name: 'signed',
        webhook: { auth: { type: 'hmac', toleranceSeconds: 300 } },
        routes: [{ workflow: 'record-b' }],
      })
    ).json();
    expect(hmac.secret).toMatch(/^whsec_/);
    const keyed = (
      await api('POST', '/api/v1/triggers', {
        type: 'webhook',
        name: 'keyed',
        webhook: { auth: { type: 'api_key', header: 'x-hook-key' } },
        routes: [{ workflow: 'record-b' }],
      })
    ).json();
    const before = (await executionsOf('record-b')).length;
    const body = JSON.stringify({ total: 1 });
    const sign = (id: string, ts: number, raw: string, secret = hmac.secret as string) =>
      `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
        .update(`${id}.${ts}.${raw}`)
        .digest('base64')}`;
    const now = Math.floor(Date.now() / 1000);

    const rejected = [
      await hook(hmac.webhook.url, body, {}),
      await hook(hmac.webhook.url, body, {
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(now),
        'webhook-signature': sign(
          'msg_1',
          now,
          body,
          `whsec_${Buffer.from('wrong-secret-wrong').toString('base64')}`,
        ),
      }),
      await hook(hmac.webhook.url, body, {
        'webhook-id': 'msg_2',
        'webhook-timestamp': String(now - 3600),
        'webhook-signature': sign('msg_2', now - 3600, body),
      }),
      await hook(hmac.webhook.url, JSON.stringify({ total: 2 }), {
        'webhook-id': 'msg_3',
        'webhook-timestamp': String(now),
        'webhook-signature': sign('msg_3', now, body),
      }),
      await hook(keyed.webhook.url, body, {}),
      await hook(keyed.webhook.url, body, { 'x-hook-key': 'not-the-key-at-all' }),
    ];
    for (const res of rejected) {
      expect(res.statusCode, res.body).toBe(401);
    }
    expect(rejected[2]?.json().error.message).toMatch(/more than 300 s from now/);

    const good = await hook(hmac.webhook.url, body, {
      'webhook-id': 'msg_ok',
      'webhook-timestamp': String(now),
      'webhook-signature': sign('msg_ok', now, body),
    });
    expect(good.statusCode, good.body).toBe(202);
    await settled(good.json().eventId);
    // The exact same request again, inside the window: refused by its webhook-id.
    const replay = await hook(hmac.webhook.url, body, {
      'webhook-id': 'msg_ok',
      'webhook-timestamp': String(now),
      'webhook-signature': sign('msg_ok', now, body),
    });
    expect(replay.statusCode).toBe(409);
    const keyedOk = await hook(keyed.webhook.url, body, { 'x-hook-key': keyed.secret });
    expect(keyedOk.statusCode).toBe(202);
    await settled(keyedOk.json().eventId);

    // Only the two accepted requests ran anything; no rejected request left an event.
    expect((await executionsOf('record-b')).length).toBe(before + 2);
    const events = (await api('GET', `/api/v1/events?triggerId=${hmac.id}`)).json().data;
    expect(events.filter((e: { verdict: string }) => e.verdict !== 'rejected')).toHaveLength(1);
    // Rejections are noted (at most one a second per trigger) without their body, never routed.
    const rejections = events.filter((e: { verdict: string }) => e.verdict === 'rejected');
    expect(rejections.length).toBeGreaterThanOrEqual(1);
    for (const r of rejections) {
      expect(r).toMatchObject({ payload: null, executions: [], matchedRoutes: [] });
      expect(r.error).toMatch(/webhook-id, webhook-timestamp and webhook-signature are required/);
    }
    // The secret is shown once, at creation.
    expect((await api('GET', `/api/v1/triggers/${hmac.id}`)).body).not.toContain(hmac.secret);
    expect(t.logs.join('\n')).not.toContain(hmac.secret);

    // Unknown, malformed and other orgs' ids: 404.
    expect((await hook(`http://x/hooks/${randomUUID()}`, body)).statusCode).toBe(404);
    expect((await hook('http://x/hooks/not-a-uuid', body)).statusCode).toBe(404);
    expect(
      (await api('GET', `/api/v1/triggers/${hmac.id}`, undefined, other.liveKey)).statusCode,
    ).toBe(404);
  });

  it('drops duplicates by the dedup key inside the window and accepts them after it', async () => {
    const trigger = (
      await api('POST', '/api/v1/triggers', {
        type: 'webhook',
        name: 'deduped',
        webhook: { dedup: { path: 'body.id', windowSeconds: 2 } },
        routes: [{ workflow: 'record-c' }],
      })
    ).json();
    const first = await hook(trigger.webhook.url, { id: 'evt_1' });
    const dup = await hook(trigger.webhook.url, { id: 'evt_1' });
    const otherKey = await hook(trigger.webhook.url, { id: 'evt_2' });
    expect([first.statusCode, dup.statusCode, otherKey.statusCode]).toEqual([202, 202, 202]);
    expect(dup.json().verdict).toBe('duplicate');
    expect((await settled(first.json().eventId)).verdict).toBe('routed');
    expect((await api('GET', `/api/v1/events/${dup.json().eventId}`)).json()).toMatchObject({
      verdict: 'duplicate',
      executions: [],
    });
    expect((await settled(otherKey.json().eventId)).verdict).toBe('routed');
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const later = await hook(trigger.webhook.url, { id: 'evt_1' });
    expect(later.json().verdict).toBe('pending');
    expect((await settled(later.json().eventId)).verdict).toBe('routed');
  });

  it('sends an event whose workflow fails to the dead letter queue, and a replay runs it', async () => {
    await workflow(
      'picky',
      `export default async function (ctx) {
        const ok = await ctx.state.get('ready');
        if (!ok) throw new Error('not ready yet');
        return { processed: ctx.input.n };
      }`,
    );
    await workflow(
      'make-ready',
      "export default async function (ctx) { await ctx.state.set('ready', true); return 1; }",
    );
    const trigger = (
      await api('POST', '/api/v1/triggers', {
        type: 'webhook',
        name: 'fragile',
        routes: [{ workflow: 'picky' }],
      })
    ).json();
    const res = await hook(trigger.webhook.url, { n: 7 });
    const event = await settled(res.json().eventId);
    expect(event).toMatchObject({ verdict: 'failed', deadLetter: true });
    expect(event.error).toMatch(/picky: not ready yet/);
    const dead = (
      await api('GET', `/api/v1/events?deadLetter=true&triggerId=${trigger.id}`)
    ).json();
    expect(dead.data.map((e: { id: string }) => e.id)).toEqual([event.id]);

    await api('POST', '/api/v1/workflows/make-ready/run', {});
    const replayed = await send('POST', `/api/v1/events/${event.id}/replay`, withKey(org.liveKey));
    expect(replayed.statusCode, replayed.body).toBe(200);
    expect(replayed.json()).toMatchObject({ verdict: 'routed', deadLetter: false, attempts: 2 });
    const run = replayed.json().executions[0];
    expect(run.executionId).not.toBe(event.executions[0].executionId);
    const detail = (await api('GET', `/api/v1/executions/${run.executionId}`)).json();
    expect(detail).toMatchObject({ status: 'completed', output: { processed: 7 } });
  });

  it('runs matched routes one after another in sequential mode', async () => {
    await workflow(
      'first-writes',
      `export default async function (ctx) {
        await ctx.state.set('seq-' + ctx.input.run, 'written by the first route');
        return 1;
      }`,
    );
    await workflow(
      'second-reads',
      "export default async function (ctx) { return await ctx.state.get('seq-' + ctx.input.run); }",
    );
    const trigger = (
      await api('POST', '/api/v1/triggers', {
        type: 'webhook',
        name: 'in order',
        webhook: { mode: 'sequential' },
        routes: [{ workflow: 'first-writes' }, { workflow: 'second-reads' }],
      })
    ).json();
    for (const run of ['r1', 'r2', 'r3']) {
      const event = await settled((await hook(trigger.webhook.url, { run })).json().eventId);
      const second = event.executions[1];
      const detail = (await api('GET', `/api/v1/executions/${second.executionId}`)).json();
      expect(detail.output).toBe('written by the first route');
    }
  });
});
