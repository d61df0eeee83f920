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
import type { CreatedInvitation, Person, RoleDefinition } from '../../domain/people.ts';

interface Session {
  cookie: string;
  csrf: string;
}

describe.each(TEST_DRIVERS)('people, sign-in and roles (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let owner: string;

  const call = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    auth: string | Session,
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

  const tokenOf = (invitation: CreatedInvitation) =>
    new URL(invitation.link).hash.replace('#token=', '');

  const sessionOf = (res: LightMyRequestResponse): Session => {
    const cookie = res.cookies.find((c) => c.name === 'weft_session');
    if (!cookie) throw new Error(`no session cookie: ${res.statusCode} ${res.body}`);
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Strict');
    return {
      cookie: `weft_session=${cookie.value}`,
      csrf: res.json<{ csrfToken: string }>().csrfToken,
    };
  };

  async function join(
    email: string,
    role: string,
    password = 'correct horse battery',
  ): Promise<Session> {
    const invited = await call('POST', '/people/invitations', owner, { email, role });
    expect(invited.statusCode, invited.body).toBe(201);
    const accepted = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/accept-invite',
      payload: { token: tokenOf(invited.json<CreatedInvitation>()), password, name: email },
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
    return sessionOf(accepted);
  }

  const personId = async (email: string) =>
    (await call('GET', '/people', owner))
      .json<{ data: Person[] }>()
      .data.find((p) => p.email === email)?.id ?? '';

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    org = await seedOrg(t, 'People');
    owner = org.liveKey;
  });
  afterAll(() => t.close());

  it('invites by email with a one-time link that is returned and logged, never stored; accepting signs the person in', async () => {
    const invited = await call('POST', '/people/invitations', owner, {
      email: 'Dev@People.Test',
      role: 'developer',
    });
    expect(invited.statusCode, invited.body).toBe(201);
    const invitation = invited.json<CreatedInvitation>();
    expect(invitation).toMatchObject({ email: 'dev@people.test', role: 'developer' });
    expect(invitation.link).toMatch(/\/accept-invite#token=[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    const token = tokenOf(invitation);
    expect(t.logs.join('')).toContain(invitation.link);
    const stored = await t.database.db.owner((sql) =>
      sql.query<Record<string, unknown>>('SELECT * FROM invitations'),
    );
    expect(JSON.stringify(stored)).not.toContain(token.split('.')[1]);

    const weak = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/accept-invite',
      payload: { token, password: 'short' },
    });
    expect(weak.statusCode).toBe(422);
    const accepted = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/accept-invite',
      payload: { token, password: 'a developer password', name: 'Dee' },
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
    const session = sessionOf(accepted);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/accept-invite',
      payload: { token, password: 'a developer password' },
    });
    expect(again.statusCode).toBe(400);

    const me = await call('GET', '/auth/session', session);
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({
      user: { email: 'dev@people.test', name: 'Dee' },
      org: { id: org.organization.id },
      role: 'developer',
      csrfToken: session.csrf,
    });
    expect(me.json<{ permissions: string[] }>().permissions).toHaveLength(34);
    const hashes = await t.database.db.owner((sql) =>
      sql.query<{ password_hash: string }>(
        "SELECT password_hash FROM users WHERE email = 'dev@people.test'",
      ),
    );
    expect(hashes[0]?.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(JSON.stringify(hashes)).not.toContain('a developer password');
  });

  it('signs in with email and password into an HttpOnly cookie; a wrong password or unknown email is one answer; sign-out ends it', async () => {
    await join('signin@people.test', 'viewer', 'the right password');
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: 'signin@people.test', password: 'the wrong password' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: 'nobody@people.test', password: 'the right password' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json<{ error: { message: string } }>().error.message).toBe(
      unknown.json<{ error: { message: string } }>().error.message,
    );
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: ' SignIn@People.test', password: 'the right password' },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const session = sessionOf(ok);
    expect((await call('GET', '/connectors', session)).statusCode).toBe(200);
    // A viewer's session is refused what a viewer may not do, naming the permission.
    const refused = await call('POST', '/customers', session, { name: 'x' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { details: { permission: 'customers:write' } } });

    const out = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-out',
      headers: { cookie: session.cookie },
    });
    expect(out.statusCode).toBe(204);
    expect((await call('GET', '/connectors', session)).statusCode).toBe(401);
  });

  it('changes a role with effect on the next request of every key and session; removing a person stops them at once', async () => {
    const session = await join('ops@people.test', 'developer');
    const key = (await call('POST', '/api-keys', session, { name: 'ops key', kind: 'live' })).json<{
      key: string;
    }>().key;
    expect((await call('POST', '/connectors', key, {})).statusCode).not.toBe(403);
    const id = await personId('ops@people.test');

    const changed = await call('PATCH', `/people/${id}`, owner, { role: 'operator' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ role: 'operator' });
    for (const auth of [key, session]) {
      const res = await call('POST', '/connectors', auth, {});
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: { details: { permission: 'connectors:create' } } });
    }

    expect((await call('DELETE', `/people/${id}`, owner)).statusCode).toBe(204);
    expect((await call('GET', '/connectors', key)).statusCode).toBe(401);
    expect((await call('GET', '/connectors', session)).statusCode).toBe(401);
  });

  it('keeps one owner: the owner is neither demoted nor removed, and only the owner transfers ownership', async () => {
    const ownerId = org.owner.id;
    expect((await call('PATCH', `/people/${ownerId}`, owner, { role: 'admin' })).statusCode).toBe(
      409,
    );
    expect((await call('DELETE', `/people/${ownerId}`, owner)).statusCode).toBe(409);
    expect(
      (await call('POST', '/people/invitations', owner, { email: 'o@people.test', role: 'owner' }))
        .statusCode,
    ).toBe(422);

    const admin = await join('admin@people.test', 'admin');
    const adminId = await personId('admin@people.test');
    const notOwner = await call('POST', '/people/transfer-ownership', admin, { userId: adminId });
    expect(notOwner.statusCode).toBe(403);
    expect(notOwner.json<{ error: { message: string } }>().error.message).toContain(
      'only the owner',
    );

    const moved = await call('POST', '/people/transfer-ownership', owner, { userId: adminId });
    expect(moved.statusCode, moved.body).toBe(200);
    const people = moved.json<{ data: Person[] }>().data;
    expect(people.filter((p) => p.owner).map((p) => p.id)).toEqual([adminId]);
    expect(people.find((p) => p.id === ownerId)?.role).toBe('admin');
    // And back, by the new owner.
    const back = await call('POST', '/people/transfer-ownership', admin, { userId: ownerId });
    expect(back.statusCode, back.body).toBe(200);
    const owners = await t.database.db.owner((sql) =>
      sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM memberships WHERE org_id = $1 AND role = 'owner'",
        [org.organization.id],
      ),
    );
    expect(owners[0]?.n).toBe(1);
  });

  it('custom roles: duplicate a system role, change it, assign it; system roles cannot change; a role in use cannot go', async () => {
    const roles = (await call('GET', '/roles', owner)).json<{ data: RoleDefinition[] }>().data;
    expect(roles.filter((r) => r.system).map((r) => [r.slug, r.permissions.length])).toEqual([
      ['owner', 39],
      ['admin', 39],
      ['developer', 34],
      ['operator', 18],
      ['viewer', 7],
      ['end_user', 9],
    ]);
    const dup = await call('POST', '/roles/viewer/duplicate', owner, {
      slug: 'auditor',
      name: 'Auditor',
    });
    expect(dup.statusCode, dup.body).toBe(201);
    expect(dup.json()).toMatchObject({ slug: 'auditor', system: false });
    expect(dup.json<RoleDefinition>().permissions).toHaveLength(7);
    expect((await call('PATCH', '/roles/viewer', owner, { name: 'x' })).statusCode).toBe(409);

    const session = await join('auditor@people.test', 'auditor');
    expect((await call('GET', '/secrets', session)).statusCode).toBe(403);
    const widened = await call('PATCH', '/roles/auditor', owner, {
      permissions: [...dup.json<RoleDefinition>().permissions, 'secrets:read'],
    });
    expect(widened.statusCode, widened.body).toBe(200);
    expect((await call('GET', '/secrets', session)).statusCode).toBe(200);
    expect((await call('DELETE', '/roles/auditor', owner)).statusCode).toBe(409);
    expect((await call('DELETE', '/roles/viewer', owner)).statusCode).toBe(409);
  });

  it('nobody grants what they do not hold: a people manager without secrets cannot hand out a role with them', async () => {
    const made = await call('POST', '/roles', owner, {
      slug: 'people_manager',
      name: 'People manager',
      permissions: ['people:read', 'people:write', 'connectors:read'],
    });
    expect(made.statusCode, made.body).toBe(201);
    const manager = await join('manager@people.test', 'people_manager');
    const asAdmin = await call('POST', '/people/invitations', manager, {
      email: 'x@people.test',
      role: 'admin',
    });
    expect(asAdmin.statusCode).toBe(403);
    const selfMade = await call('POST', '/roles', manager, {
      slug: 'everything',
      name: 'Everything',
      permissions: ['secrets:write'],
    });
    expect(selfMade.statusCode).toBe(403);
    const asViewer = await call('POST', '/people/invitations', manager, {
      email: 'y@people.test',
      role: 'people_manager',
    });
    expect(asViewer.statusCode, asViewer.body).toBe(201);
  });

  it('another org cannot see or touch these people, invitations or roles', async () => {
    const other = await seedOrg(t, 'Elsewhere');
    const id = await personId('auditor@people.test');
    expect(
      (await call('PATCH', `/people/${id}`, other.liveKey, { role: 'viewer' })).statusCode,
    ).toBe(404);
    expect((await call('DELETE', `/people/${id}`, other.liveKey)).statusCode).toBe(404);
    const theirs = (await call('GET', '/people', other.liveKey)).json<{ data: Person[] }>().data;
    expect(theirs.map((p) => p.email)).toEqual([other.owner.email]);
    const roles = (await call('GET', '/roles', other.liveKey)).json<{ data: RoleDefinition[] }>()
      .data;
    expect(roles.some((r) => r.slug === 'auditor')).toBe(false);
    const key = await seedUserKey(t, other, 'viewer');
    expect((await call('GET', '/people', key)).statusCode).toBe(403);
  });
});
