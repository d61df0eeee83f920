import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';

describe.each(TEST_DRIVERS)('what the webhook endpoint takes in (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let base: string;
  let hookPath: string;

  // Real HTTP over loopback, as senders call it.
  const send = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${url}`, init);
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
  };
  const api = (method: string, url: string, payload?: unknown) =>
    send(url, {
      method,
      headers: {
        ...withKey(org.liveKey),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
  const hook = (body: string, type = 'application/json') =>
    send(hookPath, { method: 'POST', headers: { 'content-type': type }, body });

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    base = (await t.app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
    org = await seedOrg(t, 'HookInput');
    const created = await api('POST', '/api/v1/triggers', {
      type: 'webhook',
      name: 'anything goes',
      routes: [],
    });
    expect(created.status, created.text).toBe(201);
    hookPath = new URL((created.json()['webhook'] as { url: string }).url).pathname;
  }, 60_000);
  afterAll(() => t.close());

  async function storedPayload(eventId: string): Promise<unknown> {
    const res = await api('GET', `/api/v1/events/${eventId}`);
    expect(res.status, res.text).toBe(200);
    return res.json()['payload'];
  }

  it('a JSON body with NUL and unpaired surrogates is accepted and stored unchanged', async () => {
    const payload = { ['k\u0000']: 'a\u0000b', lone: ['\uD800', 'x\uDFFF'], e: '\uE000', ok: '😀' };
    // JSON.stringify writes NUL and unpaired surrogates as \u escapes, as senders do.
    const res = await hook(JSON.stringify(payload));
    expect(res.status, res.text).toBe(202);
    expect(await storedPayload(res.json()['eventId'] as string)).toEqual(payload);
  });

  it('a text body with NUL is accepted and stored unchanged', async () => {
    const res = await hook('line\u0000one', 'text/plain');
    expect(res.status, res.text).toBe(202);
    expect(await storedPayload(res.json()['eventId'] as string)).toBe('line\u0000one');
  });

  it('JSON nested 10,000 levels deep is refused with 400 in the error shape', async () => {
    const res = await hook(`{"a": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    expect(res.status, res.text).toBe(400);
    const body = res.json() as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe('bad_request');
    expect(body.error.message).toMatch(/nests deeper than 128 levels/);
    expect(body.error.requestId).toBeTruthy();
  });

  it('JSON nested 100 levels deep is accepted', async () => {
    const res = await hook(`{"a": ${'['.repeat(100)}${']'.repeat(100)}}`);
    expect(res.status, res.text).toBe(202);
  });
});
