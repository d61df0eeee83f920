import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../test/app.ts';
import { TEST_DRIVERS } from '../test/db.ts';

type CallResult = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
};

describe.each(TEST_DRIVERS)('idempotency keys (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallResult;
  const customersNamed = async (name: string) =>
    t.database.db.owner(async (sql) =>
      sql.query<{ id: string }>('SELECT id FROM customers WHERE org_id = $1 AND name = $2', [
        org.organization.id,
        name,
      ]),
    );

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    org = await seedOrg(t, 'Retries');
    client = new Client({ name: 'retrying-agent', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp/admin`), {
        requestInit: { headers: { 'x-fastn-api-key': org.liveKey } },
      }),
    );
  });
  afterAll(async () => {
    await client.close();
    await t.close();
  });

  it('runs a call once for 20 concurrent repeats of each key; every repeat gets its answer', async () => {
    const keys = ['burst-a', 'burst-b'];
    const results = await Promise.all(
      keys.flatMap((key) =>
        Array.from({ length: 20 }, () =>
          call('create_customer', { name: `Burst ${key}`, idempotencyKey: key }),
        ),
      ),
    );
    for (const [i, key] of keys.entries()) {
      const mine = results.slice(i * 20, (i + 1) * 20);
      for (const r of mine) expect(r.isError, r.content[0]?.text).toBeFalsy();
      const created = await customersNamed(`Burst ${key}`);
      expect(created).toHaveLength(1);
      for (const r of mine) expect(r.structuredContent).toMatchObject({ id: created[0]?.id });
      expect(mine.filter((r) => /repeated call/.test(r.content[0]?.text ?? ''))).toHaveLength(19);
    }
  });

  it('refuses a key reused for different arguments, even while its first call runs', async () => {
    const [first, ...others] = await Promise.all([
      call('create_customer', { name: 'Keyed', idempotencyKey: 'reused' }),
      call('create_customer', { name: 'Other', idempotencyKey: 'reused' }),
      // A call that succeeds too: whichever claims the key first must be the one that runs.
      call('create_customer', { name: 'Third', externalId: 'third', idempotencyKey: 'reused' }),
    ]);
    // Whichever came first ran; the others were told the key belongs to another call.
    const ran = [first, ...others].filter((r) => !r.isError);
    expect(ran).toHaveLength(1);
    for (const r of [first, ...others].filter((x) => x.isError)) {
      expect(r.content[0]?.text).toMatch(
        /^conflict: idempotency key reused was used for a different call/,
      );
    }
  });

  it('lets a failed call be retried with the same key', async () => {
    const holder = await call('create_customer', { name: 'Holder', externalId: 'taken' });
    const failed = await call('create_customer', {
      name: 'Later',
      externalId: 'taken',
      idempotencyKey: 'after-failure',
    });
    expect(failed.isError).toBe(true);
    expect(failed.content[0]?.text).toMatch(/^conflict/);
    await call('delete_customer', { customerId: holder.structuredContent?.['id'] });
    const retried = await call('create_customer', {
      name: 'Later',
      externalId: 'taken',
      idempotencyKey: 'after-failure',
    });
    expect(retried.isError, retried.content[0]?.text).toBeFalsy();
    expect(retried.content[0]?.text).not.toMatch(/repeated call/);
    expect(await customersNamed('Later')).toHaveLength(1);
  });

  it('takes over a claim whose caller stopped renewing it', async () => {
    const first = await call('create_customer', { name: 'Abandoned', idempotencyKey: 'abandoned' });
    // What a process that died mid-call leaves behind: a claim last renewed long ago, and no
    // customer (its transaction never committed).
    await t.database.db.owner(async (sql) => {
      await sql.query('DELETE FROM customers WHERE id = $1', [first.structuredContent?.['id']]);
      await sql.query(
        `UPDATE idempotency_keys SET status = 'pending', response = NULL,
                claim_token = gen_random_uuid(), claimed_at = now() - interval '1 hour'
          WHERE key = 'abandoned'`,
      );
    });
    const result = await call('create_customer', {
      name: 'Abandoned',
      idempotencyKey: 'abandoned',
    });
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    expect(result.content[0]?.text).not.toMatch(/repeated call/);
    expect(await customersNamed('Abandoned')).toHaveLength(1);
    const again = await call('create_customer', { name: 'Abandoned', idempotencyKey: 'abandoned' });
    expect(again.structuredContent).toEqual(result.structuredContent);
  });
});
