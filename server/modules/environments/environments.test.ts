import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';

describe.each(TEST_DRIVERS)('environments (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, key?: string) =>
    t.app.inject({
      method,
      url,
      headers: withKey(key ?? org.liveKey),
      ...(payload && { payload }),
    });

  beforeAll(async () => {
    t = await createTestApp(driver);
    org = await seedOrg(t, 'Envs');
    const created = await call('POST', '/api/v1/workflows', {
      name: 'echo',
      slug: 'echo',
      source: 'export default async function (ctx) { return { got: ctx.input }; }',
    });
    expect(created.statusCode, created.body).toBe(201);
  }, 60_000);
  afterAll(() => t.close());

  it('lists the built-in environments of a new org', async () => {
    const res = await call('GET', '/api/v1/environments');
    expect(res.statusCode).toBe(200);
    expect(res.json<{ data: { name: string; builtIn: boolean }[] }>().data).toEqual([
      expect.objectContaining({ name: 'development', builtIn: true }),
      expect.objectContaining({ name: 'staging', builtIn: true }),
      expect.objectContaining({ name: 'production', builtIn: true }),
    ]);
  });

  it('a custom environment takes deployments and runs, and the built-in ones still work', async () => {
    const unknown = await call('POST', '/api/v1/workflows/echo/publish', { deployTo: ['qa'] });
    expect(unknown.statusCode, unknown.body).toBe(404);
    expect(unknown.json<{ error: { message: string } }>().error.message).toMatch(
      /no environment 'qa'/,
    );

    const created = await call('POST', '/api/v1/environments', {
      name: 'qa',
      description: 'manual testing',
    });
    expect(created.statusCode, created.body).toBe(201);
    expect((await call('POST', '/api/v1/environments', { name: 'qa' })).statusCode).toBe(409);
    expect((await call('POST', '/api/v1/environments', { name: 'production' })).statusCode).toBe(
      422,
    );

    const published = await call('POST', '/api/v1/workflows/echo/publish', {
      deployTo: ['qa', 'production'],
    });
    expect(published.statusCode, published.body).toBe(201);
    const ran = await call('POST', '/api/v1/workflows/echo/run', {
      environment: 'qa',
      input: { n: 1 },
    });
    expect(ran.statusCode, ran.body).toBe(200);
    expect(ran.json()).toMatchObject({
      environment: 'qa',
      status: 'completed',
      output: { got: { n: 1 } },
    });
    // A test key reaches a custom environment (only production is closed to it).
    const fromTest = await call(
      'POST',
      '/api/v1/workflows/echo/run',
      { environment: 'qa' },
      org.testKey,
    );
    expect(fromTest.statusCode, fromTest.body).toBe(200);
    const prod = await call('POST', '/api/v1/workflows/echo/run', {});
    expect(prod.json()).toMatchObject({ environment: 'production', status: 'completed' });
    // Executions filter by environment, a custom one too.
    const inEnv = async (environment: string) =>
      (await call('GET', `/api/v1/executions?environment=${environment}`))
        .json<{ data: { environment: string }[] }>()
        .data.map((e) => e.environment);
    expect(await inEnv('qa')).toEqual(['qa', 'qa']);
    expect(await inEnv('production')).toEqual(['production']);
    expect(await inEnv('staging')).toEqual([]);
    expect((await call('GET', '/api/v1/executions?environment=Not%20A%20Name')).statusCode).toBe(
      422,
    );

    const deployed = await call('POST', '/api/v1/workflows/echo/deploy', {
      environment: 'staging',
      version: 1,
    });
    expect(deployed.statusCode, deployed.body).toBe(200);
    const list = (await call('GET', '/api/v1/environments')).json<{
      data: { name: string; deployments: number; description: string }[];
    }>().data;
    expect(list.find((e) => e.name === 'qa')).toMatchObject({
      deployments: 1,
      description: 'manual testing',
    });
    expect(list.find((e) => e.name === 'staging')).toMatchObject({ deployments: 1 });

    const trigger = await call('POST', '/api/v1/triggers', {
      type: 'webhook',
      name: 'to qa',
      routes: [{ workflow: 'echo', environment: 'qa' }],
    });
    expect(trigger.statusCode, trigger.body).toBe(201);
    const badTrigger = await call('POST', '/api/v1/triggers', {
      type: 'webhook',
      name: 'to nowhere',
      routes: [{ workflow: 'echo', environment: 'nowhere' }],
    });
    expect(badTrigger.statusCode).toBe(404);
  });

  it('deleting a custom environment removes its deployments; the built-in ones cannot be deleted', async () => {
    expect((await call('DELETE', '/api/v1/environments/production')).statusCode).toBe(409);
    const removed = await call('DELETE', '/api/v1/environments/qa');
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json()).toMatchObject({ triggerRoutes: 1 });
    expect(removed.json<{ undeployedWorkflows: string[] }>().undeployedWorkflows).toHaveLength(1);
    const workflow = (await call('GET', '/api/v1/workflows/echo')).json<{
      deployments: Record<string, unknown>;
    }>();
    expect(Object.keys(workflow.deployments).sort()).toEqual(['production', 'staging']);
    const run = await call('POST', '/api/v1/workflows/echo/run', { environment: 'qa' });
    expect(run.statusCode).toBeGreaterThanOrEqual(400);
    expect((await call('DELETE', '/api/v1/environments/qa')).statusCode).toBe(404);
    const audit = (await call('GET', '/api/v1/audit-log?resourceType=environment')).json<{
      data: { action: string; resourceId: string }[];
    }>().data;
    expect(audit.map((a) => `${a.action} ${a.resourceId}`)).toEqual([
      'environment.delete qa',
      'environment.create qa',
    ]);
  });
});
