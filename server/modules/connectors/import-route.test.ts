import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  createTestApp,
  rowCounts,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';

const SPEC = new URL('../../../evals/data/specs/petstore-v3.yaml', import.meta.url);

interface Outcome {
  outcome: string;
  slug: string;
  summary: string;
  connector: { actionCount: number } | null;
  diff: { actions: { added: string[]; removed: string[]; changed: { slug: string }[] } } | null;
  warnings: { path: string; reason: string }[];
  stats: { operations: number; actions: number };
}

describe.each(TEST_DRIVERS)('spec import over the API (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let specServer: Server;
  let specUrl: string;
  let text: string;
  const post = (payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/connectors/import',
      headers: withKey(org.liveKey),
      payload: payload as object,
    });

  beforeAll(async () => {
    text = await readFile(SPEC, 'utf8');
    specServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/yaml' });
      res.end(text);
    });
    await new Promise<void>((resolve) => specServer.listen(0, '127.0.0.1', resolve));
    const port = (specServer.address() as AddressInfo).port;
    specUrl = `http://127.0.0.1:${port}/openapi.yaml`;
    t = await createTestApp(driver, {
      env: { WEFT_SSRF_TEST_ALLOWLIST: `127.0.0.1:${port}`, WEFT_RATE_LIMIT_PER_MINUTE: '100000' },
    });
    org = await seedOrg(t, 'Importer');
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((resolve) => specServer.close(() => resolve()));
  });

  it('a dry run shows what would be created and writes nothing', async () => {
    const before = await rowCounts(t);
    const res = await post({ text, dryRun: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Outcome>()).toMatchObject({
      outcome: 'preview',
      connector: null,
      stats: { operations: 19 },
    });
    expect(await rowCounts(t)).toEqual(before);
  });

  it('imports from a URL through the SSRF guard, and refuses private addresses', async () => {
    const res = await post({ url: specUrl, slug: 'petstore', selection: { mode: 'top', n: 5 } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<Outcome>()).toMatchObject({
      outcome: 'created',
      slug: 'petstore',
      connector: { actionCount: 5 },
    });
    for (const url of [
      'http://169.254.169.254/openapi.json',
      'http://10.0.0.1/spec.yaml',
      `http://[::1]:${new URL(specUrl).port}/x`,
    ]) {
      const refused = await post({ url, slug: 'nope' });
      expect(refused.statusCode, url).toBe(400);
      expect(refused.body).toMatch(/refused/);
    }
  });

  it('re-importing a newer spec shows a diff, and applies it only when asked', async () => {
    await post({ text, slug: 'pets' });
    const spec = YAML.parse(text) as { paths: Record<string, Record<string, unknown>> };
    delete spec.paths['/store/inventory'];
    spec.paths['/pet/{petId}/vaccinations'] = {
      get: {
        operationId: 'listVaccinations',
        summary: 'List vaccinations',
        parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: { '200': { description: 'ok' } },
      },
    };
    const newer = YAML.stringify(spec);
    const preview = await post({ text: newer, slug: 'pets' });
    expect(preview.statusCode).toBe(200);
    const diff = preview.json<Outcome>();
    expect(diff.outcome).toBe('preview');
    expect(diff.diff?.actions.added).toEqual(['listVaccinations']);
    expect(diff.diff?.actions.removed).toEqual(['getInventory']);
    expect(diff.summary).toMatch(/1 action added/);
    const unchanged = await t.app.inject({
      method: 'GET',
      url: '/api/v1/connectors/pets',
      headers: withKey(org.liveKey),
    });
    expect(unchanged.json<{ actionCount: number }>().actionCount).toBe(19);

    const applied = await post({ text: newer, slug: 'pets', apply: true, removeMissing: true });
    expect(applied.json<Outcome>()).toMatchObject({
      outcome: 'updated',
      connector: { actionCount: 19 },
    });
    const actions = await t.app.inject({
      method: 'GET',
      url: '/api/v1/connectors/pets/actions',
      headers: withKey(org.liveKey),
    });
    const slugs = actions.json<{ data: { slug: string }[] }>().data.map((a) => a.slug);
    expect(slugs).toContain('listVaccinations');
    expect(slugs).not.toContain('getInventory');
    const again = await post({ text: newer, slug: 'pets', apply: true });
    expect(again.json<Outcome>().outcome).toBe('unchanged');
  });

  it('refuses an unreadable document with a clear error, and takes an invalid one with warnings', async () => {
    const garbage = await post({ text: '{ this is not: [json or yaml' });
    expect(garbage.statusCode).toBe(422);
    expect(garbage.json<{ error: { message: string } }>().error.message.length).toBeGreaterThan(10);
    const spec = YAML.parse(text) as { paths: Record<string, Record<string, unknown>> };
    spec.paths['/broken'] = { get: 'not an operation' };
    const partial = await post({ text: YAML.stringify(spec), slug: 'partial' });
    expect(partial.statusCode, partial.body).toBe(201);
    expect(partial.json<Outcome>().warnings.some((w) => w.path.includes('broken'))).toBe(true);
  });
});
