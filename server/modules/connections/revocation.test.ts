// Deleting an OAuth connection revokes its tokens at the provider (RFC 7009) when the connector's
// method names a revocation endpoint: over HTTP, over MCP, and from the connect widget's
// disconnect (which uses the same service). A provider that refuses does not keep the connection
// alive, and says why in the audit entry; a dry run changes nothing at the provider either.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections.ts';
import { withKey } from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';

describe.each(TEST_DRIVERS)('token revocation on delete (%s)', (driver) => {
  let h: ConnectionsHarness;
  let mcp: Client;

  beforeAll(async () => {
    h = await startConnectionsHarness(driver);
    const methods = {
      revocable: h.fx.provider.revokeUrl,
      // The provider has no such endpoint: it answers 404.
      revoke_broken: `${h.fx.provider.url}/no-revoke-here`,
    };
    for (const [slug, revocationUrl] of Object.entries(methods)) {
      const imported = await h.call({
        method: 'POST',
        url: '/api/v1/connectors/import-definition',
        payload: {
          weftConnector: 1,
          connector: {
            slug,
            name: slug,
            baseUrl: h.fx.api.url,
            authMethods: [
              {
                key: 'oauth2',
                type: 'oauth2',
                authorizeUrl: h.fx.provider.authorizeUrl,
                tokenUrl: h.fx.provider.tokenUrl,
                revocationUrl,
                scopes: ['read'],
              },
            ],
          },
          actions: [{ slug: 'me', name: 'Me', method: 'GET', path: '/me' }],
        },
      });
      expect(imported.status, imported.raw).toBe(201);
      const app = await h.call({
        method: 'PUT',
        url: `/api/v1/connectors/${slug}/oauth-app`,
        payload: { clientId: 'weft-app', clientSecret: 'weft-app-secret' },
      });
      expect(app.status, app.raw).toBe(200);
    }
    mcp = new Client({ name: 'revocation-test', version: '1' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${h.weftUrl}/mcp/admin?toolsets=all`), {
        requestInit: { headers: withKey(h.org.liveKey) },
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await mcp.close();
    await h.close();
  });

  /** A connection authorized through the provider; answers its id and its access token. */
  async function authorized(connector: string): Promise<{ id: string; token: string }> {
    const start = await h.call<{ url: string; connectionId: string }>({
      method: 'GET',
      url: `/api/v1/connections/oauth/start?connector=${connector}&redirectUri=${encodeURIComponent(`${h.weftUrl}/api/v1/oauth/callback`)}`,
    });
    expect(start.status, start.raw).toBe(200);
    const consent = await fetch(start.body.url, { redirect: 'manual' });
    expect((await fetch(consent.headers.get('location') ?? '')).status).toBe(200);
    const me = await h.call({
      method: 'POST',
      url: `/api/v1/connections/${start.body.connectionId}/actions/me`,
      payload: { input: {} },
    });
    expect(me.status, me.raw).toBe(200);
    const token = String(h.fx.api.requests.at(-1)?.headers['authorization']).replace(
      /^Bearer /,
      '',
    );
    expect(h.fx.provider.validate(token)).toMatchObject({ active: true });
    return { id: start.body.connectionId, token };
  }

  const auditOf = async (id: string) =>
    (
      await h.call<{ data: { details: Record<string, unknown> }[] }>({
        method: 'GET',
        url: `/api/v1/audit-log?action=connection.delete&resource=${id}`,
      })
    ).body.data[0]?.details;

  it('revokes the grant when the connection is deleted over HTTP', async () => {
    const { id, token } = await authorized('revocable');
    const revokedBefore = h.fx.provider.stats.revokedGrants;
    const deleted = await h.call({ method: 'DELETE', url: `/api/v1/connections/${id}` });
    expect(deleted.status).toBe(204);
    expect(h.fx.provider.validate(token)).toEqual({ active: false, reason: 'revoked' });
    expect(h.fx.provider.stats.revokedGrants).toBe(revokedBefore + 1);
    expect(await auditOf(id)).toMatchObject({ connector: 'revocable', tokensRevoked: true });
  });

  it('over MCP: a dry run leaves the tokens alive; the real delete revokes and says so', async () => {
    const { id, token } = await authorized('revocable');
    const dry = (await mcp.callTool({
      name: 'delete_connection',
      arguments: { connectionId: id, dryRun: true },
    })) as { isError?: boolean };
    expect(dry.isError).toBeFalsy();
    expect(h.fx.provider.validate(token)).toMatchObject({ active: true });
    const done = (await mcp.callTool({
      name: 'delete_connection',
      arguments: { connectionId: id },
    })) as { structuredContent?: Record<string, unknown> };
    expect(done.structuredContent).toMatchObject({ deleted: true, id, tokensRevoked: true });
    expect(h.fx.provider.validate(token)).toEqual({ active: false, reason: 'revoked' });
  });

  it('deletes the connection even when the provider refuses, and records why', async () => {
    const { id, token } = await authorized('revoke_broken');
    const done = (await mcp.callTool({
      name: 'delete_connection',
      arguments: { connectionId: id },
    })) as { structuredContent?: Record<string, unknown> };
    expect(done.structuredContent).toMatchObject({
      deleted: true,
      tokensRevoked: false,
      revocationProblem: expect.stringMatching(/answered 404 for the refresh token/),
    });
    expect((await h.call({ method: 'GET', url: `/api/v1/connections/${id}` })).status).toBe(404);
    expect(await auditOf(id)).toMatchObject({
      tokensRevoked: false,
      revocationProblem: expect.stringMatching(/404/),
    });
    // Nothing was revoked, and no secret reached the audit entry.
    expect(h.fx.provider.validate(token)).toMatchObject({ active: true });
    expect(JSON.stringify(await auditOf(id))).not.toContain(token);
  });
});
