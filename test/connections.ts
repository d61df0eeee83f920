import type { InjectOptions } from 'fastify';
import { startFixtures, type Fixtures } from './fixtures/index.ts';
import { createTestApp, seedOrg, withKey, type SeededOrg, type TestApp } from './app.ts';
import type { TestDriver } from './db.ts';

export interface ConnectionsHarness {
  t: TestApp;
  fx: Fixtures;
  org: SeededOrg;
  /** Weft listening on loopback, for the browser leg of OAuth. */
  weftUrl: string;
  call<T = unknown>(options: InjectOptions): Promise<{ status: number; body: T; raw: string }>;
  close(): Promise<void>;
}

function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port}`;
}

/**
 * Fixture OAuth provider and API on loopback, and a Weft app (listening, so the provider can
 * redirect a browser to it) whose SSRF guard lets exactly those two servers through.
 */
export async function startConnectionsHarness(
  driver: TestDriver,
  {
    api = {},
    env = {},
  }: { api?: Parameters<typeof startFixtures>[0]['api']; env?: Record<string, string> } = {},
): Promise<ConnectionsHarness> {
  const fx = await startFixtures({
    redirectUri: 'http://127.0.0.1:1/placeholder',
    api: {
      apiKeys: ['key-123'],
      basic: { user: 'ada', pass: 's3cret-pass' },
      tokens: ['tok-789'],
      bearerTokens: ['bearer-456'],
      ...api,
    },
  });
  const t = await createTestApp(driver, {
    env: {
      WEFT_SSRF_TEST_ALLOWLIST: [hostPort(fx.provider.url), hostPort(fx.api.url)].join(','),
      WEFT_RATE_LIMIT_PER_MINUTE: '100000',
      ...env,
    },
  });
  const weftUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  fx.provider.addClient({
    clientId: 'weft-app',
    clientSecret: 'weft-app-secret',
    redirectUris: [`${weftUrl}/api/v1/oauth/callback`],
  });
  const org = await seedOrg(t, 'Connections');
  return {
    t,
    fx,
    org,
    weftUrl,
    async call<T>(options: InjectOptions) {
      const res = await t.app.inject({
        ...options,
        headers: withKey(org.liveKey, (options.headers ?? {}) as Record<string, string>),
      });
      return {
        status: res.statusCode,
        body: (res.body === '' ? null : res.json()) as T,
        raw: res.body,
      };
    },
    async close() {
      await t.close();
      await fx.close();
    },
  };
}
