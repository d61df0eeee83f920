import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  seedUserKey,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import type { Customer } from '../../domain/customer.ts';

describe.each(TEST_DRIVERS)('customers API (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    org = await seedOrg(t, 'Customers');
  });
  afterAll(() => t.close());

  const post = (payload: unknown, key = org.testKey) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/customers',
      headers: withKey(key),
      payload: payload as object,
    });

  it('creates, reads, updates and deletes a customer, auditing each write', async () => {
    const created = await post({ name: 'Acme', externalId: 'acme-1', metadata: { plan: 'pro' } });
    expect(created.statusCode).toBe(201);
    const customer = created.json<Customer>();
    expect(customer).toMatchObject({
      name: 'Acme',
      externalId: 'acme-1',
      metadata: { plan: 'pro' },
    });
    expect(Date.parse(customer.createdAt)).not.toBeNaN();

    const got = await t.app.inject({
      method: 'GET',
      url: `/api/v1/customers/${customer.id}`,
      headers: withKey(org.testKey),
    });
    expect(got.json<Customer>()).toEqual(customer);

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/customers/${customer.id}`,
      headers: withKey(org.testKey),
      payload: { name: 'Acme Inc', externalId: null },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json<Customer>()).toMatchObject({
      name: 'Acme Inc',
      externalId: null,
      metadata: { plan: 'pro' },
    });

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/customers/${customer.id}`,
      headers: withKey(org.testKey),
    });
    expect(deleted.statusCode).toBe(204);
    const gone = await t.app.inject({
      method: 'GET',
      url: `/api/v1/customers/${customer.id}`,
      headers: withKey(org.testKey),
    });
    expect(gone.statusCode).toBe(404);

    const audit = await t.app.inject({
      method: 'GET',
      url: '/api/v1/audit-log',
      headers: withKey(org.liveKey),
    });
    const entries = audit.json<{
      data: {
        action: string;
        resourceId: string;
        actorType: string;
        actorId: string;
        mode: string;
      }[];
    }>().data;
    const mine = entries.filter((e) => e.resourceId === customer.id).map((e) => e.action);
    expect(mine).toEqual(['customer.delete', 'customer.update', 'customer.create']);
    const testKeyId = org.keys.find((k) => k.kind === 'test')?.id;
    expect(entries.find((e) => e.action === 'customer.create')).toMatchObject({
      actorType: 'api_key',
      actorId: testKeyId,
      mode: 'test',
    });
  });

  it('refuses a duplicate external id with 409, naming the field', async () => {
    expect((await post({ name: 'One', externalId: 'dup' })).statusCode).toBe(201);
    const again = await post({ name: 'Two', externalId: 'dup' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      error: { code: 'conflict', details: { field: 'externalId' } },
    });
  });

  it('pages through a list with a cursor, newest first, with no gaps or repeats', async () => {
    const names = Array.from({ length: 7 }, (_, i) => `page-${i}`);
    for (const name of names) expect((await post({ name }, org.liveKey)).statusCode).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/customers?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await t.app.inject({ method: 'GET', url, headers: withKey(org.testKey) });
      expect(page.statusCode).toBe(200);
      const body = page.json<{ data: Customer[]; nextCursor: string | null }>();
      expect(body.data.length).toBeLessThanOrEqual(3);
      seen.push(...body.data.map((c) => c.name));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen.filter((n) => n.startsWith('page-'))).toEqual([...names].reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('lets a viewer read but not write (403), and writes nothing', async () => {
    const viewerKey = await seedUserKey(t, org, 'viewer');
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: withKey(viewerKey) }))
        .statusCode,
    ).toBe(200);
    const denied = await post({ name: 'Nope' }, viewerKey);
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({
      error: { code: 'forbidden', details: { permission: 'customers:write' } },
    });
    const list = await t.app.inject({
      method: 'GET',
      url: '/api/v1/customers?limit=200',
      headers: withKey(org.testKey),
    });
    expect(list.json<{ data: Customer[] }>().data.some((c) => c.name === 'Nope')).toBe(false);
  });
});
