import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, type TestApp } from '../test/app.ts';
import { TEST_DRIVERS } from '../test/db.ts';
import { tableChecksums } from '../test/table-checksums.ts';

type CallResult = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
};

describe.each(TEST_DRIVERS)('dry runs (%s)', (driver) => {
  let t: TestApp;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = (await client.callTool({ name, arguments: args })) as CallResult;
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    return result.structuredContent ?? {};
  };

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const org = await seedOrg(t, 'Dry');
    client = new Client({ name: 'careful-agent', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp/admin`), {
        requestInit: { headers: { 'x-fastn-api-key': org.liveKey } },
      }),
    );
    await client.listTools();
  });
  afterAll(async () => {
    await client.close();
    await t.close();
  });

  it('update_trigger answers with the change and leaves every table (schedules, hints) as it was', async () => {
    const trigger = await call('create_trigger', {
      type: 'scheduler',
      name: 'yearly',
      scheduler: { schedule: { preset: 'cron', expression: '0 0 1 1 *' } },
    });
    const before = await tableChecksums(t.database.db);
    const dry = await call('update_trigger', {
      triggerId: trigger['id'],
      name: 'renamed',
      scheduler: { schedule: { preset: 'cron', expression: '0 0 2 1 *' }, timezone: 'Asia/Tokyo' },
      dryRun: true,
    });
    expect(dry).toMatchObject({
      dryRun: true,
      name: 'renamed',
      scheduler: { schedule: { expression: '0 0 2 1 *' }, timezone: 'Asia/Tokyo' },
    });
    expect(await tableChecksums(t.database.db)).toEqual(before);
    expect(await call('get_trigger', { triggerId: trigger['id'] })).toMatchObject({
      name: 'yearly',
    });
  });
});
