import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
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

type CallResult = { isError?: boolean; content: { type: string; text?: string }[] };
const RULE = 'test keys cannot deploy to or run in production; use a live key';

describe.each(TEST_DRIVERS)('test keys stay out of production (%s)', (driver) => {
  let t: TestApp;
  let url: string;
  let org: SeededOrg;
  const clients: Client[] = [];

  const call = (method: 'GET' | 'POST', path: string, key: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: path,
      headers: withKey(key),
      ...(payload !== undefined && { payload: payload as object }),
    });

  const expectRefused = (res: { statusCode: number; body: string }) => {
    expect(res.statusCode, res.body).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({
      error: {
        code: 'forbidden',
        message: expect.stringContaining(RULE) as string,
        details: { rule: 'test_key_production', environment: 'production' },
      },
    });
  };

  const connect = async (key: string): Promise<Client> => {
    const client = new Client({ name: 'env-agent', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp/admin`), {
        requestInit: { headers: { 'x-fastn-api-key': key } },
      }),
    );
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    org = await seedOrg(t, 'Modes');
    for (const slug of ['flow', 'fresh']) {
      const created = await call('POST', '/api/v1/workflows', org.liveKey, {
        name: slug,
        slug,
        source: 'export default async function (ctx) { return { env: ctx.env.name }; }',
      });
      expect(created.statusCode, created.body).toBe(201);
    }
    const published = await call('POST', '/api/v1/workflows/flow/publish', org.liveKey, {
      deployTo: ['production', 'staging', 'development'],
    });
    expect(published.statusCode, published.body).toBe(201);
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await t.close();
  });

  it('a test key cannot deploy to production (HTTP); development and staging are fine; a live key may', async () => {
    const body = { environment: 'production', version: 1 };
    expectRefused(await call('POST', '/api/v1/workflows/flow/deploy', org.testKey, body));
    for (const environment of ['development', 'staging']) {
      const res = await call('POST', '/api/v1/workflows/flow/deploy', org.testKey, {
        environment,
        version: 1,
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const live = await call('POST', '/api/v1/workflows/flow/deploy', org.liveKey, body);
    expect(live.statusCode, live.body).toBe(200);
  });

  it('a test key cannot publish straight into production, and nothing is published', async () => {
    expectRefused(
      await call('POST', '/api/v1/workflows/fresh/publish', org.testKey, {
        deployTo: ['staging', 'production'],
      }),
    );
    const versions = await call('GET', '/api/v1/workflows/fresh/versions', org.testKey);
    expect(versions.json<{ data: unknown[] }>().data).toEqual([]);
    const ok = await call('POST', '/api/v1/workflows/fresh/publish', org.testKey, {
      deployTo: ['staging'],
    });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('a test key cannot run in production (HTTP), whoever holds the role; it runs in development and staging', async () => {
    const developerTestKey = await seedUserKey(t, org, 'developer', 'test');
    for (const key of [org.testKey, developerTestKey]) {
      expectRefused(
        await call('POST', '/api/v1/workflows/flow/run', key, { environment: 'production' }),
      );
      expectRefused(
        await call('POST', '/api/v1/workflows/flow/run', key, {
          environment: 'production',
          version: 1,
        }),
      );
    }
    const byDefault = await call('POST', '/api/v1/workflows/flow/run', org.testKey, {});
    expect(byDefault.statusCode, byDefault.body).toBe(200);
    expect(byDefault.json()).toMatchObject({ environment: 'development', status: 'completed' });
    const staging = await call('POST', '/api/v1/workflows/flow/run', org.testKey, {
      environment: 'staging',
    });
    expect(staging.json()).toMatchObject({ environment: 'staging', output: { env: 'staging' } });
    const live = await call('POST', '/api/v1/workflows/flow/run', org.liveKey, {});
    expect(live.json()).toMatchObject({ environment: 'production', status: 'completed' });
  });

  it('a test key cannot rerun a production execution; a live key can', async () => {
    const ran = await call('POST', '/api/v1/workflows/flow/run', org.liveKey, {});
    const id = ran.json<{ executionId: string }>().executionId;
    expectRefused(await call('POST', `/api/v1/executions/${id}/rerun`, org.testKey));
    const again = await call('POST', `/api/v1/executions/${id}/rerun`, org.liveKey);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ environment: 'production', status: 'completed' });
  });

  it('a test key cannot route a trigger to production, nor replay an event that runs there', async () => {
    const trigger = { type: 'webhook', name: 'to prod', routes: [{ workflow: 'flow' }] };
    expectRefused(await call('POST', '/api/v1/triggers', org.testKey, trigger));
    const toDev = await call('POST', '/api/v1/triggers', org.testKey, {
      ...trigger,
      routes: [{ workflow: 'flow', environment: 'development' }],
    });
    expect(toDev.statusCode, toDev.body).toBe(201);
    const devId = toDev.json<{ id: string }>().id;
    expectRefused(
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/triggers/${devId}`,
        headers: withKey(org.testKey),
        payload: { routes: [{ workflow: 'flow', environment: 'production' }] },
      }),
    );

    const toProd = await call('POST', '/api/v1/triggers', org.liveKey, trigger);
    expect(toProd.statusCode, toProd.body).toBe(201);
    const received = await t.app.inject({
      method: 'POST',
      url: `/hooks/${toProd.json<{ id: string }>().id}`,
      headers: { 'content-type': 'application/json' },
      payload: { n: 1 },
    });
    expect(received.statusCode, received.body).toBe(202);
    const eventId = received.json<{ eventId: string }>().eventId;
    expectRefused(await call('POST', `/api/v1/events/${eventId}/replay`, org.testKey));
  });

  it('the same rule holds for tools: run_workflow and deploy_workflow refuse production to a test key', async () => {
    const test = await connect(org.testKey);
    const live = await connect(org.liveKey);
    const errorOf = (result: CallResult) =>
      (JSON.parse(result.content[1]?.text ?? '{}') as { error?: { code: string; message: string } })
        .error;
    for (const [name, args] of [
      ['run_workflow', { workflow: 'flow', environment: 'production' }],
      ['deploy_workflow', { workflow: 'flow', environment: 'production', version: 1 }],
      ['publish_workflow', { workflow: 'fresh', deployTo: ['production'] }],
    ] as const) {
      const refused = (await test.callTool({ name, arguments: args })) as CallResult;
      expect(refused.isError, name).toBe(true);
      expect(errorOf(refused)).toMatchObject({
        code: 'forbidden',
        message: expect.stringContaining(RULE) as string,
      });
    }
    const inDev = (await test.callTool({
      name: 'run_workflow',
      arguments: { workflow: 'flow' },
    })) as CallResult;
    expect(inDev.isError, inDev.content[0]?.text).toBeFalsy();
    const inProd = (await live.callTool({
      name: 'run_workflow',
      arguments: { workflow: 'flow', environment: 'production' },
    })) as CallResult;
    expect(inProd.isError, inProd.content[0]?.text).toBeFalsy();
  });

  it('a viewer cannot run a workflow, over HTTP or as a tool (workflows:execute)', async () => {
    const viewer = await seedUserKey(t, org, 'viewer', 'live');
    const res = await call('POST', '/api/v1/workflows/flow/run', viewer, {});
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json()).toMatchObject({
      error: { code: 'forbidden', details: { permission: 'workflows:execute' } },
    });
    const client = await connect(viewer);
    const result = (await client.callTool({
      name: 'run_workflow',
      arguments: { workflow: 'flow' },
    })) as CallResult;
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(/^forbidden: .*workflows:execute/);
  });
});
