// The MCP clients a person authorized: the SDK's OAuth client goes through the whole flow
// against the running server, the person lists the client and revokes it, and both its access
// and its refresh token stop working at once. Nobody else sees or revokes the grant.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import { MemoryProvider } from '../../../test/mcp-oauth-client.ts';
import type { McpClientGrant } from '../../domain/account.ts';

const PERSON = { email: 'ada@grants.test', password: 'a long enough password' };

describe.each(TEST_DRIVERS)('MCP clients a person authorized (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let base: string;
  let session: { cookie: string; csrf: string };

  const api = async (method: string, path: string, auth: 'person' | 'owner') => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers:
        auth === 'owner'
          ? { 'x-fastn-api-key': org.liveKey }
          : { cookie: session.cookie, 'x-weft-csrf': session.csrf },
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
  };

  const initialize = (token: string) =>
    fetch(`${base}/mcp/admin`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
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

  /** The SDK client's flow; the person signs in on the consent page and allows. */
  async function authorize(provider: MemoryProvider): Promise<OAuthTokens> {
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp/admin`), {
      authProvider: provider,
    });
    await expect(
      new Client({ name: 'grants-test', version: '1' }).connect(transport),
    ).rejects.toThrow(/Unauthorized/);
    const url = provider.authorizationUrl;
    if (!url) throw new Error('the client did not start an authorization');
    const form = new URLSearchParams(url.searchParams);
    form.set('email', PERSON.email);
    form.set('password', PERSON.password);
    form.set('decision', 'allow');
    const decided = await fetch(`${base}/oauth/authorize`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    expect(decided.status).toBe(303);
    const code = new URL(decided.headers.get('location') ?? '').searchParams.get('code');
    await transport.finishAuth(code ?? '');
    return provider.saved as OAuthTokens;
  }

  beforeAll(async () => {
    t = await createTestApp(driver);
    org = await seedOrg(t, 'GrantsOrg');
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://localhost:${new URL(address).port}`;
    const invited = await fetch(`${base}/api/v1/people/invitations`, {
      method: 'POST',
      headers: { 'x-fastn-api-key': org.liveKey, 'content-type': 'application/json' },
      body: JSON.stringify({ email: PERSON.email, role: 'developer' }),
    });
    const link = ((await invited.json()) as { link: string }).link;
    const accepted = await fetch(`${base}/api/v1/auth/accept-invite`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token: new URL(link).hash.replace('#token=', ''),
        password: PERSON.password,
      }),
    });
    session = {
      cookie: (accepted.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
      csrf: ((await accepted.json()) as { csrfToken: string }).csrfToken,
    };
  }, 60_000);
  afterAll(() => t.close());

  it('lists the clients you authorized and revokes one: its access and refresh tokens stop at once', async () => {
    const kept = new MemoryProvider('Grants test client');
    const keptTokens = await authorize(kept);
    const revoked = new MemoryProvider('Grants test client');
    const tokens = await authorize(revoked);
    expect((await initialize(tokens.access_token)).status).toBe(200);

    const listed = await api('GET', '/auth/mcp-clients', 'person');
    expect(listed.status).toBe(200);
    const grants = (listed.body as { data: McpClientGrant[] }).data;
    expect(grants).toHaveLength(2);
    const grant = grants.find((g) => g.clientId === revoked.client?.client_id);
    expect(grant).toMatchObject({
      clientName: 'Grants test client',
      // As the client asked for it: the admin endpoint, named as its metadata names it.
      resource: `${base}/mcp`,
    });
    // The owner, with every permission, neither sees nor revokes another person's grant.
    expect((await api('GET', '/auth/mcp-clients', 'owner')).body).toEqual({ data: [] });
    expect((await api('DELETE', `/auth/mcp-clients/${grant?.id}`, 'owner')).status).toBe(404);
    expect((await initialize(tokens.access_token)).status).toBe(200);

    expect((await api('DELETE', `/auth/mcp-clients/${grant?.id}`, 'person')).status).toBe(204);
    expect((await initialize(tokens.access_token)).status).toBe(401);
    const refreshed = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token ?? '',
        client_id: String(revoked.client?.client_id),
      }),
    });
    expect(refreshed.status).toBe(400);
    expect((await initialize(keptTokens.access_token)).status).toBe(200);

    const after = (await api('GET', '/auth/mcp-clients', 'person')).body as {
      data: McpClientGrant[];
    };
    expect(after.data.map((g) => g.clientId)).toEqual([kept.client?.client_id]);
    expect((await api('DELETE', `/auth/mcp-clients/${grant?.id}`, 'person')).status).toBe(404);
  });
});
