// Querying the audit log by actor (a key, a person, an agent), action, resource and time, and
// its retention: the workers delete what is past it, and the database refuses to delete anything
// younger, whoever asks.
import { randomUUID } from 'node:crypto';
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
import type { Tenant } from '../../domain/tenant.ts';
import { purgeExpiredAudit, queryAudit, recordAudit } from './audit.service.ts';

interface Entry {
  id: string;
  action: string;
  actorType: string;
  actorId: string | null;
  actorUserId: string | null;
  resourceType: string;
  resourceId: string | null;
  createdAt: string;
}

describe.each(TEST_DRIVERS)('audit log queries and retention (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let adminKey: string;
  let adminUserId: string;
  let adminKeyId: string;
  const customerIds: string[] = [];

  const get = async (query: string, key = org.liveKey) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/audit-log?${query}`,
      headers: withKey(key),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ data: Entry[]; nextCursor: string | null }>();
  };

  beforeAll(async () => {
    t = await createTestApp(driver);
    org = await seedOrg(t, 'Audited');
    adminKey = await seedUserKey(t, org, 'admin', 'live');
    for (const [i, key] of [org.liveKey, adminKey, org.liveKey].entries()) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(key),
        payload: { name: `customer ${i}` },
      });
      customerIds.push(res.json<{ id: string }>().id);
    }
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/customers/${customerIds[0]}`,
      headers: withKey(adminKey),
      payload: { name: 'renamed' },
    });
    const mine = (await get('action=customer.update')).data[0];
    adminKeyId = mine?.actorId ?? '';
    adminUserId = mine?.actorUserId ?? '';
    // An agent acting for the admin (as agent runs do through their MCP client).
    const agent: Tenant = {
      orgId: org.organization.id,
      customerId: null,
      mode: 'live',
      actor: { type: 'agent', id: 'run-1', label: 'Connector Agent', userId: adminUserId },
      permissions: new Set(),
      requestId: null,
    };
    await t.database.db.tenant(agent, (sql) =>
      recordAudit(sql, {
        tenant: agent,
        action: 'connector.create',
        resourceType: 'connector',
        resourceId: randomUUID(),
      }),
    );
  }, 60_000);
  afterAll(() => t.close());

  it('filters by key, person, agent, action, resource and time', async () => {
    expect(adminUserId).not.toBe('');
    const byKey = await get(`actorType=api_key&actor=${adminKeyId}`);
    expect(byKey.data.map((e) => e.action)).toEqual(['customer.update', 'customer.create']);
    // The person: their key's writes and their agent's.
    const byPerson = await get(`userId=${adminUserId}`);
    // (The first is the key's own creation, which the test helper does as the operator for them.)
    expect(byPerson.data.map((e) => `${e.actorType} ${e.action}`)).toEqual([
      'agent connector.create',
      'api_key customer.update',
      'api_key customer.create',
      'cli api_key.create',
    ]);
    const byAgent = await get('actorType=agent');
    expect(byAgent.data).toHaveLength(1);
    expect(byAgent.data[0]).toMatchObject({ actorId: 'run-1', action: 'connector.create' });

    expect((await get('action=customer.create')).data).toHaveLength(3);
    expect((await get('action=customer.')).data.map((e) => e.action).sort()).toEqual([
      'customer.create',
      'customer.create',
      'customer.create',
      'customer.update',
    ]);
    const resource = await get(`resourceType=customer&resource=${customerIds[0]}`);
    expect(resource.data.map((e) => e.action)).toEqual(['customer.update', 'customer.create']);

    const all = (await get('action=customer.')).data;
    const oldest = all.at(-1)?.createdAt ?? '';
    const newest = all[0]?.createdAt ?? '';
    expect((await get(`action=customer.&until=${encodeURIComponent(oldest)}`)).data).toEqual([]);
    expect((await get(`action=customer.&since=${encodeURIComponent(newest)}`)).data).toHaveLength(
      1,
    );
  });

  it('pages through with the cursor', async () => {
    const first = await get('action=customer.&limit=3');
    expect(first.data).toHaveLength(3);
    expect(first.nextCursor).not.toBeNull();
    const second = await get(`action=customer.&limit=3&cursor=${first.nextCursor ?? ''}`);
    expect(second.data).toHaveLength(1);
    const ids = [...first.data, ...second.data].map((e) => e.id);
    expect(new Set(ids).size).toBe(4);
  });

  it('needs settings:read', async () => {
    const tenant: Tenant = {
      orgId: org.organization.id,
      customerId: null,
      mode: 'live',
      actor: { type: 'api_key', id: null, label: null, userId: null },
      permissions: new Set(['workflows:read', 'customers:read']),
      requestId: null,
    };
    await expect(
      queryAudit({ db: t.database.db, tenant, query: { limit: 10 } }),
    ).rejects.toMatchObject({ code: 'forbidden', details: { permission: 'settings:read' } });
  });

  it('keeps entries for the retention period and deletes only what is past it', async () => {
    const orgId = org.organization.id;
    const retention = await t.app.inject({
      method: 'GET',
      url: '/api/v1/audit-log/retention',
      headers: withKey(org.liveKey),
    });
    expect(retention.json()).toEqual({ days: 365 });
    const tooShort = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/audit-log/retention',
      headers: withKey(org.liveKey),
      payload: { days: 1 },
    });
    expect(tooShort.statusCode).toBe(422);
    // Entries from 400, 100 and 10 days ago.
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000);
    await t.database.db.tenant({ orgId }, async (sql) => {
      for (const days of [400, 100, 10]) {
        await sql.query(
          `INSERT INTO audit_log (org_id, actor_type, action, resource_type, created_at)
           VALUES ($1, 'system', 'old.entry', 'test', $2)`,
          [orgId, ago(days)],
        );
      }
    });
    const count = async () => (await get('action=old.entry')).data.length;
    expect(await count()).toBe(3);
    // The application role cannot delete what is inside the retention, even asking for all of it.
    await t.database.db.tenant({ orgId }, (sql) => sql.query('DELETE FROM audit_log'));
    expect(await count()).toBe(2);
    expect((await get('action=customer.')).data).toHaveLength(4);

    const set = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/audit-log/retention',
      headers: withKey(org.liveKey),
      payload: { days: 30 },
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(await purgeExpiredAudit({ db: t.database.db })).toBe(1);
    expect((await get('action=old.entry')).data.map((e) => e.createdAt.slice(0, 10))).toEqual([
      ago(10).toISOString().slice(0, 10),
    ]);
    const changed = (await get('action=audit.retention.set')).data[0];
    expect(changed).toMatchObject({ resourceType: 'audit_log' });
  });
});
