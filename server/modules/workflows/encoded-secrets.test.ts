// A workflow reads a secret, sends it to an API that hands it back encoded (the fixture's
// /reflect), and logs, returns, throws and fetches with what came back: the execution's output,
// error, logs and spans hold no spelling of the secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import { startApiServer, type ApiServer } from '../../../test/fixtures/index.ts';

const SECRET = 'sk_live/TOP+SECRET=9f8e 7d6c';
const FORMS = {
  base64: Buffer.from(SECRET).toString('base64'),
  base64url: Buffer.from(SECRET).toString('base64url'),
  percent: encodeURIComponent(SECRET),
};

describe.each(TEST_DRIVERS)('encoded secrets in workflow runs (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let api: ApiServer;

  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: withKey(org.liveKey),
      ...(payload !== undefined && { payload: payload as object }),
    });

  async function deployAndRun(slug: string, source: string) {
    expect((await call('POST', '/api/v1/workflows', { name: slug, slug, source })).statusCode).toBe(
      201,
    );
    const published = await call('POST', `/api/v1/workflows/${slug}/publish`, {
      deployTo: ['production'],
    });
    expect(published.statusCode, published.body).toBe(201);
    const ran = await call('POST', `/api/v1/workflows/${slug}/run`, { input: { base: api.url } });
    expect(ran.statusCode, ran.body).toBe(200);
    const { executionId } = ran.json<{ executionId: string }>();
    const detail = await call('GET', `/api/v1/executions/${executionId}`);
    expect(detail.statusCode).toBe(200);
    return { run: ran, detail };
  }

  beforeAll(async () => {
    api = await startApiServer();
    t = await createTestApp(driver, {
      env: {
        WEFT_RATE_LIMIT_PER_MINUTE: '100000',
        WEFT_SSRF_TEST_ALLOWLIST: new URL(api.url).host,
        WEFT_SANDBOX_PROCESSES: '1',
      },
    });
    org = await seedOrg(t, 'Encoded');
    const put = await call('PUT', '/api/v1/secrets/API_KEY', { value: SECRET });
    expect([200, 201]).toContain(put.statusCode);
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await api.close();
  });

  it('redacts each encoding in the output, the logs, step names and spans', async () => {
    const { run, detail } = await deployAndRun(
      'reflector',
      `export default async function (ctx) {
        const key = await ctx.secrets.get('API_KEY');
        const out = {};
        for (const as of ['base64', 'base64url', 'percent']) {
          const res = await ctx.http.fetch(ctx.input.base + '/reflect?as=' + as, {
            headers: { 'x-api-key': key },
          });
          const echoed = (await res.json()).headers['x-api-key'];
          ctx.log.info('echoed as ' + as + ': ' + echoed);
          ctx.log.warn({ [echoed]: { as, echoed } });
          await ctx.step('seen-' + echoed, async () => echoed);
          await ctx.http.fetch(ctx.input.base + '/echo/' + encodeURIComponent(echoed));
          out[as] = echoed;
        }
        return out;
      }`,
    );
    expect(run.json()).toMatchObject({
      status: 'completed',
      output: { base64: '[redacted]', base64url: '[redacted]', percent: '[redacted]' },
    });
    const body = detail.body;
    for (const [as, form] of Object.entries(FORMS)) {
      expect(run.body, as).not.toContain(form);
      expect(body, as).not.toContain(form);
      expect(body, as).not.toContain(encodeURIComponent(form));
    }
    expect(body).not.toContain(SECRET);
    const execution = detail.json<{
      logs: { message: string }[];
      spans: { name: string }[];
    }>();
    expect(execution.logs.map((l) => l.message)).toContain('echoed as base64: [redacted]');
    const fetched = execution.spans.filter((s) => s.name.includes('/echo/'));
    expect(fetched).toHaveLength(3);
    for (const span of fetched) expect(span.name).toContain('[redacted]');
    // The API really did hand the secret back: this is what it received.
    expect(api.requests.filter((r) => r.headers['x-api-key'] === SECRET)).toHaveLength(3);
  });

  it('redacts an encoded secret in a thrown error', async () => {
    const { run, detail } = await deployAndRun(
      'reflect-thrower',
      `export default async function (ctx) {
        const key = await ctx.secrets.get('API_KEY');
        const res = await ctx.http.fetch(ctx.input.base + '/reflect?as=base64url', {
          headers: { 'x-api-key': key },
        });
        throw new Error('rejected ' + (await res.json()).headers['x-api-key']);
      }`,
    );
    expect(run.json()).toMatchObject({
      status: 'failed',
      error: { message: 'rejected [redacted]' },
    });
    expect(detail.body).not.toContain(FORMS.base64url);
  });

  it('keeps every form out of the server logs', () => {
    const logs = t.logs.join('\n');
    for (const form of [SECRET, ...Object.values(FORMS)]) expect(logs).not.toContain(form);
  });
});
