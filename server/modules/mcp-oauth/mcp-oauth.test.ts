// The MCP authorization flow, end to end against the running server: the MCP SDK's own OAuth
// client discovers the metadata from the 401, registers, sends the person to the consent page
// (a browser's two requests, made here with fetch), exchanges the code and connects with the
// token. A token for one customer's gateway does not open another's; refresh tokens rotate.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import { MemoryProvider, REDIRECT } from '../../../test/mcp-oauth-client.ts';
import { purgeExpiredOAuthTokens } from './mcp-oauth.service.ts';

/** A person of the org who signs in with a password (invited as an admin in beforeAll). */
const PERSON = { email: 'ada@oauth.test', password: 'a long enough password' };

describe.each(TEST_DRIVERS)('OAuth for MCP clients (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let base: string;
  let customerA: string;
  let customerB: string;
  let personId: string;
  let sessionCookie: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-fastn-api-key': org.liveKey, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  const initialize = (url: string, headers: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    });

  /** What the person types on the consent page: their email and password, or an API key. */
  type Credentials = { email: string; password: string } | { api_key: string };

  /** What a browser does: open the consent page, then sign in on it and press Allow. */
  async function consent(
    provider: MemoryProvider,
    credentials: Credentials,
    /** What else the person chose on the page (`access: 'read'`: read only). */
    choices: Record<string, string> = {},
  ): Promise<string> {
    const url = provider.authorizationUrl;
    if (!url) throw new Error('the client did not start an authorization');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Allow Test MCP client');
    expect(html).toContain('name="password"');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const form = new URLSearchParams(url.searchParams);
    for (const [name, value] of Object.entries({ ...credentials, ...choices }))
      form.set(name, String(value));
    form.set('decision', 'allow');
    const decided = await fetch(`${base}/oauth/authorize`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    expect(decided.status, await decided.clone().text()).toBe(303);
    if ('email' in credentials) {
      // Signing in on the consent page leaves the person signed in.
      expect(decided.headers.get('set-cookie')).toMatch(
        /^weft_session=.*HttpOnly.*SameSite=Strict/i,
      );
    }
    const back = new URL(decided.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe(url.searchParams.get('state'));
    expect(back.searchParams.get('iss')).toBe(base);
    const code = back.searchParams.get('code');
    if (!code) throw new Error(`no code: ${back.toString()}`);
    return code;
  }

  /** The SDK client's full flow against `url`; resolves with a connected client. */
  async function authorizeAndConnect(
    url: string,
    provider: MemoryProvider,
    credentials: Credentials = PERSON,
    choices: Record<string, string> = {},
  ): Promise<Client> {
    const first = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
    const client = new Client({ name: 'oauth-test', version: '1.0.0' });
    await expect(client.connect(first)).rejects.toThrow(/Unauthorized/);
    const code = await consent(provider, credentials, choices);
    await first.finishAuth(code);
    const connected = new Client({ name: 'oauth-test', version: '1.0.0' });
    await connected.connect(
      new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }),
    );
    return connected;
  }

  beforeAll(async () => {
    t = await createTestApp(driver);
    org = await seedOrg(t, 'OAuthOrg');
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    // The URL Weft advertises (loopback is spelled localhost), as a client would be given it.
    base = `http://localhost:${new URL(address).port}`;
    const invited = await api('POST', '/api/v1/people/invitations', {
      email: PERSON.email,
      role: 'admin',
    });
    expect(invited.status, JSON.stringify(invited.json)).toBe(201);
    const token = new URL(String(invited.json['link'])).hash.replace('#token=', '');
    const accepted = await fetch(`${base}/api/v1/auth/accept-invite`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: PERSON.password }),
    });
    expect(accepted.status).toBe(200);
    sessionCookie = (accepted.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const session = await fetch(`${base}/api/v1/auth/session`, {
      headers: { cookie: sessionCookie },
    });
    personId = ((await session.json()) as { user: { id: string } }).user.id;
    customerA = String(
      (await api('POST', '/api/v1/customers', { name: 'A', externalId: 'a' })).json['id'],
    );
    customerB = String(
      (await api('POST', '/api/v1/customers', { name: 'B', externalId: 'b' })).json['id'],
    );
  }, 60_000);

  afterAll(async () => {
    await t.close();
  });

  it('answers a request without credentials with the WWW-Authenticate the MCP spec asks for', async () => {
    const res = await initialize(`${base}/mcp/admin`, {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp/admin"`,
    );
    const metadata = await (
      await fetch(`${base}/.well-known/oauth-protected-resource/mcp/admin`)
    ).json();
    expect(metadata).toMatchObject({
      resource: `${base}/mcp`,
      authorization_servers: [base],
      scopes_supported: ['read', 'write'],
    });
    const server = await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json();
    expect(server).toMatchObject({
      issuer: base,
      code_challenge_methods_supported: ['S256'],
      registration_endpoint: `${base}/oauth/register`,
    });
  });

  it('completes the flow with the SDK client for the admin server; the API key still works', async () => {
    const provider = new MemoryProvider();
    const client = await authorizeAndConnect(`${base}/mcp/admin`, provider);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('list_customers');
    const listed = await client.callTool({ name: 'list_customers', arguments: {} });
    expect(listed.isError).toBeFalsy();
    expect(JSON.stringify(listed.structuredContent)).toContain(customerA);
    await client.close();
    expect(provider.saved?.access_token).toMatch(/^mcp_at_/);
    // The SDK asks for every advertised scope; nothing was narrowed.
    expect(provider.saved?.scope).toBe('read write');

    // The admin token opens no gateway.
    const gateway = await initialize(`${base}/mcp/gateway/${customerA}`, {
      authorization: `Bearer ${provider.saved?.access_token ?? ''}`,
    });
    expect(gateway.status).toBe(401);
    expect(gateway.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const byKey = await initialize(`${base}/mcp/admin`, { 'x-fastn-api-key': org.liveKey });
    expect(byKey.status).toBe(200);

    // The consent is in the audit log as the person's.
    const audit = await api('GET', '/api/v1/audit-log?action=mcp_oauth.consent');
    expect(audit.status).toBe(200);
    expect(audit.json['data']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'mcp_oauth.consent',
          resourceId: provider.client?.client_id,
          actorUserId: personId,
        }),
      ]),
    );
  });

  it('a person who allows reading only gets a token that can look and not change anything', async () => {
    const provider = new MemoryProvider();
    // The consent page offers the choice for a request that asks for more.
    const client = await authorizeAndConnect(`${base}/mcp/admin`, provider, PERSON, {
      access: 'read',
    });
    expect(provider.saved?.scope).toBe('read');
    const listed = await client.callTool({ name: 'list_customers', arguments: {} });
    expect(listed.isError).toBeFalsy();
    const refused = (await client.callTool({
      name: 'create_customer',
      arguments: { name: 'Not allowed', externalId: 'read-only-probe' },
    })) as { isError?: boolean; content: { text?: string }[] };
    expect(refused.isError).toBe(true);
    expect(refused.content.map((c) => c.text).join(' ')).toMatch(/customers:write/);
    const customers = await api('GET', '/api/v1/customers?limit=100');
    expect(JSON.stringify(customers.json)).not.toContain('read-only-probe');
    // A refreshed token keeps the narrowed scope.
    const refreshed = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: provider.saved?.refresh_token ?? '',
        client_id: provider.client?.client_id ?? '',
      }),
    });
    expect(refreshed.status).toBe(200);
    expect(await refreshed.json()).toMatchObject({ scope: 'read' });
    await client.close();

    // A client that asks for reading only is told so on the page, with nothing to widen.
    const asked = new URL(provider.authorizationUrl ?? '');
    expect(asked.searchParams.get('scope')).toBe('read write');
    asked.searchParams.set('scope', 'read');
    const html = await (await fetch(asked)).text();
    expect(html).toContain('It asks to <strong>read only</strong>');
    expect(html).not.toContain('name="access"');
  });

  it("binds a gateway token to its customer: customer A's token cannot open B's gateway", async () => {
    const provider = new MemoryProvider();
    const client = await authorizeAndConnect(`${base}/mcp/gateway/${customerA}`, provider);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('search_tools');
    await client.close();
    const token = provider.saved?.access_token ?? '';

    const own = await initialize(`${base}/mcp/gateway/${customerA}`, {
      authorization: `Bearer ${token}`,
    });
    expect(own.status).toBe(200);
    for (const other of [
      `${base}/mcp/gateway/${customerB}`,
      `${base}/mcp/gateway?customer_id=${customerB}`,
      `${base}/mcp/admin`,
    ]) {
      const refused = await initialize(other, { authorization: `Bearer ${token}` });
      expect(refused.status, other).toBe(401);
      expect(await refused.text()).not.toContain(customerA);
    }
  });

  it('authorizes a gateway named by query the same way, as the same resource', async () => {
    const provider = new MemoryProvider();
    const client = await authorizeAndConnect(
      `${base}/mcp/gateway?customer_id=${customerB}`,
      provider,
    );
    expect(provider.authorizationUrl?.searchParams.get('resource')).toBe(
      `${base}/mcp/gateway?customer_id=${customerB}`,
    );
    await client.close();
    const token = provider.saved?.access_token ?? '';
    const samePlace = await initialize(`${base}/mcp/gateway/${customerB}`, {
      authorization: `Bearer ${token}`,
    });
    expect(samePlace.status).toBe(200);
    const elsewhere = await initialize(`${base}/mcp/gateway?customer_id=${customerA}`, {
      authorization: `Bearer ${token}`,
    });
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp/gateway?customer_id=${customerA}", error="invalid_token"`,
    );
  });

  it('rotates refresh tokens; a reused refresh token ends the grant', async () => {
    const provider = new MemoryProvider();
    await (await authorizeAndConnect(`${base}/mcp/admin`, provider)).close();
    const first = provider.saved as OAuthTokens;
    const clientId = String(provider.client?.client_id);
    const refresh = (token: string) =>
      fetch(`${base}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: token,
          client_id: clientId,
        }),
      });
    const rotated = await refresh(first.refresh_token ?? '');
    expect(rotated.status).toBe(200);
    const second = (await rotated.json()) as OAuthTokens;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(
      (await initialize(`${base}/mcp/admin`, { authorization: `Bearer ${second.access_token}` }))
        .status,
    ).toBe(200);

    const replayed = await refresh(first.refresh_token ?? '');
    expect(replayed.status).toBe(400);
    expect(await replayed.json()).toMatchObject({ error: 'invalid_grant' });
    // The replay revoked everything the grant had issued.
    expect(
      (await initialize(`${base}/mcp/admin`, { authorization: `Bearer ${second.access_token}` }))
        .status,
    ).toBe(401);
    expect((await refresh(second.refresh_token ?? '')).status).toBe(400);
  });

  it("refuses consent to another org's customer, and sends a declined request back denied", async () => {
    const otherOrg = await seedOrg(t, 'OtherOAuthOrg');
    const created = await fetch(`${base}/api/v1/customers`, {
      method: 'POST',
      headers: { 'x-fastn-api-key': otherOrg.liveKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'C', externalId: 'c' }),
    });
    const customerC = String(((await created.json()) as { id: string }).id);
    const provider = new MemoryProvider();
    const transport = new StreamableHTTPClientTransport(
      new URL(`${base}/mcp/gateway/${customerC}`),
      { authProvider: provider },
    );
    await expect(new Client({ name: 'x', version: '1' }).connect(transport)).rejects.toThrow();
    const url = provider.authorizationUrl as URL;
    expect(url.searchParams.get('resource')).toBe(`${base}/mcp/gateway/${customerC}`);
    const form = new URLSearchParams(url.searchParams);
    form.set('api_key', org.liveKey);
    form.set('decision', 'allow');
    const refused = await fetch(`${base}/oauth/authorize`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('location')).toBeNull();

    form.set('decision', 'deny');
    const declined = await fetch(`${base}/oauth/authorize`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    expect(declined.status).toBe(303);
    const back = new URL(declined.headers.get('location') ?? '');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('uses a refresh token once when two refreshes race', async () => {
    const provider = new MemoryProvider();
    await (await authorizeAndConnect(`${base}/mcp/admin`, provider)).close();
    const body = () =>
      new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: provider.saved?.refresh_token ?? '',
        client_id: String(provider.client?.client_id),
      });
    const answers = await Promise.all(
      [1, 2, 3].map(() => fetch(`${base}/oauth/token`, { method: 'POST', body: body() })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400]);
  });

  it('ends a grant when its client revokes a token (RFC 7009)', async () => {
    const provider = new MemoryProvider();
    await (await authorizeAndConnect(`${base}/mcp/admin`, provider)).close();
    const tokens = provider.saved as OAuthTokens;
    const revoke = (token: string, clientId: string) =>
      fetch(`${base}/oauth/revoke`, {
        method: 'POST',
        body: new URLSearchParams({ token, client_id: clientId }),
      });
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    // Another client's id changes nothing (and is answered alike).
    expect((await revoke(tokens.refresh_token ?? '', 'mcp_someone-else-entirely')).status).toBe(
      200,
    );
    expect((await initialize(`${base}/mcp/admin`, bearer)).status).toBe(200);
    expect(
      (await revoke(tokens.refresh_token ?? '', String(provider.client?.client_id))).status,
    ).toBe(200);
    expect((await initialize(`${base}/mcp/admin`, bearer)).status).toBe(401);
  });

  it('takes the consent of a person already signed in, from our own page only', async () => {
    const provider = new MemoryProvider();
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp/admin`), {
      authProvider: provider,
    });
    await expect(new Client({ name: 'x', version: '1' }).connect(transport)).rejects.toThrow();
    const url = provider.authorizationUrl as URL;
    const page = await fetch(url, { headers: { cookie: sessionCookie } });
    const html = await page.text();
    expect(html).toContain(`Signed in as <strong>${PERSON.email}</strong>`);
    expect(html).not.toContain('name="password"');
    const form = new URLSearchParams(url.searchParams);
    form.set('decision', 'allow');
    const forged = await fetch(`${base}/oauth/authorize`, {
      method: 'POST',
      headers: { cookie: sessionCookie, origin: 'https://evil.example' },
      body: form,
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
    const decided = await fetch(`${base}/oauth/authorize`, {
      method: 'POST',
      headers: { cookie: sessionCookie, origin: base },
      body: form,
      redirect: 'manual',
    });
    expect(decided.status).toBe(303);
    const code = new URL(decided.headers.get('location') ?? '').searchParams.get('code') ?? '';
    await transport.finishAuth(code);
    expect(provider.saved?.access_token).toMatch(/^mcp_at_/);
  });

  it('refuses a code without its PKCE verifier and a consent without a valid key', async () => {
    const provider = new MemoryProvider();
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp/admin`), {
      authProvider: provider,
    });
    await expect(new Client({ name: 'x', version: '1' }).connect(transport)).rejects.toThrow();
    const url = provider.authorizationUrl as URL;
    const form = new URLSearchParams(url.searchParams);
    form.set('api_key', 'wk_live_not-a-real-key');
    form.set('decision', 'allow');
    const refused = await fetch(`${base}/oauth/authorize`, { method: 'POST', body: form });
    expect(refused.status).toBe(401);

    const code = await consent(provider, { api_key: org.liveKey });
    const exchanged = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: 'x'.repeat(43),
        client_id: String(provider.client?.client_id),
        redirect_uri: REDIRECT,
      }),
    });
    expect(exchanged.status).toBe(400);
    expect(await exchanged.json()).toMatchObject({ error: 'invalid_grant' });
    // The code was spent by the failed attempt: the right verifier is too late now.
    await expect(transport.finishAuth(code)).rejects.toThrow();
  });
  it('deletes tokens a day after they expire, keeping the live ones', async () => {
    const provider = new MemoryProvider();
    await (await authorizeAndConnect(`${base}/mcp/admin`, provider)).close();
    const orgId = org.organization.id;
    const count = (kind: string) =>
      t.database.db.tenant({ orgId }, async (sql) => {
        const [row] = await sql.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM mcp_oauth_tokens WHERE kind = $1',
          [kind],
        );
        return row?.n ?? 0;
      });
    const [access, refresh] = [await count('access'), await count('refresh')];
    expect(access).toBeGreaterThan(0);
    // Nothing has expired for a day yet: nothing goes.
    expect(await purgeExpiredOAuthTokens({ db: t.database.db })).toBe(0);
    // Two days on, the access tokens (an hour) are gone; refresh tokens (30 days) stay.
    const later = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000);
    expect(await purgeExpiredOAuthTokens({ db: t.database.db, now: later })).toBeGreaterThanOrEqual(
      access,
    );
    expect(await count('access')).toBe(0);
    expect(await count('refresh')).toBe(refresh);
  });
});
