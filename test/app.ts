import { Writable } from 'node:stream';
import type { RouteOptions } from 'fastify';
import { loadConfig, type Config } from '../server/config.ts';
import { buildApp } from '../app/http.ts';
import {
  createKeyring,
  generateMasterKey,
  parseMasterKey,
  type Keyring,
} from '../server/crypto/envelope.ts';
import type { App } from '../server/http/types.ts';
import { createLogger } from '../server/logger.ts';
import {
  createOrganization,
  type CreatedOrganization,
} from '../server/modules/orgs/orgs.service.ts';
import { createTestDatabase, type TestDatabase, type TestDriver } from './db.ts';
import { tenantTables } from '../server/db/catalog-audit.ts';
import { insertMembership, insertUser } from '../server/db/repositories/orgs.repo.ts';
import { operatorTenant, type Mode, type Role } from '../server/domain/tenant.ts';
import { insertApiKey } from '../server/modules/api-keys/api-keys.service.ts';
import { createServices } from '../app/services.ts';
import { startWorkers } from '../app/workers.ts';

export interface TestApp {
  app: App;
  database: TestDatabase;
  config: Config;
  /** The master keyring the app seals secrets with. */
  keyring: Keyring;
  /** Every log line the app wrote, as text. */
  logs: string[];
  close(): Promise<void>;
}

export async function createTestApp(
  driver: TestDriver,
  {
    env = {},
    poolSize,
    workers = false,
    onRoute,
  }: {
    env?: Record<string, string>;
    poolSize?: number;
    /** Also run the async workflow workers in this process, with quick queue polling. */
    workers?: boolean;
    /** Sees every route the app registers (to list them all). */
    onRoute?: (route: RouteOptions) => void;
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase(driver, poolSize === undefined ? {} : { poolSize });
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', ...env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const keyring = createKeyring({ active: parseMasterKey(generateMasterKey()) });
  const services = await createServices({
    config,
    logger,
    db: database.db,
    keyring,
    ...(workers && {
      queueOptions: { pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1 },
    }),
  });
  const app = await buildApp(services, onRoute ? { onRoute } : {});
  await app.ready();
  const running = workers ? await startWorkers(services) : null;
  return {
    app,
    database,
    config,
    keyring,
    logs,
    async close() {
      await running?.close();
      await app.close();
      await services.close();
      await database.close();
    },
  };
}

export interface SeededOrg extends CreatedOrganization {
  testKey: string;
  liveKey: string;
}

export async function seedOrg(t: TestApp, name: string): Promise<SeededOrg> {
  const created = await createOrganization({
    db: t.database.db,
    name,
    ownerEmail: `owner@${name.toLowerCase().replace(/\W/g, '')}.test`,
    actorLabel: 'test',
  });
  const testKey = created.keys.find((k) => k.kind === 'test')?.key;
  const liveKey = created.keys.find((k) => k.kind === 'live')?.key;
  if (!testKey || !liveKey) throw new Error('seeded org lacks keys');
  return { ...created, testKey, liveKey };
}

export function withKey(key: string, headers: Record<string, string> = {}): Record<string, string> {
  return { 'x-fastn-api-key': key, ...headers };
}

/** A further user of the org with the given role, and a key that acts for them. */
export async function seedUserKey(
  t: TestApp,
  org: SeededOrg,
  role: Role,
  kind: Mode = 'test',
): Promise<string> {
  const orgId = org.organization.id;
  return t.database.db.tenant({ orgId }, async (sql) => {
    // There is one owner: an owner key is another key of theirs.
    if (role === 'owner') {
      const tenant = operatorTenant({ orgId, userId: org.owner.id, label: 'test' });
      return (await insertApiKey(sql, { tenant, userId: org.owner.id, name: 'owner key', kind }))
        .key;
    }
    const user = await insertUser(sql, {
      orgId,
      email: `${role}-${Math.random().toString(36).slice(2)}@x.test`,
      name: role,
    });
    await insertMembership(sql, { orgId, userId: user.id, role });
    const tenant = operatorTenant({ orgId, userId: user.id, label: 'test' });
    return (await insertApiKey(sql, { tenant, userId: user.id, name: `${role} key`, kind })).key;
  });
}

/** Row counts of every tenant table, read as the owner: to prove a rejected request wrote nothing. */
export async function rowCounts(t: TestApp): Promise<Record<string, number>> {
  return t.database.db.owner(async (sql) => {
    const counts: Record<string, number> = {};
    for (const table of await tenantTables(sql)) {
      // The test databases are owned by a superuser, which RLS does not restrict.
      const [row] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      counts[table] = row?.n ?? 0;
    }
    return counts;
  });
}
