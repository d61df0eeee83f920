// Integration: a spec imported into a connector, its actions tested against a mock built from the
// spec (through the real engine and SSRF guard), three deliberately wrong actions caught with
// the right error class, tests stored and compared on a re-run.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, type TestApp } from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import { ActionInputSchema, CreateConnectorSchema } from '../../domain/connector.ts';
import { operatorTenant, type Tenant } from '../../domain/tenant.ts';
import {
  createConnector,
  getConnector,
  putAction,
  updateConnector,
} from '../connectors/connectors.service.ts';
import { importSpecIntoConnector } from '../connectors/import.service.ts';
import { createConnectionRuntime, type ConnectionRuntime } from '../connections/runtime.ts';
import { listActionTests, testActions } from './action-tests.service.ts';

const PETSTORE = new URL('../../../evals/data/specs/petstore-v3.yaml', import.meta.url);

describe.each(TEST_DRIVERS)('test_actions service (%s)', (driver) => {
  let t: TestApp;
  let runtime: ConnectionRuntime;
  let tenant: Tenant;
  let other: Tenant;
  const guard = () => ({
    env: t.config.env,
    ssrfTestAllowlist: t.config.ssrfTestAllowlist,
    egressAllow: t.config.egressAllow,
  });

  beforeAll(async () => {
    t = await createTestApp(driver);
    runtime = await createConnectionRuntime({
      config: t.config,
      db: t.database.db,
      keyring: t.keyring,
      onError: (message, error) => {
        throw new Error(`${message}: ${String(error)}`);
      },
    });
    const org = await seedOrg(t, 'Testers');
    tenant = operatorTenant({ orgId: org.organization.id, userId: null, label: 'test' });
    const second = await seedOrg(t, 'Others');
    other = operatorTenant({ orgId: second.organization.id, userId: null, label: 'test' });
    const imported = await importSpecIntoConnector({
      db: t.database.db,
      tenant,
      source: { kind: 'text', text: await readFile(PETSTORE, 'utf8') },
      fetchText: runtime.fetchText,
      selection: { mode: 'all' },
      slug: 'petstore',
      apply: false,
      removeMissing: false,
      dryRun: false,
    });
    expect(imported.outcome).toBe('created');
  });
  afterAll(async () => {
    await runtime.close();
    await t.close();
  });

  it('passes every read action of petstore v3 against the mock of its spec', async () => {
    const started = performance.now();
    const result = await testActions({
      runtime,
      tenant,
      guard: guard(),
      input: { connector: 'petstore', mock: true },
    });
    const elapsed = performance.now() - started;
    const failures = result.results.filter((r) => r.outcome !== 'pass');
    expect(failures, JSON.stringify(failures, null, 2)).toEqual([]);
    const slugs = result.results.map((r) => r.action).sort();
    expect(slugs).toEqual(
      expect.arrayContaining(['findPetsByStatus', 'getPetById', 'getInventory', 'getOrderById']),
    );
    expect(result.results.every((r) => r.method === 'GET')).toBe(true);
    const pet = result.results.find((r) => r.action === 'getPetById');
    expect(pet).toMatchObject({
      status: 200,
      outputConforms: true,
      errorClass: null,
      input: { petId: expect.any(Number) },
    });
    // The made-up credential is scrubbed from what is kept.
    expect(JSON.stringify(result)).not.toContain('weft-mock-token');
    expect(pet?.request?.headers['authorization']).toMatch(/^\[redacted/);
    expect(pet?.request?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3\/pet\/\d+$/);
    expect(result.specFindings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(elapsed).toBeLessThan(30_000);
  });

  it('fails a wrong path, a query parameter sent in the body and an API key in the wrong header, each with its class', async () => {
    await putAction({
      db: t.database.db,
      tenant,
      ref: 'petstore',
      input: ActionInputSchema.parse({
        slug: 'getPetWrongPath',
        name: 'Wrong path',
        method: 'GET',
        path: '/pets/{petId}',
        parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }],
      }),
    });
    await putAction({
      db: t.database.db,
      tenant,
      ref: 'petstore',
      input: ActionInputSchema.parse({
        slug: 'findPetsStatusInBody',
        name: 'Status in the body',
        method: 'GET',
        path: '/pet/findByStatus',
        parameters: [
          {
            name: 'status',
            in: 'body',
            required: true,
            schema: { type: 'string', enum: ['sold'] },
          },
        ],
      }),
    });
    const paths = await testActions({
      runtime,
      tenant,
      guard: guard(),
      input: {
        connector: 'petstore',
        mock: true,
        actions: ['getPetWrongPath', 'findPetsStatusInBody'],
      },
    });
    expect(paths.results.map((r) => [r.action, r.outcome, r.status, r.errorClass])).toEqual([
      ['getPetWrongPath', 'fail', 404, 'path'],
      ['findPetsStatusInBody', 'fail', 400, 'parameter_location'],
    ]);
    expect(paths.results[1]?.error).toMatch(/query parameter 'status' was sent in the body/);

    const connector = await getConnector({ db: t.database.db, tenant, ref: 'petstore' });
    await updateConnector({
      db: t.database.db,
      tenant,
      ref: 'petstore',
      input: {
        authMethods: connector.authMethods.map((m) =>
          m.type === 'api_key' ? { ...m, name: 'X-API-Key' } : m,
        ),
      },
    });
    const key = await testActions({
      runtime,
      tenant,
      guard: guard(),
      input: {
        connector: 'petstore',
        mock: true,
        actions: ['getPetById'],
        authMethod: 'api_key',
      },
    });
    expect(key.results[0]).toMatchObject({ outcome: 'fail', status: 401, errorClass: 'auth' });
    expect(key.results[0]?.error).toMatch(/header 'api_key'/);
    // Compared with the earlier passing run of the same action: the status and version changed.
    expect(key.results[0]?.drift).toMatchObject({ statusChanged: true, versionChanged: true });
  });

  it('runs listed writes on the mock, refuses unknown connections and connectors without a spec, keeps tests per tenant', async () => {
    await expect(
      testActions({
        runtime,
        tenant,
        guard: guard(),
        input: { connector: 'petstore', connectionId: '00000000-0000-4000-8000-000000000000' },
      }),
    ).rejects.toThrow(/no connection 00000000/);
    const writeWithoutMock = await testActions({
      runtime,
      tenant,
      guard: guard(),
      input: { connector: 'petstore', mock: true, actions: ['addPet', 'getOrderById'] },
    });
    expect(writeWithoutMock.results.map((r) => [r.action, r.outcome])).toEqual([
      ['addPet', 'pass'],
      ['getOrderById', 'pass'],
    ]);
    expect(writeWithoutMock.results[0]?.request?.body).toContain('photoUrls');
    await createConnector({
      db: t.database.db,
      tenant,
      input: CreateConnectorSchema.parse({ slug: 'handmade', name: 'Handmade' }),
    });
    await expect(
      testActions({
        runtime,
        tenant,
        guard: guard(),
        input: { connector: 'handmade', mock: true },
      }),
    ).rejects.toThrow(/has no stored source spec/);
    await expect(
      testActions({ runtime, tenant, guard: guard(), input: { connector: 'petstore' } }),
    ).rejects.toThrow(/either connectionId .* or mock: true/);
    const stored = await listActionTests({
      runtime,
      tenant,
      connectorId: 'petstore',
      action: 'getPetById',
      limit: 10,
    });
    expect(stored.map((s) => s.passed)).toEqual([false, true]);
    expect(stored[1]?.response?.status).toBe(200);
    await expect(
      listActionTests({
        runtime,
        tenant: other,
        connectorId: 'petstore',
        action: undefined,
        limit: 5,
      }),
    ).rejects.toThrow(/no connector 'petstore'/);
  });
});
