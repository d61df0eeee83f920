import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey } from '../../crypto/envelope.ts';
import { createFreshDatabase, TEST_DRIVERS } from '../../../test/db.ts';
import { startFixtures, type Fixtures } from '../../../test/fixtures/index.ts';
import { startWeftProcess, type WeftProcess } from '../../../test/processes.ts';

/**
 * A token endpoint in front of the provider's. Once armed, it holds the first refresh request
 * until a second refresh reaches it or `deadlineMs` passes, then forwards them all. Two processes
 * that refresh one grant at once are then made to overlap every time, not only when timing
 * happens to line them up; with the refresh lock the second never comes and the deadline ends it.
 */
async function startRefreshGate({ target, deadlineMs }: { target: string; deadlineMs: number }) {
  let armed = false;
  let refreshes = 0;
  let releasedBy: 'second refresh' | 'deadline' | undefined;
  const held: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  const release = (by: 'second refresh' | 'deadline'): void => {
    clearTimeout(timer);
    releasedBy ??= by;
    for (const go of held.splice(0)) go();
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = async (): Promise<void> => {
        const upstream = await fetch(target, {
          method: 'POST',
          headers: Object.fromEntries(
            ['authorization', 'content-type', 'accept'].flatMap((name) => {
              const value = req.headers[name];
              return typeof value === 'string' ? [[name, value]] : [];
            }),
          ),
          body,
        });
        res.writeHead(upstream.status, {
          'content-type': upstream.headers.get('content-type') ?? 'application/json',
          'cache-control': 'no-store',
        });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      };
      const go = (): void => {
        forward().catch(() => res.destroy());
      };
      const grant = new URLSearchParams(body.toString('utf8')).get('grant_type');
      if (!armed || grant !== 'refresh_token') return go();
      refreshes++;
      held.push(go);
      if (refreshes === 1) timer = setTimeout(() => release('deadline'), deadlineMs);
      else release('second refresh');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    tokenUrl: `http://127.0.0.1:${port}/token`,
    arm(): void {
      armed = true;
      refreshes = 0;
      releasedBy = undefined;
    },
    disarm(): void {
      armed = false;
      release('deadline');
    },
    stats: () => ({ refreshes, releasedBy }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Several Weft processes on one Postgres, one OAuth provider that rotates refresh tokens and
 * revokes the whole grant when a spent one is replayed (RFC 9700 §4.14.2).
 */
describe.skipIf(!TEST_DRIVERS.includes('pg'))('token refresh across processes', () => {
  let fx: Fixtures;
  let gate: Awaited<ReturnType<typeof startRefreshGate>>;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  let a: WeftProcess;
  let b: WeftProcess;
  let key: string;
  const started: WeftProcess[] = [];

  async function spawnWeft(): Promise<WeftProcess> {
    const p = await startWeftProcess(env);
    started.push(p);
    return p;
  }

  async function api<T>(
    target: WeftProcess,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${target.url}${url}`, {
      method,
      headers: {
        'x-fastn-api-key': key,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T };
  }

  /** A fresh authorized connection whose access token expires in `ttl` seconds. */
  async function authorize(ttl: number, connector = 'racy'): Promise<string> {
    const start = await api<{ url: string; connectionId: string }>(
      a,
      'GET',
      `/api/v1/connections/oauth/start?connector=${connector}&redirectUri=${encodeURIComponent(`${a.url}/api/v1/oauth/callback`)}`,
    );
    expect(start.status).toBe(200);
    fx.provider.setNextTtl(ttl);
    const consent = await fetch(start.body.url, { redirect: 'manual' });
    const done = await fetch(consent.headers.get('location') ?? '');
    expect(done.status).toBe(200);
    return start.body.connectionId;
  }

  beforeAll(async () => {
    fx = await startFixtures({ redirectUri: 'http://127.0.0.1:1/unused' });
    gate = await startRefreshGate({ target: fx.provider.tokenUrl, deadlineMs: 2000 });
    const fresh = await createFreshDatabase('pg');
    drop = fresh.drop;
    const hostPort = (u: string) => new URL(u).host;
    env = {
      NODE_ENV: 'test',
      DATABASE_URL: fresh.url ?? '',
      WEFT_MASTER_KEY: generateMasterKey(),
      WEFT_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'weft-race-')),
      WEFT_SSRF_TEST_ALLOWLIST: [
        hostPort(fx.provider.url),
        hostPort(fx.api.url),
        hostPort(gate.tokenUrl),
      ].join(','),
      WEFT_RATE_LIMIT_PER_MINUTE: '100000',
    };
    a = await spawnWeft();
    key = /\blive\s+(wk_live_\S+)/.exec(a.stdout())?.[1] ?? '';
    expect(key).toMatch(/^wk_live_/);
    b = await spawnWeft();
    fx.provider.addClient({
      clientId: 'race-app',
      clientSecret: 'race-secret',
      redirectUris: [`${a.url}/api/v1/oauth/callback`],
    });
    // 'racy' talks to the provider directly; 'racy_gated' gets its tokens through the gate.
    for (const [slug, tokenUrl] of [
      ['racy', fx.provider.tokenUrl],
      ['racy_gated', gate.tokenUrl],
    ] as const) {
      const imported = await api(a, 'POST', '/api/v1/connectors/import-definition', {
        weftConnector: 1,
        connector: {
          slug,
          name: slug,
          baseUrl: fx.api.url,
          authMethods: [
            {
              key: 'oauth2',
              type: 'oauth2',
              authorizeUrl: fx.provider.authorizeUrl,
              tokenUrl,
              scopes: ['read'],
            },
          ],
        },
        actions: [{ slug: 'me', name: 'Me', method: 'GET', path: '/me' }],
      });
      expect(imported.status).toBe(201);
      expect(
        (
          await api(a, 'PUT', `/api/v1/connectors/${slug}/oauth-app`, {
            clientId: 'race-app',
            clientSecret: 'race-secret',
          })
        ).status,
      ).toBe(200);
    }
  }, 60_000);

  afterAll(async () => {
    for (const p of started) await p.kill();
    await gate.close();
    await fx.close();
    await drop();
  });

  it('50 concurrent calls from two processes on a just-expired token: one refresh, 50 successes', async () => {
    const id = await authorize(1, 'racy_gated');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    fx.provider.reset();
    // The first refresh is held until the other process's refresh arrives (there is none with
    // the lock: it waits on the lock) or 2 s pass, while all 50 calls are in flight.
    gate.arm();
    try {
      const calls = Array.from({ length: 50 }, (_, i) =>
        api<{ status: number }>(
          i % 2 === 0 ? a : b,
          'POST',
          `/api/v1/connections/${id}/actions/me`,
          { input: {} },
        ),
      );
      const results = await Promise.all(calls);
      expect(
        results.map((r) => `${r.status}/${r.body.status}`).filter((s) => s !== '200/200'),
      ).toEqual([]);
      expect(fx.provider.stats.tokenRequests.refresh_token).toBe(1);
      expect(fx.provider.stats.invalidGrant).toBe(0);
      expect(fx.provider.stats.revokedGrants).toBe(0);
      // Only one refresh reached the token endpoint, and it was held for the whole 2 s.
      expect(gate.stats()).toEqual({ refreshes: 1, releasedBy: 'deadline' });
    } finally {
      gate.disarm();
    }
  }, 60_000);

  it('SIGKILL mid-refresh, 20 times: every connection then works or is expired with a reason', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = await authorize(1);
      await new Promise((resolve) => setTimeout(resolve, 1050));
      const victim = await spawnWeft();
      const before = fx.provider.stats.tokenRequests.refresh_token;
      // The provider rotates at once but holds its answer back: the victim dies waiting for it.
      fx.provider.setTokenDelayMs(2000);
      const pending = api(victim, 'POST', `/api/v1/connections/${id}/actions/me`, {
        input: {},
      }).catch(() => null);
      for (
        let waited = 0;
        fx.provider.stats.tokenRequests.refresh_token === before && waited < 5000;
        waited += 10
      ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(fx.provider.stats.tokenRequests.refresh_token).toBe(before + 1);
      await victim.kill();
      await pending;
      fx.provider.setTokenDelayMs(0);

      const after = await api<{ status: number; error?: { code: string } }>(
        a,
        'POST',
        `/api/v1/connections/${id}/actions/me`,
        { input: {} },
      );
      const view = await api<{ status: string; statusReason: string | null }>(
        a,
        'GET',
        `/api/v1/connections/${id}`,
      );
      if (after.status === 200 && after.body.status === 200) {
        expect(view.body.status).toBe('active');
        outcomes.push('works');
      } else {
        expect(after.status).toBe(409);
        expect(after.body.error?.code).toBe('connection_expired');
        expect(view.body.status).toBe('expired');
        expect(view.body.statusReason).toMatch(/\S{10,}/);
        outcomes.push('expired');
      }
    }
    expect(outcomes).toHaveLength(20);
  }, 180_000);
});
