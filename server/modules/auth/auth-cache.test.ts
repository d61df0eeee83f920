import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { createTestDatabase, TEST_DRIVERS, type TestDatabase } from '../../../test/db.ts';
import { buildApp } from '../../../app/http.ts';
import { createServices } from '../../../app/services.ts';
import { createKeyring, generateMasterKey, parseMasterKey } from '../../crypto/envelope.ts';
import type { App } from '../../http/types.ts';
import { createLogger } from '../../logger.ts';
import { loadConfig } from '../../config.ts';
import { announceAuthChange, createAuthCache } from './auth-cache.ts';

describe.each(TEST_DRIVERS)('auth cache (%s)', (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(driver);
  });
  afterAll(() => t.close());

  const entry = {
    keyId: 'k1',
    orgId: 'o1',
    userId: 'u1',
    kind: 'test' as const,
    permissions: [],
    lastUsedAt: null,
  };

  it('expires entries after the TTL and keeps at most maxEntries', async () => {
    let clock = 1_000;
    const cache = await createAuthCache({ db: t.db, ttlMs: 100, maxEntries: 2, now: () => clock });
    try {
      cache.set('a', entry);
      expect(cache.get('a')?.keyId).toBe('k1');
      clock += 101;
      expect(cache.get('a')).toBeUndefined();
      cache.set('a', entry);
      cache.set('b', entry);
      cache.set('c', entry);
      expect(cache.size).toBe(2);
      expect(cache.get('a')).toBeUndefined();
    } finally {
      await cache.close();
    }
  });

  it('drops entries named by a committed change, and keeps them if the change rolls back', async () => {
    const cache = await createAuthCache({ db: t.db });
    try {
      cache.set('a', entry);
      cache.set('b', { ...entry, keyId: 'k2', userId: 'u2' });
      const orgId = crypto.randomUUID();
      await expect(
        t.db.tenant({ orgId }, async (sql) => {
          await announceAuthChange(sql, { keyId: 'k1' });
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(cache.get('a')).toBeDefined();
      await t.db.tenant({ orgId }, (sql) => announceAuthChange(sql, { keyId: 'k1' }));
      expect(cache.get('a')).toBeUndefined();
      expect(cache.get('b')).toBeDefined();
      await t.db.tenant({ orgId }, (sql) => announceAuthChange(sql, { userId: 'u2' }));
      expect(cache.get('b')).toBeUndefined();
    } finally {
      await cache.close();
    }
  });
});

describe.skipIf(!TEST_DRIVERS.includes('pg'))(
  'revocation across processes sharing one Postgres',
  () => {
    let a: TestApp;
    let b: App;
    let org: SeededOrg;

    beforeAll(async () => {
      a = await createTestApp('pg', { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
      org = await seedOrg(a, 'Shared');
      // A second API node: its own pool, cache and LISTEN connection on the same database.
      const { createPgDatabase } = await import('../../db/pg-database.ts');
      const dbB = createPgDatabase({ url: a.database.url ?? '', poolSize: 4 });
      const config = loadConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        WEFT_RATE_LIMIT_PER_MINUTE: '100000',
      });
      const servicesB = await createServices({
        config,
        logger: createLogger('silent'),
        db: dbB,
        keyring: createKeyring({ active: parseMasterKey(generateMasterKey()) }),
      });
      b = await buildApp(servicesB);
      b.addHook('onClose', async () => {
        await servicesB.close();
        await dbB.close();
      });
      await b.ready();
    });
    afterAll(async () => {
      await b.close();
      await a.close();
    });

    async function newKey(): Promise<{ id: string; key: string }> {
      const res = await a.app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: withKey(org.liveKey),
        payload: { name: 'k', kind: 'test' },
      });
      return res.json<{ id: string; key: string }>();
    }

    it('a key revoked on one node stops working on the other as soon as the revocation commits', async () => {
      const { id, key } = await newKey();
      expect(
        (await b.inject({ method: 'GET', url: '/api/v1/customers', headers: withKey(key) }))
          .statusCode,
      ).toBe(200);
      expect(
        (
          await a.app.inject({
            method: 'POST',
            url: `/api/v1/api-keys/${id}/revoke`,
            headers: withKey(org.liveKey),
          })
        ).statusCode,
      ).toBe(200);
      // Delivery is asynchronous but immediate; poll briefly rather than sleep.
      await expect
        .poll(
          async () =>
            (await b.inject({ method: 'GET', url: '/api/v1/customers', headers: withKey(key) }))
              .statusCode,
          { timeout: 2000, interval: 20 },
        )
        .toBe(401);
    });

    it('when the LISTEN connection drops, nothing is served from the cache', async () => {
      const { id, key } = await newKey();
      expect(
        (await b.inject({ method: 'GET', url: '/api/v1/customers', headers: withKey(key) }))
          .statusCode,
      ).toBe(200);
      // Cut every LISTEN connection to this database, then revoke behind the cache's back (no NOTIFY).
      await a.database.db.owner(async (sql) => {
        await sql.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'weft-listen' AND datname = current_database()`,
        );
        await sql.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [id]);
      });
      await expect
        .poll(
          async () =>
            (await b.inject({ method: 'GET', url: '/api/v1/customers', headers: withKey(key) }))
              .statusCode,
          { timeout: 2000, interval: 20 },
        )
        .toBe(401);
    });
  },
);
