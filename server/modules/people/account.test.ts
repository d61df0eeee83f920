// Your own account (password, sessions) and deleting an organization, over HTTP on both drivers.
import type { LightMyRequestResponse } from 'fastify';
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
import { tenantColumnOf, tenantTables } from '../../db/catalog-audit.ts';
import { operatorTenant } from '../../domain/tenant.ts';
import type { AccountSession } from '../../domain/account.ts';
import { passwordLink } from './people.service.ts';

interface Session {
  cookie: string;
  csrf: string;
}
type Auth = string | Session;

const PASSWORD = 'correct horse battery';

describe.each(TEST_DRIVERS)('your account and deleting the organization (%s)', (driver) => {
  let t: TestApp;

  const call = (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    auth: Auth,
    payload?: object,
  ): Promise<LightMyRequestResponse> =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers:
        typeof auth === 'string'
          ? withKey(auth)
          : { cookie: auth.cookie, 'x-weft-csrf': auth.csrf },
      ...(payload && { payload }),
    });

  const sessionOf = (res: LightMyRequestResponse): Session => {
    const cookie = res.cookies.find((c) => c.name === 'weft_session');
    if (!cookie) throw new Error(`no session cookie: ${res.statusCode} ${res.body}`);
    return {
      cookie: `weft_session=${cookie.value}`,
      csrf: res.json<{ csrfToken: string }>().csrfToken,
    };
  };

  const accept = async (link: string, password = PASSWORD): Promise<Session> => {
    const token = new URL(link).hash.replace('#token=', '');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/accept-invite',
      payload: { token, password },
    });
    expect(res.statusCode, res.body).toBe(200);
    return sessionOf(res);
  };

  const signIn = (
    email: string,
    password: string,
    orgId: string,
    headers: Record<string, string> = {},
  ) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email, password, orgId },
      headers,
    });

  /** The org's owner, with a password: a link as `weft people link` makes, accepted. */
  const ownerSession = async (org: SeededOrg): Promise<Session> => {
    const link = await passwordLink({
      db: t.database.db,
      tenant: operatorTenant({
        orgId: org.organization.id,
        userId: org.owner.id,
        label: 'test',
      }),
      email: org.owner.email,
      baseUrl: 'http://localhost',
    });
    return accept(link.link);
  };

  const invite = async (org: SeededOrg, email: string, role: string): Promise<Session> => {
    const res = await call('POST', '/people/invitations', org.liveKey, { email, role });
    expect(res.statusCode, res.body).toBe(201);
    return accept(res.json<{ link: string }>().link);
  };

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
  }, 60_000);
  afterAll(() => t.close());

  it('changes your password with the current one, ending your other sessions', async () => {
    const org = await seedOrg(t, 'Passwords');
    const orgId = org.organization.id;
    const email = 'ada@passwords.test';
    const first = await invite(org, email, 'developer');
    const second = sessionOf(await signIn(email, PASSWORD, orgId));

    const listed = await call('GET', '/auth/sessions', first);
    expect(listed.statusCode, listed.body).toBe(200);
    const sessions = listed.json<{ data: AccountSession[] }>().data;
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);

    const wrong = await call('POST', '/auth/password', first, {
      currentPassword: 'not the password',
      newPassword: 'a brand new password',
    });
    expect(wrong.statusCode).toBe(403);
    expect((await call('GET', '/auth/session', second)).statusCode).toBe(200);

    const changed = await call('POST', '/auth/password', first, {
      currentPassword: PASSWORD,
      newPassword: 'a brand new password',
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toEqual({ endedSessions: 1 });
    expect((await call('GET', '/auth/session', first)).statusCode).toBe(200);
    expect((await call('GET', '/auth/session', second)).statusCode).toBe(401);
    expect((await signIn(email, PASSWORD, orgId)).statusCode).toBe(401);
    expect((await signIn(email, 'a brand new password', orgId)).statusCode).toBe(200);

    const audit = await t.database.db.owner((sql) =>
      sql.query<{ action: string }>(
        "SELECT action FROM audit_log WHERE org_id = $1 AND action = 'person.change_password'",
        [orgId],
      ),
    );
    expect(audit).toHaveLength(1);
  });

  it('limits password tries to 10 a minute per person', async () => {
    const org = await seedOrg(t, 'Guessing');
    const session = await invite(org, 'eve@guessing.test', 'viewer');
    const tries = [];
    for (let i = 0; i < 11; i++) {
      tries.push(
        (
          await call('POST', '/auth/password', session, {
            currentPassword: `guess number ${i}`,
            newPassword: 'a brand new password',
          })
        ).statusCode,
      );
    }
    expect(tries).toEqual([...Array<number>(10).fill(403), 429]);
  });

  it('lists your sessions and signs out one, or all but this one; never anyone else’s', async () => {
    const org = await seedOrg(t, 'Sessions');
    const orgId = org.organization.id;
    const email = 'bo@sessions.test';
    const mine = await invite(org, email, 'viewer');
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
    const other = sessionOf(await signIn(email, PASSWORD, orgId, { 'user-agent': firefox }));
    const third = sessionOf(
      await signIn(email, PASSWORD, orgId, { 'user-agent': `${'x'.repeat(400)}` }),
    );
    const someoneElse = await invite(org, 'cy@sessions.test', 'viewer');

    const list = async (auth: Auth) =>
      (await call('GET', '/auth/sessions', auth)).json<{ data: AccountSession[] }>().data;
    const [theirs] = await list(someoneElse);
    expect((await call('DELETE', `/auth/sessions/${theirs?.id}`, mine)).statusCode).toBe(404);
    expect((await call('GET', '/auth/session', someoneElse)).statusCode).toBe(200);

    // Each session says where it was started; a User-Agent is kept to its first 300 characters.
    const seen = await list(other);
    expect(seen.find((s) => s.current)).toMatchObject({ userAgent: firefox, ip: '127.0.0.1' });
    expect(seen.map((s) => s.userAgent?.length)).toContain(300);
    const otherId = seen.find((s) => s.current)?.id;
    expect((await call('DELETE', `/auth/sessions/${otherId}`, mine)).statusCode).toBe(204);
    expect((await call('GET', '/auth/session', other)).statusCode).toBe(401);
    expect(await list(mine)).toHaveLength(2);

    const all = await call('DELETE', '/auth/sessions', mine);
    expect(all.json()).toEqual({ endedSessions: 1 });
    expect((await call('GET', '/auth/session', third)).statusCode).toBe(401);
    expect((await call('GET', '/auth/session', someoneElse)).statusCode).toBe(200);

    // Ending the session you are using signs you out and clears the cookie.
    const [current] = await list(mine);
    const self = await call('DELETE', `/auth/sessions/${current?.id}`, mine);
    expect(self.statusCode).toBe(204);
    expect(self.cookies.find((c) => c.name === 'weft_session')?.value).toBe('');
    expect((await call('GET', '/auth/session', mine)).statusCode).toBe(401);
  });

  it('cascades every tenant table from organizations, so deleting an org leaves nothing', async () => {
    const { tables, cascades } = await t.database.db.owner(async (sql) => ({
      tables: await tenantTables(sql),
      cascades: await sql.query<{ child: string; parent: string }>(
        `SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent
           FROM pg_constraint WHERE contype = 'f' AND confdeltype = 'c'`,
      ),
    }));
    const reached = new Set(['organizations']);
    for (let grew = true; grew;) {
      grew = false;
      for (const { child, parent } of cascades) {
        if (reached.has(parent) && !reached.has(child)) {
          reached.add(child);
          grew = true;
        }
      }
    }
    expect(tables.filter((table) => !reached.has(table))).toEqual([]);
  });

  it('deletes the organization for its owner only, given its name; its keys and sessions stop at once', async () => {
    const doomed = await seedOrg(t, 'Doomed');
    const kept = await seedOrg(t, 'Kept');
    const doomedId = doomed.organization.id;
    const owner = await ownerSession(doomed);
    const admin = await invite(doomed, 'ada@doomed.test', 'admin');
    const adminKey = await seedUserKey(t, doomed, 'admin', 'live');
    for (const org of [doomed, kept]) {
      const res = await call('POST', '/customers', org.liveKey, { name: 'Acme' });
      expect(res.statusCode, res.body).toBe(201);
    }
    // Used once, so every key is in the auth cache when the org goes.
    for (const auth of [doomed.liveKey, adminKey, owner, admin, kept.liveKey]) {
      expect((await call('GET', '/customers', auth)).statusCode).toBe(200);
    }

    const confirm = { name: 'Doomed' };
    for (const auth of [adminKey, admin]) {
      const refused = await call('DELETE', '/organization', auth, confirm);
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.json<{ error: { details: { rule: string } } }>().error.details.rule).toBe(
        'owner_only',
      );
    }
    const misnamed = await call('DELETE', '/organization', owner, { name: 'doomed' });
    expect(misnamed.statusCode, misnamed.body).toBe(400);
    expect((await call('GET', '/customers', doomed.liveKey)).statusCode).toBe(200);

    // The CLI's default org, as a first start leaves it.
    await t.database.db.owner((sql) =>
      sql.query(
        `INSERT INTO installation (default_org_id) VALUES ($1)
         ON CONFLICT (singleton) DO UPDATE SET default_org_id = excluded.default_org_id`,
        [doomedId],
      ),
    );
    const deleted = await call('DELETE', '/organization', doomed.liveKey, confirm);
    expect(deleted.statusCode, deleted.body).toBe(204);
    // The org's audit log went with it: the server log holds the record, written once.
    const records = t.logs
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('deleting organization'))
      .map((line) => JSON.parse(line) as { audit: Record<string, unknown> });
    expect(records.map((r) => r.audit)).toEqual([
      {
        action: 'organization.delete',
        orgId: doomedId,
        name: 'Doomed',
        by: { userId: doomed.owner.id, label: doomed.owner.email },
        requestId: deleted.headers['x-request-id'],
      },
    ]);

    for (const auth of [doomed.liveKey, doomed.testKey, adminKey, owner, admin]) {
      expect((await call('GET', '/customers', auth)).statusCode).toBe(401);
    }
    expect((await signIn('ada@doomed.test', PASSWORD, doomedId)).statusCode).toBe(401);

    const left = await t.database.db.owner(async (sql) => {
      const counts: Record<string, number> = {};
      for (const table of await tenantTables(sql)) {
        const [row] = await sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE ${tenantColumnOf(table)} = $1`,
          [doomedId],
        );
        if ((row?.n ?? 0) > 0) counts[table] = row?.n ?? 0;
      }
      const [registered] = await sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM org_registry WHERE org_id = $1',
        [doomedId],
      );
      const [installation] = await sql.query<{ default_org_id: string }>(
        'SELECT default_org_id FROM installation',
      );
      const [oldest] = await sql.query<{ org_id: string }>(
        'SELECT org_id FROM org_registry ORDER BY created_at, org_id LIMIT 1',
      );
      return {
        counts,
        registered: registered?.n,
        // The default moves to the oldest org left.
        defaultIsOldest:
          installation?.default_org_id !== doomedId &&
          installation?.default_org_id === oldest?.org_id,
      };
    });
    expect(left).toEqual({ counts: {}, registered: 0, defaultIsOldest: true });

    const keptCustomers = await call('GET', '/customers', kept.liveKey);
    expect(keptCustomers.statusCode).toBe(200);
    expect(keptCustomers.json<{ data: { name: string }[] }>().data.map((c) => c.name)).toEqual([
      'Acme',
    ]);
  });
});
