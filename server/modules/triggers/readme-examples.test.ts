import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The shell block of the README that starts at `marker` (up to its closing fence). */
function blockFrom(marker: string): string {
  const at = README.indexOf(marker);
  expect(at, marker).toBeGreaterThan(0);
  return README.slice(at, README.indexOf('```', at));
}

/** The README's examples, run as written against a real server. */
describe('README examples', () => {
  let t: TestApp;
  let url: string;
  let org: SeededOrg;
  const call = (method: 'GET' | 'POST', route: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: route,
      headers: withKey(org.liveKey),
      ...(payload !== undefined && { payload: payload as object }),
    });

  beforeAll(async () => {
    t = await createTestApp('pglite');
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    org = await seedOrg(t, 'Readme');
    await call('POST', '/api/v1/workflows', {
      name: 'Sync order',
      tier: 'instant',
      source: 'export default async function (ctx) { return ctx.input; }',
    });
    await call('POST', '/api/v1/workflows/sync-order/publish', { deployTo: ['production'] });
  });
  afterAll(() => t.close());

  it('spec import selections: all, a tag, a list, the top N', async () => {
    const text = fs.readFileSync(path.join(ROOT, 'evals/data/specs/petstore-v3.yaml'), 'utf8');
    const lines = README.split('\n').filter((l) => l.startsWith("imp '"));
    const counts: number[] = [];
    for (const line of lines) {
      const body = JSON.parse(
        line.slice(5, line.lastIndexOf("'")).replace(`"url":"'$SPEC'"`, '"url":null'),
      ) as Record<string, unknown>;
      delete body['url'];
      const res = await call('POST', '/api/v1/connectors/import', { ...body, text });
      expect(res.statusCode, res.body).toBe(201);
      counts.push(res.json<{ connector: { actionCount: number } }>().connector.actionCount);
    }
    expect(counts).toEqual([19, 8, 2, 5]);
  });

  it('signs a webhook delivery with openssl, or with node, as the hook endpoint checks it', async () => {
    const created = await call('POST', '/api/v1/triggers', {
      type: 'webhook',
      name: 'Shop orders',
      webhook: { auth: { type: 'hmac' } },
      routes: [{ workflow: 'sync-order' }],
    });
    const { id, secret } = created.json<{ id: string; secret: string }>();
    const block = blockFrom("SECRET='whsec_…'")
      .replace("SECRET='whsec_…'", `SECRET='${secret}'`)
      .replace(`HOOK='http://localhost:8787/hooks/<trigger id>'`, `HOOK='${url}/hooks/${id}'`);
    const withNode = block.replace(/^SIG=\$\(printf.*$/m, '').replace(/^# or: /m, '');
    for (const script of [block, withNode]) {
      const { stdout } = await run('bash', ['-c', script], { encoding: 'utf8' });
      expect(stdout).toMatch(/^\{"eventId":"[0-9a-f-]{36}","verdict":"pending"\}$/);
    }
    // A wrong secret is refused: the example is what makes the difference.
    const wrong = block.replace(
      /SECRET='whsec_[^']+'/,
      `SECRET='whsec_${Buffer.from('x'.repeat(24)).toString('base64')}'`,
    );
    const { stdout } = await run('bash', ['-c', wrong], { encoding: 'utf8' });
    expect(stdout).toMatch(/unauthorized/);
  });

  it('creates the interval and cron scheduler triggers', async () => {
    const block = blockFrom('"type": "scheduler", "name": "Sync every 15 minutes"');
    const bodies = [...`-d '{\n  ${block}`.matchAll(/-d '(\{[\s\S]*?\})'/g)].map((m) =>
      JSON.parse(m[1] ?? ''),
    );
    expect(bodies).toHaveLength(2);
    for (const body of bodies) {
      const res = await call('POST', '/api/v1/triggers', body);
      expect(res.statusCode, res.body).toBe(201);
      expect(
        res.json<{ scheduler: { nextRunAt: string | null } }>().scheduler.nextRunAt,
      ).not.toBeNull();
    }
  });
});
