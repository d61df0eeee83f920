import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, type TestApp } from '../test/app.ts';
import { TEST_DRIVERS } from '../test/db.ts';

type CallResult = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
};

// Tool arguments meet the same rule as HTTP bodies: typed text (names, slugs) cannot hold NUL
// or unpaired surrogates and is refused naming the field; arguments typed as arbitrary JSON are
// workflow data and are stored as they are.
describe.each(TEST_DRIVERS)('text in tool arguments (%s)', (driver) => {
  let t: TestApp;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallResult;

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const org = await seedOrg(t, 'Text');
    client = new Client({ name: 'agent', version: '1' });
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

  it.each([
    ['NUL', 'Acme\u0000Corp', /U\+0000/],
    ['a lone high surrogate', 'Acme\uD800', /unpaired surrogate/],
    ['a lone low surrogate', '\uDC00Acme', /unpaired surrogate/],
  ])('a customer name with %s is refused naming the field', async (_label, name, reason) => {
    const result = await call('create_customer', { name });
    expect(result.isError).toBe(true);
    const text = result.content[0]?.text ?? '';
    expect(text).toMatch(/validation_failed/);
    expect(text).toContain('/name');
    expect(text).toMatch(reason);
    expect(text).not.toMatch(/internal error/);
    const listed = await call('list_customers', {});
    expect(listed.structuredContent?.['data']).toEqual([]);
  });

  it('workflow data holding NUL and lone surrogates is taken and returned as sent', async () => {
    const created = await call('create_workflow', {
      name: 'Echo',
      slug: 'echo',
      tier: 'instant',
      source: 'export default async function (ctx) { return { got: ctx.input }; }',
    });
    expect(created.isError, created.content[0]?.text).toBeFalsy();
    const published = await call('publish_workflow', {
      workflow: 'echo',
      deployTo: ['production'],
    });
    expect(published.isError, published.content[0]?.text).toBeFalsy();
    const input = { note: 'a\u0000b', odd: '\uD800x' };
    const run = await call('run_workflow', { workflow: 'echo', input });
    expect(run.isError, run.content[0]?.text).toBeFalsy();
    expect(run.structuredContent).toMatchObject({ status: 'completed', output: { got: input } });
  });
});
