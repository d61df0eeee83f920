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

const SECRET = 'sk_live_TOPSECRET_9f8e7d6c';

describe.each(TEST_DRIVERS)('workflows (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let other: SeededOrg;
  let echo: Server;
  let echoUrl: string;
  const hits: string[] = [];

  const call = (
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    key?: string,
  ) =>
    t.app.inject({
      method,
      url,
      headers: withKey(key ?? org.liveKey),
      ...(payload !== undefined && { payload: payload as object }),
    });

  /** Creates, publishes and deploys a workflow to production; returns its slug. */
  async function deployed(
    slug: string,
    source: string,
    settings: Record<string, unknown> = {},
    key?: string,
  ): Promise<string> {
    const created = await call(
      'POST',
      '/api/v1/workflows',
      { name: slug, slug, source, ...settings },
      key,
    );
    expect(created.statusCode, created.body).toBe(201);
    const published = await call(
      'POST',
      `/api/v1/workflows/${slug}/publish`,
      { deployTo: ['production'] },
      key,
    );
    expect(published.statusCode, published.body).toBe(201);
    return slug;
  }

  const run = async (slug: string, body: Record<string, unknown> = {}, key?: string) => {
    const res = await call('POST', `/api/v1/workflows/${slug}/run`, body, key);
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    echo = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url, method: req.method }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const port = (echo.address() as AddressInfo).port;
    echoUrl = `http://127.0.0.1:${port}`;
    t = await createTestApp(driver, {
      env: {
        WEFT_RATE_LIMIT_PER_MINUTE: '100000',
        WEFT_SSRF_TEST_ALLOWLIST: `127.0.0.1:${port}`,
        WEFT_SANDBOX_PROCESSES: '2',
      },
    });
    org = await seedOrg(t, 'Flows');
    other = await seedOrg(t, 'Others');
  }, 60_000);

  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('saves a draft, publishes immutable versions, deploys, rolls back', async () => {
    const slug = await deployed(
      'hello',
      `export default async function (ctx: { input: { name: string } }) {
         return { greeting: 'hello ' + ctx.input.name, v: 1 };
       }`,
    );
    const first = await run(slug, { input: { name: 'ada' } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'completed',
      version: 1,
      environment: 'production',
      tier: 'instant',
      output: { greeting: 'hello ada', v: 1 },
    });

    // A draft that does not compile is refused at publish with its line and column.
    const broken = await call('PATCH', `/api/v1/workflows/${slug}`, {
      source: 'export default async function (ctx) {\n  return ctx.input.;\n}',
    });
    expect(broken.statusCode).toBe(200);
    const refused = await call('POST', `/api/v1/workflows/${slug}/publish`, {});
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.details.errors[0]).toMatchObject({ line: 2 });
    expect(typeof refused.json().error.details.errors[0].column).toBe('number');

    await call('PATCH', `/api/v1/workflows/${slug}`, {
      source: `export default async function (ctx) { return { greeting: 'hi ' + ctx.input.name, v: 2 }; }`,
    });
    const v2 = await call('POST', `/api/v1/workflows/${slug}/publish`, { note: 'shorter' });
    expect(v2.json().version.version).toBe(2);
    // Published but not deployed: production still runs v1.
    expect((await run(slug, { input: { name: 'x' } })).body.output).toEqual({
      greeting: 'hello x',
      v: 1,
    });
    const deploy = await call('POST', `/api/v1/workflows/${slug}/deploy`, {
      environment: 'production',
      version: 2,
    });
    expect(deploy.statusCode).toBe(200);
    expect(deploy.json().deployments.production.version).toBe(2);
    expect((await run(slug, { input: { name: 'x' } })).body.output).toEqual({
      greeting: 'hi x',
      v: 2,
    });
    // Roll back by deploying the older version.
    await call('POST', `/api/v1/workflows/${slug}/deploy`, {
      environment: 'production',
      version: 1,
    });
    expect((await run(slug, { input: { name: 'x' } })).body.output.v).toBe(1);
    // A specific version can be run directly; an environment with nothing deployed is a clear 409.
    expect((await run(slug, { input: { name: 'x' }, version: 2 })).body.output.v).toBe(2);
    const nothing = await run(slug, { environment: 'staging' });
    expect(nothing.status).toBe(409);
    expect(nothing.body.error.message).toMatch(/no version deployed to staging/);

    const versions = await call('GET', `/api/v1/workflows/${slug}/versions`);
    expect(versions.json().data.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    // Versions are immutable for the application role, whatever the code does.
    await expect(
      t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
        sql.query(`UPDATE workflow_versions SET source = 'x'`),
      ),
    ).rejects.toThrow(/permission denied/);
  });

  it('checks settings: tier timeout ranges, slugs, unknown workflows, inactive ones', async () => {
    const tooLong = await call('POST', '/api/v1/workflows', {
      name: 'slow',
      tier: 'instant',
      timeoutMs: 5 * 60_000,
      source: 'export default async function () {}',
    });
    expect(tooLong.statusCode).toBe(422);
    expect(tooLong.json().error.message).toMatch(
      /outside the instant tier's range of 1000–120000 ms/,
    );
    expect((await run('does-not-exist')).status).toBe(404);

    const slug = await deployed('sleeper', 'export default async function () { return 1; }');
    await call('PATCH', `/api/v1/workflows/${slug}`, { status: 'inactive' });
    const inactive = await run(slug);
    expect(inactive.status).toBe(409);
    expect(inactive.body.error.message).toMatch(/inactive/);
    const dup = await call('POST', '/api/v1/workflows', {
      name: 'again',
      slug,
      source: 'export default async function () {}',
    });
    expect(dup.statusCode).toBe(409);
  });

  it('gives ctx its input, stripped headers, trigger, customer, env, logs and http', async () => {
    const customer = (
      await call('POST', '/api/v1/customers', { name: 'Acme', externalId: 'acme-1' })
    ).json();
    const slug = await deployed(
      'context',
      `export default async function (ctx) {
        ctx.log.info('starting', { n: ctx.input.n });
        ctx.log.debug('detail');
        const res = await ctx.http.fetch('${'${ECHO}'}/ping?x=1', { method: 'POST', body: { a: 1 } });
        return {
          input: ctx.input, headers: ctx.headers, trigger: ctx.trigger.type,
          customer: ctx.customer && ctx.customer.externalId, env: ctx.env.name,
          executionId: typeof ctx.executionId, fetched: await res.json(), status: res.status,
        };
      }`.replace('${ECHO}', echoUrl),
    );
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/workflows/${slug}/run`,
      headers: withKey(org.liveKey, { 'x-trace': 'abc', authorization: 'Bearer nope' }),
      payload: { input: { n: 3 }, customerId: customer.id },
    });
    expect(res.statusCode, res.body).toBe(200);
    const { output, executionId } = res.json();
    expect(output).toMatchObject({
      input: { n: 3 },
      trigger: 'manual',
      customer: 'acme-1',
      env: 'production',
      executionId: 'string',
      fetched: { path: '/ping?x=1', method: 'POST' },
      status: 200,
    });
    expect(output.headers['x-trace']).toBe('abc');
    expect(output.headers['x-fastn-api-key']).toBeUndefined();
    expect(output.headers['authorization']).toBeUndefined();

    const detail = (await call('GET', `/api/v1/executions/${executionId}`)).json();
    expect(detail).toMatchObject({
      status: 'completed',
      triggeredBy: 'manual',
      customerId: customer.id,
      input: { n: 3 },
      attempt: 1,
    });
    expect(detail.logs.map((l: { level: string }) => l.level)).toEqual(['info', 'debug']);
    expect(detail.logs[0].message).toBe('starting {"n":3}');
    expect(detail.spans).toHaveLength(1);
    expect(detail.spans[0]).toMatchObject({ kind: 'http', ok: true, status: 200 });
    expect(detail.headers['x-fastn-api-key']).toBeUndefined();
  });

  it('never shows a secret value a workflow logs, returns or throws', async () => {
    const put = await call('PUT', '/api/v1/secrets/STRIPE_KEY', { value: SECRET });
    expect([200, 201]).toContain(put.statusCode);
    const leaky = await deployed(
      'leaky',
      `export default async function (ctx) {
        const key = await ctx.secrets.get('STRIPE_KEY');
        ctx.log.info('the key is ' + key);
        ctx.log.warn({ nested: { key } });
        await ctx.step('with-' + key, async () => key);
        return { key, again: [key + '!'] };
      }`,
    );
    const ran = await run(leaky);
    expect(ran.status).toBe(200);
    expect(JSON.stringify(ran.body)).not.toContain(SECRET);
    expect(ran.body.output.key).toBe('[redacted]');
    const thrower = await deployed(
      'thrower',
      `export default async function (ctx) {
        const key = await ctx.secrets.get('STRIPE_KEY');
        throw new Error('bad key ' + key);
      }`,
    );
    const thrown = await run(thrower);
    expect(thrown.body.status).toBe('failed');
    expect(thrown.body.error.message).toBe('bad key [redacted]');
    for (const id of [ran.body.executionId, thrown.body.executionId]) {
      const detail = await call('GET', `/api/v1/executions/${id}`);
      expect(detail.body).not.toContain(SECRET);
      expect(detail.body).toContain('[redacted]');
    }
    const list = await call('GET', '/api/v1/executions?limit=200');
    expect(list.body).not.toContain(SECRET);
    expect(t.logs.join('\n')).not.toContain(SECRET);
  });

  it('keeps durable state per org and customer, and invocation state per run', async () => {
    const slug = await deployed(
      'counter',
      `export default async function (ctx) {
        const n = ((await ctx.state.get('count')) ?? 0) + 1;
        await ctx.state.set('count', n);
        const seen = await ctx.state.get('mine', { scope: 'invocation' });
        await ctx.state.set('mine', 'run', { scope: 'invocation' });
        return { n, seen };
      }`,
    );
    expect((await run(slug)).body.output).toEqual({ n: 1, seen: null });
    expect((await run(slug)).body.output).toEqual({ n: 2, seen: null });
    // Another org's workflow under the same key sees nothing of this org's state or secrets.
    const spy = await deployed(
      'spy',
      `export default async function (ctx) {
        return { count: await ctx.state.get('count'), secret: await ctx.secrets.get('STRIPE_KEY') };
      }`,
      {},
      other.liveKey,
    );
    expect((await run(spy, {}, other.liveKey)).body.output).toEqual({ count: null, secret: null });
  });

  it('contains escape attempts: each run fails cleanly and the next one works', async () => {
    const attempts: Record<string, string> = {
      require: `export default async function () { const r = (globalThis as any)['req' + 'uire']; return r('fs').readFileSync('/etc/passwd', 'utf8'); }`,
      processEnv: `export default async function () { return process.env; }`,
      constructorChain: `export default async function () { return this.constructor.constructor('return process')().env; }`,
      ctxConstructor: `export default async function (ctx) { return ctx.log.info.constructor('return process')().env; }`,
      infiniteLoop: `export default async function () { while (true) {} }`,
      memory: `export default async function () { const a = []; while (true) a.push(new Array(1e6).fill(1)); }`,
      recursion: `export default async function () { const f = (n) => f(n + 1) + 1; return f(0); }`,
      neverSettles: `export default async function () { await new Promise(() => {}); }`,
      logFlood: `export default async function (ctx) { const mb = 'x'.repeat(1024 * 1024); for (let i = 0; i < 100; i++) ctx.log.info(mb); return 'logged'; }`,
      metadata: `export default async function (ctx) { const r = await ctx.http.fetch('http://169.254.169.254/latest/meta-data/'); return r.status; }`,
    };
    // A literal require or import is refused at publish time, with the line.
    await call('POST', '/api/v1/workflows', {
      name: 'literal-require',
      source: `export default async function () {\n  return require('fs');\n}`,
    });
    const refused = await call('POST', '/api/v1/workflows/literal-require/publish', {});
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.message).toMatch(/line 2/);
    for (const [name, source] of Object.entries(attempts)) {
      await deployed(`escape-${name.toLowerCase()}`, source, { timeoutMs: 2_000 });
    }
    for (const name of Object.keys(attempts)) {
      const result = await run(`escape-${name.toLowerCase()}`);
      expect(result.status, name).toBe(200);
      expect(['failed', 'timeout'], `${name}: ${JSON.stringify(result.body)}`).toContain(
        result.body.status,
      );
      expect(JSON.stringify(result.body), name).not.toMatch(/root:|PATH=|"HOME"/);
    }
    const flood = (await call('GET', '/api/v1/executions?status=failed&limit=200')).json();
    const floodRun = flood.data.find(
      (e: { workflowSlug: string }) => e.workflowSlug === 'escape-logflood',
    );
    expect(floodRun.error).toMatchObject({ kind: 'limit' });
    expect(floodRun.error.message).toMatch(/log output limit exceeded/);
    // The server is healthy and runs the next workflow.
    const ok = await deployed(
      'after-escapes',
      'export default async function () { return "fine"; }',
    );
    expect((await run(ok)).body.output).toBe('fine');
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  }, 60_000);

  it('pollution of passed-in values does not reach the host or the next run', async () => {
    const polluter = await deployed(
      'polluter',
      `export default async function (ctx) {
        try { ctx.input.__proto__.polluted = 'yes'; } catch {}
        Object.prototype.polluted = 'yes';
        return { own: ({}).polluted };
      }`,
    );
    expect((await run(polluter, { input: { a: 1 } })).body.output).toEqual({ own: 'yes' });
    const checker = await deployed(
      'checker',
      'export default async function () { return { polluted: ({}).polluted ?? null }; }',
    );
    expect((await run(checker)).body.output).toEqual({ polluted: null });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('lists executions with filters and a cursor, and re-runs one with the same input', async () => {
    const slug = await deployed(
      'listed',
      'export default async function (ctx) { return ctx.input; }',
    );
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await run(slug, { input: { i } })).body.executionId);
    const workflowId = (await call('GET', `/api/v1/workflows/${slug}`)).json().id;
    const page1 = (await call('GET', `/api/v1/executions?workflowId=${workflowId}&limit=3`)).json();
    expect(page1.data).toHaveLength(3);
    const page2 = (
      await call(
        'GET',
        `/api/v1/executions?workflowId=${workflowId}&limit=3&cursor=${page1.nextCursor}`,
      )
    ).json();
    expect([...page1.data, ...page2.data].map((e: { id: string }) => e.id)).toEqual(
      [...ids].reverse(),
    );
    expect(page2.nextCursor).toBeNull();
    const failed = (await call('GET', '/api/v1/executions?status=failed&limit=200')).json();
    expect(failed.data.every((e: { status: string }) => e.status === 'failed')).toBe(true);
    const future = (
      await call(
        'GET',
        `/api/v1/executions?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      )
    ).json();
    expect(future.data).toEqual([]);

    const rerun = await call('POST', `/api/v1/executions/${ids[2]}/rerun`);
    expect(rerun.statusCode).toBe(200);
    expect(rerun.json().output).toEqual({ i: 2 });
    const detail = (await call('GET', `/api/v1/executions/${rerun.json().executionId}`)).json();
    expect(detail.rerunOf).toBe(ids[2]);

    // Another org sees none of it.
    expect(
      (await call('GET', `/api/v1/executions/${ids[0]}`, undefined, other.liveKey)).statusCode,
    ).toBe(404);
    const theirs = (
      await call('GET', '/api/v1/executions?limit=200', undefined, other.liveKey)
    ).json();
    expect(theirs.data.some((e: { id: string }) => ids.includes(e.id))).toBe(false);
  });

  it('filters executions by workflow slug as by id, and names an unknown slug', async () => {
    const slug = await deployed(
      'by-slug',
      'export default async function (ctx) { return ctx.input; }',
    );
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await run(slug, { input: { i } })).body.executionId);
    const workflowId = (await call('GET', `/api/v1/workflows/${slug}`)).json().id;
    const bySlug = await call('GET', `/api/v1/executions?workflowId=${slug}`);
    expect(bySlug.statusCode).toBe(200);
    expect(bySlug.json().data.map((e: { id: string }) => e.id)).toEqual([...ids].reverse());
    const byId = (await call('GET', `/api/v1/executions?workflowId=${workflowId}`)).json();
    expect(byId.data).toEqual(bySlug.json().data);

    const unknown = await call('GET', '/api/v1/executions?workflowId=by-slg');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toMatch(/no workflow 'by-slg'/);
    // Another org's slug is unknown here too.
    expect(
      (await call('GET', `/api/v1/executions?workflowId=${slug}`, undefined, other.liveKey))
        .statusCode,
    ).toBe(404);
  });
});
