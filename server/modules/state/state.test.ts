import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, TEST_DRIVERS, type TestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { createOrganization } from '../orgs/orgs.service.ts';
import {
  deleteState,
  getState,
  purgeExpiredState,
  setState,
  STATE_VALUE_MAX_BYTES,
  type StateAddress,
} from './state.service.ts';

const EXECUTION_1 = '11111111-1111-4111-8111-111111111111';
const EXECUTION_2 = '22222222-2222-4222-8222-222222222222';

async function addCustomer(db: Database, orgId: string, name: string): Promise<string> {
  const [row] = await db.tenant({ orgId }, (sql) =>
    sql.query<{ id: string }>(`INSERT INTO customers (org_id, name) VALUES ($1, $2) RETURNING id`, [
      orgId,
      name,
    ]),
  );
  return row?.id ?? '';
}

describe.each(TEST_DRIVERS)('workflow state (%s)', (driver) => {
  let t: TestDatabase;
  let orgA: string;
  let orgB: string;
  let customerA: string;
  let customerB: string;

  beforeAll(async () => {
    t = await createTestDatabase(driver);
    const org = async (name: string) =>
      (
        await createOrganization({
          db: t.db,
          name,
          ownerEmail: 'o@x.test',
          actorLabel: 'test',
        })
      ).organization.id;
    orgA = await org('State A');
    orgB = await org('State B');
    customerA = await addCustomer(t.db, orgA, 'Customer A');
    customerB = await addCustomer(t.db, orgA, 'Customer B');
  });
  afterAll(() => t.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  const at = (overrides: Partial<Omit<StateAddress, 'db'>> & { key: string }): StateAddress => ({
    db: t.db,
    orgId: orgA,
    customerId: null,
    scope: 'org',
    scopeId: '',
    ...overrides,
  });

  it('sets, reads, replaces and deletes a key; null is a value, absence is not', async () => {
    const key = at({ key: 'cursor' });
    expect(await getState(key)).toEqual({ found: false, value: null });
    expect(await setState({ ...key, value: { page: 1, ids: ['a', 'b'] } })).toEqual({
      expiresAt: null,
    });
    expect(await getState(key)).toEqual({ found: true, value: { page: 1, ids: ['a', 'b'] } });
    await setState({ ...key, value: 'replaced' });
    expect(await getState(key)).toEqual({ found: true, value: 'replaced' });
    await setState({ ...key, value: null });
    expect(await getState(key)).toEqual({ found: true, value: null });
    expect(await deleteState(key)).toBe(true);
    expect(await getState(key)).toEqual({ found: false, value: null });
    expect(await deleteState(key)).toBe(false);

    for (const value of [0, false, '', [], 12.5, 'ünïcödé ✓']) {
      await setState({ ...key, value });
      expect(await getState(key)).toEqual({ found: true, value });
    }
  });

  it('keeps org scope, each invocation and each customer apart', async () => {
    const places: StateAddress[] = [
      at({ key: 'k' }),
      at({ key: 'k', scope: 'invocation', scopeId: EXECUTION_1 }),
      at({ key: 'k', scope: 'invocation', scopeId: EXECUTION_2 }),
      at({ key: 'k', customerId: customerA }),
      at({ key: 'k', customerId: customerA, scope: 'invocation', scopeId: EXECUTION_1 }),
      at({ key: 'k', customerId: customerB }),
    ];
    for (const [i, place] of places.entries()) await setState({ ...place, value: i });
    for (const [i, place] of places.entries())
      expect(await getState(place)).toEqual({ found: true, value: i });
    expect(await deleteState(places[0] as StateAddress)).toBe(true);
    for (const [i, place] of places.entries())
      expect((await getState(place)).found, `place ${i}`).toBe(i !== 0);
  });

  it("a customer cannot read, change or delete another customer's key, even by SQL under its own scope", async () => {
    await setState({ ...at({ key: 'token', customerId: customerB }), value: 'b-only' });
    // Same coordinates, the other customer: a different (absent) key.
    expect(await getState(at({ key: 'token', customerId: customerA }))).toEqual({
      found: false,
      value: null,
    });
    expect(await deleteState(at({ key: 'token', customerId: customerA }))).toBe(false);

    const underA = await t.db.tenant({ orgId: orgA, customerId: customerA }, async (sql) => ({
      seen: await sql.query<{ customer_id: string | null }>(
        'SELECT customer_id FROM workflow_state',
      ),
      updated: await sql.query(
        `UPDATE workflow_state SET value = '"stolen"' WHERE customer_id = $1 RETURNING id`,
        [customerB],
      ),
      deleted: await sql.query(`DELETE FROM workflow_state WHERE customer_id = $1 RETURNING id`, [
        customerB,
      ]),
    }));
    expect(underA.seen.length).toBeGreaterThan(0);
    expect(underA.seen.every((r) => r.customer_id === customerA)).toBe(true);
    expect(underA).toMatchObject({ updated: [], deleted: [] });
    await expect(
      t.db.tenant({ orgId: orgA, customerId: customerA }, (sql) =>
        sql.query(
          `INSERT INTO workflow_state (org_id, customer_id, scope, scope_id, key, value)
           VALUES ($1, $2, 'org', '', 'planted', '1')`,
          [orgA, customerB],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
    expect(await getState(at({ key: 'token', customerId: customerB }))).toEqual({
      found: true,
      value: 'b-only',
    });
  });

  it("an org cannot read, change or delete another org's keys", async () => {
    await setState({ ...at({ key: 'shared' }), value: 'a-only' });
    const inB = at({ key: 'shared', orgId: orgB });
    expect(await getState(inB)).toEqual({ found: false, value: null });
    expect(await deleteState(inB)).toBe(false);
    await setState({ ...inB, value: 'b-own' });
    expect(await getState(at({ key: 'shared' }))).toEqual({ found: true, value: 'a-only' });
    expect(await getState(inB)).toEqual({ found: true, value: 'b-own' });

    const asB = await t.db.tenant({ orgId: orgB }, async (sql) => ({
      seen: await sql.query('SELECT 1 FROM workflow_state WHERE org_id = $1', [orgA]),
      updated: await sql.query(
        `UPDATE workflow_state SET value = '1' WHERE org_id = $1 RETURNING id`,
        [orgA],
      ),
    }));
    expect(asB).toEqual({ seen: [], updated: [] });
    // A customer of org A named under org B's tenant is not found.
    await expect(
      setState({ ...at({ key: 'x', orgId: orgB, customerId: customerA }), value: 1 }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('expires keys by TTL: invisible to get, gone after a purge; invocation keys default to a day', async () => {
    // In the past, so that keys other tests left to expire in a day are not due at `dayLater`.
    const t0 = new Date(Date.now() - 2 * 86_400_000);
    const after = (ms: number) => new Date(t0.getTime() + ms);
    const key = at({ key: 'ttl' });
    expect(await setState({ ...key, value: 1, ttlSeconds: 60, now: t0 })).toEqual({
      expiresAt: after(60_000).toISOString(),
    });
    expect(await getState({ ...key, now: new Date(t0.getTime() + 59_000) })).toMatchObject({
      found: true,
    });
    expect(await getState({ ...key, now: new Date(t0.getTime() + 60_000) })).toEqual({
      found: false,
      value: null,
    });

    const invocation = at({ key: 'step', scope: 'invocation', scopeId: EXECUTION_1 });
    const dayLater = after(24 * 3600_000);
    expect(await setState({ ...invocation, value: 'x', now: t0 })).toEqual({
      expiresAt: dayLater.toISOString(),
    });
    expect((await getState({ ...invocation, now: new Date(dayLater.getTime() - 1) })).found).toBe(
      true,
    );
    expect((await getState({ ...invocation, now: dayLater })).found).toBe(false);

    // Set three days ago with a 1 s TTL: long expired for the real clock.
    const stale = at({ key: 'stale', customerId: customerA });
    await setState({
      ...stale,
      value: 'old',
      ttlSeconds: 1,
      now: new Date(Date.now() - 3 * 86_400_000),
    });
    expect(await getState(stale)).toEqual({ found: false, value: null });
    // Setting it again revives it.
    await setState({ ...stale, value: 'new' });
    expect(await getState(stale)).toEqual({ found: true, value: 'new' });
    await setState({
      ...stale,
      value: 'old',
      ttlSeconds: 1,
      now: new Date(Date.now() - 3 * 86_400_000),
    });

    // Org B has one expired key; org A has 'ttl', 'step' (at dayLater) and 'stale'.
    await setState({ ...at({ key: 'gone', orgId: orgB }), value: 1, ttlSeconds: 5, now: t0 });
    const live = at({ key: 'forever' });
    await setState({ ...live, value: 'kept' });
    expect(await purgeExpiredState({ db: t.db, orgId: orgB, now: dayLater })).toBe(1);
    expect(await purgeExpiredState({ db: t.db, now: dayLater })).toBe(3);
    expect(await purgeExpiredState({ db: t.db, now: dayLater })).toBe(0);
    expect(await getState(live)).toEqual({ found: true, value: 'kept' });
    const [rows] = await t.db.owner((sql) =>
      sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM workflow_state WHERE key IN ('ttl', 'step', 'stale', 'gone')`,
      ),
    );
    expect(rows?.n).toBe(0);
  });

  it('a 1-second TTL expires on the default clock (fake Date, no sleeping)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2031-06-01T12:00:00Z'));
    const key = at({ key: 'short', scope: 'invocation', scopeId: EXECUTION_2 });
    await setState({ ...key, value: 'brief', ttlSeconds: 1 });
    expect((await getState(key)).found).toBe(true);
    vi.setSystemTime(new Date('2031-06-01T12:00:01.001Z'));
    expect(await getState(key)).toEqual({ found: false, value: null });
    expect(await deleteState(key)).toBe(false);
  });

  it('refuses values over 256 KiB, non-JSON values and malformed addresses with a clear error, writing nothing', async () => {
    const key = at({ key: 'big' });
    // JSON adds two quotes to a string.
    await setState({ ...key, value: 'x'.repeat(STATE_VALUE_MAX_BYTES - 2) });
    const tooBig = setState({ ...key, value: 'x'.repeat(STATE_VALUE_MAX_BYTES - 1) });
    await expect(tooBig).rejects.toMatchObject({
      code: 'validation_failed',
      details: {
        field: 'value',
        bytes: STATE_VALUE_MAX_BYTES + 1,
        maxBytes: STATE_VALUE_MAX_BYTES,
      },
    });
    await expect(tooBig).rejects.toThrow(/limit is 262144/);
    expect((await getState(key)).value).toHaveLength(STATE_VALUE_MAX_BYTES - 2);

    const refused: [string, () => Promise<unknown>][] = [
      ['undefined', () => setState({ ...at({ key: 'refused-u' }), value: undefined })],
      ['bigint', () => setState({ ...at({ key: 'refused-b' }), value: 1n })],
      ['function', () => setState({ ...at({ key: 'refused-f' }), value: () => 1 })],
      ['empty key', () => setState({ ...at({ key: '' }), value: 1 })],
      ['long key', () => setState({ ...at({ key: 'refused'.repeat(257) }), value: 1 })],
      [
        'org scope with id',
        () => setState({ ...at({ key: 'refused', scopeId: EXECUTION_1 }), value: 1 }),
      ],
      [
        'invocation without id',
        () => setState({ ...at({ key: 'refused', scope: 'invocation', scopeId: '' }), value: 1 }),
      ],
      [
        'bad customer',
        () => setState({ ...at({ key: 'refused', customerId: 'not-a-uuid' }), value: 1 }),
      ],
      ['zero ttl', () => setState({ ...at({ key: 'refused' }), value: 1, ttlSeconds: 0 })],
      ['fractional ttl', () => setState({ ...at({ key: 'refused' }), value: 1, ttlSeconds: 1.5 })],
    ];
    for (const [name, attempt] of refused)
      await expect(attempt(), name).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(
      setState({
        ...at({ key: 'refused', customerId: '00000000-0000-4000-8000-000000000000' }),
        value: 1,
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
    const [row] = await t.db.owner((sql) =>
      sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM workflow_state WHERE key LIKE 'refused%'`,
      ),
    );
    expect(row?.n).toBe(0);
    // A 256-character key is fine.
    await setState({ ...at({ key: 'k'.repeat(256) }), value: 1 });
  });

  it("a customer's keys go when the customer is deleted", async () => {
    const doomed = await addCustomer(t.db, orgA, 'Doomed');
    await setState({ ...at({ key: 'k', customerId: doomed }), value: 1 });
    await t.db.tenant({ orgId: orgA }, (sql) =>
      sql.query('DELETE FROM customers WHERE id = $1', [doomed]),
    );
    const [row] = await t.db.owner((sql) =>
      sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM workflow_state WHERE customer_id = $1',
        [doomed],
      ),
    );
    expect(row?.n).toBe(0);
  });
});
