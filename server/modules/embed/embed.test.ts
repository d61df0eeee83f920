// The connect widget's server side through the real app (PGlite, and Postgres when configured)
// and a fake SaaS on loopback: widgets are checked against what exists; tokens are minted only
// with connections:create and refused when tampered, expired, revoked or for a deleted widget;
// a refused key leaves nothing behind and reports the provider's reason; a good one activates
// (an app-event trigger subscribed at the provider, a run in the execution log) and disconnecting
// deactivates (a "disconnected" run, the trigger and the provider's subscription gone); one
// customer's token cannot see or touch another's connection; the onboarding chat's answers
// become the filter on the customer's trigger.
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
import {
  fakeSaasConnector,
  startFakeSaas,
  type FakeSaas,
} from '../../../test/fixtures/fake-saas.ts';
import { startFixtures, type Fixtures } from '../../../test/fixtures/index.ts';
import { createKeyring, generateMasterKey, parseMasterKey } from '../../crypto/envelope.ts';
import { readFileSync } from 'node:fs';
import { embedSnippet } from './widgets.service.ts';
import { EMBED_PERMISSIONS, signToken, verifyToken, type Claims } from './tokens.ts';

const ids = {
  org: '00000000-0000-4000-8000-000000000001',
  cus: '00000000-0000-4000-8000-000000000002',
  wid: '00000000-0000-4000-8000-000000000003',
  jti: '00000000-0000-4000-8000-000000000004',
};

describe('embed tokens', () => {
  const keyring = createKeyring({ active: parseMasterKey(generateMasterKey()) });
  const now = Math.floor(Date.now() / 1000);
  const claims: Claims = { ...ids, usr: null, iat: now, exp: now + 300 };

  it('round-trips, and carries ids and times only', () => {
    const token = signToken({ keyring, claims });
    expect(verifyToken({ keyring, token })).toEqual(claims);
    const payload = JSON.parse(Buffer.from(token.split('.')[2]!, 'base64url').toString());
    expect(Object.keys(payload).sort()).toEqual(['cus', 'exp', 'iat', 'jti', 'org', 'usr', 'wid']);
  });

  it('refuses a changed claim, a foreign key, garbage and an expired token', () => {
    const token = signToken({ keyring, claims });
    const [v, kid, , mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, cus: ids.wid })).toString('base64url');
    const reason = (t: string, at?: number) => {
      try {
        verifyToken({ keyring, token: t, ...(at !== undefined && { now: at }) });
        return 'accepted';
      } catch (error) {
        return (error as { details?: { reason?: string } }).details?.reason;
      }
    };
    expect(reason(`${v}.${kid}.${forged}.${mac}`)).toBe('bad_signature');
    const other = createKeyring({ active: parseMasterKey(generateMasterKey()) });
    expect(reason(signToken({ keyring: other, claims }))).toBe('bad_signature');
    expect(reason('nonsense')).toBe('malformed');
    expect(reason(token, (now + 301) * 1000)).toBe('expired');
  });

  it('stays valid across a master key rotation (the old key is still in the ring)', () => {
    const old = parseMasterKey(generateMasterKey());
    const before = createKeyring({ active: old });
    const token = signToken({ keyring: before, claims });
    const after = createKeyring({ active: parseMasterKey(generateMasterKey()), previous: [old] });
    expect(verifyToken({ keyring: after, token }).jti).toBe(ids.jti);
  });
});

describe('the End User tenant and the README snippet', () => {
  it('a widget token holds exactly the nine End User permissions', () => {
    expect([...EMBED_PERMISSIONS].sort()).toEqual([
      'connections:create',
      'connections:delete',
      'connections:execute',
      'connections:read',
      'connections:update',
      'connectors:read',
      'tools:read',
      'workflows:read',
      'workflows:update',
    ]);
  });

  it('set_widget hands back the snippet the README shows', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Connect widget\n'));
    const shown = /```html\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(embedSnippet({ baseUrl: 'https://weft.example.com' })).toBe(shown);
  });
});

describe.each(TEST_DRIVERS)('connect widget API (%s)', (driver) => {
  let saas: FakeSaas;
  let fx: Fixtures;
  let t: TestApp;
  let org: SeededOrg;
  let acme: string;
  let globex: string;

  const api = async (method: string, url: string, payload?: unknown, key = org.liveKey) => {
    const res = await t.app.inject({
      method: method as 'GET',
      url,
      headers: withKey(key),
      ...(payload !== undefined && { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };
  const widgetApi = async (token: string, method: string, url: string, payload?: unknown) => {
    const res = await t.app.inject({
      method: method as 'GET',
      url: `/embed/api${url}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload !== undefined && { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };
  const mint = async (customerId: string, widget = 'crm') => {
    const res = await api('POST', '/api/v1/embed/tokens', { widget, customerId });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { token: string; jti: string; url: string };
  };
  const executionsOf = async (customerId: string) =>
    (await api('GET', `/api/v1/executions?customerId=${customerId}`)).body.data as {
      input: { lifecycle?: string };
      trigger: Record<string, unknown>;
      status: string;
    }[];

  beforeAll(async () => {
    saas = await startFakeSaas();
    fx = await startFixtures({ redirectUri: 'http://localhost:80/api/v1/oauth/callback' });
    t = await createTestApp(driver, {
      env: {
        WEFT_SSRF_TEST_ALLOWLIST: [saas.url, fx.provider.url, fx.api.url]
          .map((u) => new URL(u).host)
          .join(','),
        WEFT_RATE_LIMIT_PER_MINUTE: '100000',
      },
    });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    org = await seedOrg(t, 'Widgets');
    expect(
      (
        await api(
          'POST',
          '/api/v1/connectors/import-definition',
          fakeSaasConnector({ slug: 'fake-saas', baseUrl: saas.url }),
        )
      ).status,
    ).toBe(201);
    acme = (await api('POST', '/api/v1/customers', { name: 'Acme' })).body.id;
    globex = (await api('POST', '/api/v1/customers', { name: 'Globex' })).body.id;
    await api('POST', '/api/v1/workflows', {
      name: 'sync-items',
      source: 'export default async function (ctx) { return { got: ctx.input }; }',
    });
    await api('POST', '/api/v1/workflows/sync-items/publish', { deployTo: ['production'] });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await saas?.close();
    await fx?.close();
  });

  it('checks a widget against the connectors, events and workflows that exist', async () => {
    const bad = await api('POST', '/api/v1/widgets', {
      slug: 'bad',
      name: 'Bad',
      connectors: [
        { connector: 'fake-saas', workflows: [{ workflow: 'sync-items', events: ['nope'] }] },
      ],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.message).toMatch(/no event 'nope' \(it has: item.created, item.polled\)/);
    await api('POST', '/api/v1/workflows', {
      name: 'draft-only',
      source: 'export default async function () { return 1; }',
    });
    const undeployed = await api('POST', '/api/v1/widgets', {
      slug: 'undeployed',
      name: 'Undeployed',
      connectors: [{ connector: 'fake-saas', workflows: [{ workflow: 'draft-only' }] }],
    });
    expect(undeployed.status).toBe(422);
    expect(undeployed.body.error.message).toMatch(/'draft-only' is not deployed to production/);
    const typo = await api('POST', '/api/v1/widgets', {
      slug: 'typo',
      name: 'Typo',
      connectors: [{ connector: 'fake-sass' }],
    });
    expect(typo.status).toBe(404);
    expect(typo.body.error.message).toMatch(/did you mean 'fake-saas'/);
    const origin = await api('POST', '/api/v1/widgets', {
      slug: 'origin',
      name: 'Origin',
      connectors: [{ connector: 'fake-saas' }],
      allowedOrigins: ['https://app.example.com/path'],
    });
    expect(origin.status).toBe(422);

    const created = await api('POST', '/api/v1/widgets', {
      slug: 'crm',
      name: 'CRM sync',
      connectors: [
        {
          connector: 'fake-saas',
          workflows: [
            {
              workflow: 'sync-items',
              events: ['item.created'],
              runOnConnect: true,
              runOnDisconnect: true,
            },
          ],
        },
      ],
      branding: { title: 'Connect your CRM', primaryColor: '#0f766e' },
      allowedOrigins: ['https://app.example.com'],
      onboarding: {
        enabled: true,
        filters: [
          { label: 'Everything' },
          { label: 'Only open items', filter: 'body.payload.status = "open"' },
        ],
        fields: ['name', 'status'],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.branding).toMatchObject({
      title: 'Connect your CRM',
      textColor: '#111827',
    });
    expect((await api('GET', '/api/v1/widgets/crm')).body.id).toBe(created.body.id);
  });

  it('mints tokens only with connections:create, and refuses revoked ones', async () => {
    const viewer = await seedUserKey(t, org, 'viewer', 'live');
    const denied = await api(
      'POST',
      '/api/v1/embed/tokens',
      { widget: 'crm', customerId: acme },
      viewer,
    );
    expect(denied.status).toBe(403);
    const minted = await mint(acme);
    expect(minted.url).toMatch(/\/embed\?token=wet1\./);
    // The hosted page: framed only by the widget's origins; the token never reaches the log.
    const page = await t.app.inject({ method: 'GET', url: `/embed?token=${minted.token}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(
      /; frame-ancestors https:\/\/app\.example\.com$/,
    );
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(t.logs.join('')).not.toContain(minted.token.split('.')[3]);
    expect((await widgetApi(minted.token, 'GET', '/session')).status).toBe(200);
    expect((await api('DELETE', `/api/v1/embed/tokens/${minted.jti}`)).status).toBe(204);
    const revoked = await widgetApi(minted.token, 'GET', '/session');
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.details.reason).toBe('revoked');
    const none = await widgetApi('wet1.x.y.z', 'GET', '/session');
    expect(none.status).toBe(401);
  });

  it('refuses a bad key with the provider’s reason and keeps nothing', async () => {
    const { token } = await mint(acme);
    const bad = await widgetApi(token, 'POST', '/connections', {
      connector: 'fake-saas',
      credentials: { apiKey: 'wrong-key', webhookSecret: saas.webhookSecret },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.message).toBe(
      'Fake SaaS refused these details: missing or wrong X-Api-Key',
    );
    expect(JSON.stringify(bad.body)).not.toContain('wrong-key');
    expect((await api('GET', `/api/v1/connections?customerId=${acme}`)).body.data).toEqual([]);
  });

  it('connects, activates, and confines each token to its customer; disconnect deactivates', async () => {
    const { token } = await mint(acme);
    // The onboarding chat first: its answers become the trigger's filter.
    const first = await widgetApi(token, 'POST', '/onboarding', { text: '' });
    expect(first.body).toMatchObject({
      say: 'What would you like us to sync?',
      choices: ['Everything', 'Only open items'],
    });
    const second = await widgetApi(token, 'POST', '/onboarding', { text: 'only open' });
    expect(second.body.say).toMatch(/Which fields/);
    const third = await widgetApi(token, 'POST', '/onboarding', { text: 'name and status' });
    expect(third.body.say).toMatch(/How often/);
    const last = await widgetApi(token, 'POST', '/onboarding', { text: 'once a day please' });
    expect(last.body).toMatchObject({
      done: true,
      settings: {
        filter: 'body.payload.status = "open"',
        fields: ['name', 'status'],
        schedule: { preset: 'daily', time: '06:00' },
      },
    });

    const connected = await widgetApi(token, 'POST', '/connections', {
      connector: 'fake-saas',
      credentials: { apiKey: saas.apiKey, webhookSecret: saas.webhookSecret },
    });
    expect(connected.status, JSON.stringify(connected.body)).toBe(201);
    const connectionId = connected.body.connection.connection.id as string;
    expect(connected.body.activation.problems).toEqual([]);
    // One app-event trigger and one schedule (from the onboarding answer), one run.
    expect(connected.body.activation.triggers).toHaveLength(2);
    expect(connected.body.activation.runs).toHaveLength(1);
    expect(saas.registrations()).toEqual([
      expect.objectContaining({ event: 'item.created', url: expect.stringMatching(/\/hooks\//) }),
    ]);
    const triggers = (await api('GET', '/api/v1/triggers')).body.data as {
      id: string;
      type: string;
      routes: { filter: string | null }[];
      appEvent?: { customerId: string; subscription: { status: string } };
    }[];
    const appEvent = triggers.find((tr) => tr.type === 'app_event');
    expect(appEvent?.appEvent).toMatchObject({
      customerId: acme,
      subscription: { status: 'subscribed' },
    });
    expect(appEvent?.routes[0]?.filter).toBe('body.payload.status = "open"');
    expect(triggers.some((tr) => tr.type === 'scheduler')).toBe(true);
    const runs = await executionsOf(acme);
    expect(runs).toEqual([
      expect.objectContaining({
        status: 'completed',
        input: expect.objectContaining({ lifecycle: 'connected', connectionId }),
        trigger: expect.objectContaining({ source: 'widget', widget: 'crm' }),
      }),
    ]);
    // The widget shows it connected, with the run in words.
    const session = await widgetApi(token, 'GET', '/session');
    expect(session.body.connectors[0]).toMatchObject({
      connector: 'fake-saas',
      connection: { id: connectionId, status: 'active' },
      activity: [{ text: 'Sync items finished just now', status: 'completed' }],
    });

    // Globex's token sees nothing of Acme's and cannot touch it.
    const other = await mint(globex);
    const globexView = await widgetApi(other.token, 'GET', '/session');
    expect(globexView.body.customer.name).toBe('Globex');
    expect(globexView.body.connectors[0].connection).toBeNull();
    expect(globexView.body.connectors[0].activity).toEqual([]);
    const touch = await widgetApi(other.token, 'DELETE', `/connections/${connectionId}`);
    expect(touch.status).toBe(404);
    const complete = await widgetApi(other.token, 'POST', `/connections/${connectionId}/complete`);
    expect(complete.status).toBe(404);
    expect((await api('GET', `/api/v1/connections/${connectionId}`)).body.status).toBe('active');

    // Connecting twice is a conflict, not a second connection.
    const twice = await widgetApi(token, 'POST', '/connections', {
      connector: 'fake-saas',
      credentials: { apiKey: saas.apiKey, webhookSecret: saas.webhookSecret },
    });
    expect(twice.status).toBe(409);

    const gone = await widgetApi(token, 'DELETE', `/connections/${connectionId}`);
    expect(gone.status, JSON.stringify(gone.body)).toBe(200);
    expect(gone.body.removedTriggers).toHaveLength(2);
    expect(gone.body.problems).toEqual([]);
    expect(saas.registrations()).toEqual([]);
    expect(saas.log.some((r) => r.method === 'DELETE' && r.path.startsWith('/webhooks/'))).toBe(
      true,
    );
    expect((await api('GET', '/api/v1/triggers')).body.data).toEqual([]);
    expect((await api('GET', `/api/v1/connections/${connectionId}`)).status).toBe(404);
    const after = await executionsOf(acme);
    expect(after.map((r) => r.input.lifecycle)).toEqual(['disconnected', 'connected']);
  });

  it('a user-level widget keeps each end user’s connections apart', async () => {
    const created = await api('POST', '/api/v1/widgets', {
      slug: 'personal',
      name: 'Personal',
      level: 'user',
      connectors: [{ connector: 'fake-saas' }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const noUser = await api('POST', '/api/v1/embed/tokens', {
      widget: 'personal',
      customerId: acme,
    });
    expect(noUser.status).toBe(422);
    const tokenFor = async (endUserId: string) =>
      (
        await api('POST', '/api/v1/embed/tokens', {
          widget: 'personal',
          customerId: acme,
          endUserId,
        })
      ).body.token as string;
    const ada = await tokenFor('ada@acme.test');
    const bob = await tokenFor('bob@acme.test');
    const made = await widgetApi(ada, 'POST', '/connections', {
      connector: 'fake-saas',
      credentials: { apiKey: saas.apiKey, webhookSecret: saas.webhookSecret },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const id = made.body.connection.connection.id as string;
    expect((await widgetApi(bob, 'GET', '/session')).body.connectors[0].connection).toBeNull();
    expect((await widgetApi(bob, 'DELETE', `/connections/${id}`)).status).toBe(404);
    expect((await widgetApi(ada, 'GET', '/session')).body).toMatchObject({
      endUserId: 'ada@acme.test',
      connectors: [{ connection: { id, status: 'active' } }],
    });
    expect((await widgetApi(ada, 'DELETE', `/connections/${id}`)).status).toBe(200);
  });

  it('activates an OAuth connection even when the widget closed before the popup reported back', async () => {
    const imported = await api('POST', '/api/v1/connectors/import-definition', {
      weftConnector: 1,
      connector: {
        slug: 'notes',
        name: 'Notes',
        baseUrl: fx.api.url,
        authMethods: [
          {
            key: 'oauth2',
            type: 'oauth2',
            grant: 'authorization_code',
            authorizeUrl: fx.provider.authorizeUrl,
            tokenUrl: fx.provider.tokenUrl,
            revocationUrl: fx.provider.revokeUrl,
          },
        ],
      },
      actions: [{ slug: 'me', name: 'Who am I', method: 'GET', path: '/me' }],
    });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    await api('PUT', '/api/v1/connectors/notes/oauth-app', {
      clientId: fx.client.clientId,
      clientSecret: fx.client.clientSecret,
    });
    await api('POST', '/api/v1/widgets', {
      slug: 'notes-widget',
      name: 'Notes',
      connectors: [
        {
          connector: 'notes',
          scopes: ['read'],
          workflows: [{ workflow: 'sync-items', runOnConnect: true }],
        },
      ],
    });
    const { token } = (
      await api('POST', '/api/v1/embed/tokens', { widget: 'notes-widget', customerId: globex })
    ).body as { token: string };
    const started = await widgetApi(token, 'POST', '/oauth/start', { connector: 'notes' });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const authorize = new URL(started.body.url as string);
    expect(authorize.searchParams.get('scope')).toBe('read');
    expect(authorize.searchParams.get('redirect_uri')).toBe(
      'http://localhost:80/api/v1/oauth/callback',
    );
    // The user's browser: the provider approves and sends it to Weft's callback, which sends it
    // on to the widget's done page; nobody calls /complete.
    const consent = await fetch(authorize, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location') ?? '');
    const callback = await t.app.inject({ method: 'GET', url: `${back.pathname}${back.search}` });
    expect(callback.statusCode).toBe(302);
    expect(callback.headers.location).toMatch(
      /\/embed\/oauth-done\?connectionId=.*status=connected/,
    );
    const before = (await executionsOf(globex)).filter((e) => e.input.lifecycle === 'connected');
    // Opening the widget again finds the connection active and activates it, once.
    const [first, second] = await Promise.all([
      widgetApi(token, 'GET', '/session'),
      widgetApi(token, 'GET', '/session'),
    ]);
    expect(first.body.connectors[0].connection.status).toBe('active');
    expect(second.body.connectors[0].connection.status).toBe('active');
    const after = (await executionsOf(globex)).filter((e) => e.input.lifecycle === 'connected');
    expect(after.length - before.length).toBe(1);
    // The popup's late report changes nothing either.
    const total = (await executionsOf(globex)).length;
    const late = await widgetApi(
      token,
      'POST',
      `/connections/${started.body.connectionId as string}/complete`,
    );
    expect(late.status).toBe(200);
    expect(late.body.activation.runs).toHaveLength(1);
    expect((await executionsOf(globex)).length).toBe(total);

    // Disconnecting revokes the grant at the provider, not only Weft's copy of the tokens.
    const revoked = fx.provider.stats.revokedGrants;
    const gone = await widgetApi(
      token,
      'DELETE',
      `/connections/${started.body.connectionId as string}`,
    );
    expect(gone.status, JSON.stringify(gone.body)).toBe(200);
    expect(gone.body.problems).toEqual([]);
    expect(fx.provider.stats.revokedGrants).toBe(revoked + 1);
  });
});
