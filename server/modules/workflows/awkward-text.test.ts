import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';

// Text Postgres cannot hold as is: NUL, unpaired surrogates, and the escape the store uses.
const AWKWARD = 'a\u0000b \uD800 \uDC00x \uE000 \uE0000000 😀';
// The same characters written as JS source, for the workflow code.
const AWKWARD_SOURCE = JSON.stringify(AWKWARD);

const SOURCE = `export default async function (ctx) {
  const s = ${AWKWARD_SOURCE};
  await ctx.http.fetch(ctx.input.effect + '?execution=' + ctx.executionId);
  ctx.log.info('logged ' + s, { s });
  const stepped = await ctx.step('step ' + s, async () => ({ [s]: s }));
  await ctx.state.set('key ' + s, { s }, { scope: 'invocation' });
  const state = await ctx.state.get('key ' + s, { scope: 'invocation' });
  if (ctx.input.fail) throw new Error('failed ' + s);
  return { s, input: ctx.input.s, keys: { [s]: [s] }, stepped, state };
}`;

interface Detail {
  status: string;
  attempt: number;
  input: { s: string };
  output: unknown;
  error: { message: string } | null;
  logs: { message: string; data?: unknown }[];
  steps: { name: string }[];
}

describe.each(TEST_DRIVERS)('workflow data with NUL and lone surrogates (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let server: Server;
  let effect: string;
  const effects: string[] = [];

  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: withKey(org.liveKey),
      ...(payload !== undefined && { payload: payload as object }),
    });

  async function deploy(slug: string, tier: string) {
    const created = await call('POST', '/api/v1/workflows', {
      name: slug,
      slug,
      source: SOURCE,
      tier,
      timeoutMs: 10_000,
      ...(tier === 'standard' && {
        retry: { enabled: true, maxAttempts: 2, initialIntervalMs: 1000, backoff: false },
      }),
    });
    expect(created.statusCode, created.body).toBe(201);
    const published = await call('POST', `/api/v1/workflows/${slug}/publish`, {
      deployTo: ['production'],
    });
    expect(published.statusCode, published.body).toBe(201);
  }

  async function settled(id: string): Promise<Detail> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await call('GET', `/api/v1/executions/${id}`);
      expect(res.statusCode, res.body).toBe(200);
      const detail = res.json<Detail>();
      if (!['queued', 'running'].includes(detail.status)) return detail;
      if (Date.now() > deadline) throw new Error(`execution still ${detail.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const expected = {
    s: AWKWARD,
    input: AWKWARD,
    keys: { [AWKWARD]: [AWKWARD] },
    stepped: { [AWKWARD]: AWKWARD },
    state: { s: AWKWARD },
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      effects.push(new URL(req.url ?? '/', 'http://x').searchParams.get('execution') ?? '');
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    effect = `http://127.0.0.1:${port}/effect`;
    t = await createTestApp(driver, {
      workers: true,
      env: {
        WEFT_RATE_LIMIT_PER_MINUTE: '100000',
        WEFT_SSRF_TEST_ALLOWLIST: `127.0.0.1:${port}`,
        WEFT_SANDBOX_PROCESSES: '1',
      },
    });
    org = await seedOrg(t, 'Awkward');
    await deploy('instant-awkward', 'instant');
    await deploy('standard-awkward', 'standard');
  }, 60_000);

  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  function expectStored(detail: Detail) {
    expect(detail.input.s).toBe(AWKWARD);
    expect(detail.logs.some((l) => l.message.startsWith(`logged ${AWKWARD} `))).toBe(true);
    expect(detail.steps.map((s) => s.name)).toContain(`step ${AWKWARD}`);
  }

  it('Instant: the output, logs and steps are stored and read back unchanged', async () => {
    const res = await call('POST', '/api/v1/workflows/instant-awkward/run', {
      input: { s: AWKWARD, effect },
    });
    expect(res.statusCode, res.body).toBe(200);
    const summary = res.json<{ executionId: string; status: string; output: unknown }>();
    expect(summary.status).toBe('completed');
    expect(summary.output).toEqual(expected);
    const detail = await settled(summary.executionId);
    expect(detail.status).toBe('completed');
    expect(detail.output).toEqual(expected);
    expect(detail.logs.some((l) => l.message.startsWith(`logged ${AWKWARD} `))).toBe(true);
  });

  it('Instant: a thrown error is stored unchanged', async () => {
    const res = await call('POST', '/api/v1/workflows/instant-awkward/run', {
      input: { s: AWKWARD, effect, fail: true },
    });
    expect(res.statusCode, res.body).toBe(200);
    const summary = res.json<{ executionId: string; status: string }>();
    expect(summary.status).toBe('failed');
    const detail = await settled(summary.executionId);
    expect(detail.error?.message).toContain(`failed ${AWKWARD}`);
  });

  it('Standard: runs once, and its output, logs and steps read back unchanged', async () => {
    const res = await call('POST', '/api/v1/workflows/standard-awkward/run', {
      input: { s: AWKWARD, effect },
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json<{ executionId: string }>().executionId;
    const detail = await settled(id);
    expect(detail.status).toBe('completed');
    expect(detail.attempt).toBe(1);
    expect(detail.output).toEqual(expected);
    expectStored(detail);
    expect(effects.filter((e) => e === id)).toHaveLength(1);
  });

  it('Standard: a thrown error is stored unchanged on every attempt', async () => {
    const res = await call('POST', '/api/v1/workflows/standard-awkward/run', {
      input: { s: AWKWARD, effect, fail: true },
    });
    const id = res.json<{ executionId: string }>().executionId;
    const detail = await settled(id);
    expect(detail.status).toBe('failed');
    expect(detail.attempt).toBe(2);
    expect(detail.error?.message).toContain(`failed ${AWKWARD}`);
    expectStored(detail);
  });
});
