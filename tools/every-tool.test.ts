import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../test/connections.ts';
import { tableChecksums } from '../test/table-checksums.ts';
import { ADMIN_TOOLS } from './index.ts';

type CallResult = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
};

const PETSTORE = new URL('../evals/data/specs/petstore-v2.yaml', import.meta.url);

/**
 * Every admin tool, called once with good arguments and once with bad ones, through the real
 * client: over Streamable HTTP, and over stdio (`weft mcp` relaying to the same server).
 */
describe.each(['streamable-http', 'stdio'] as const)('every admin tool (%s)', (transport) => {
  let h: ConnectionsHarness;
  let client: Client;
  const succeeded = new Set<string>();
  const dryRun = new Set<string>();
  const ok = async (
    name: string,
    args: Record<string, unknown>,
  ): Promise<Record<string, unknown>> => {
    // Every write is first called as a dry run with the same arguments: it must succeed and
    // leave every table as it was.
    if (ADMIN_TOOLS.find((t) => t.name === name)?.write) {
      const before = await tableChecksums(h.t.database.db);
      const dry = (await client.callTool({
        name,
        arguments: { ...args, dryRun: true },
      })) as CallResult;
      expect(
        dry.isError,
        `${name} (dry run): ${dry.content.map((c) => c.text).join(' ')}`,
      ).toBeFalsy();
      expect(await tableChecksums(h.t.database.db), `${name} (dry run) wrote`).toEqual(before);
      dryRun.add(name);
    }
    const result = (await client.callTool({ name, arguments: args })) as CallResult;
    expect(result.isError, `${name}: ${result.content.map((c) => c.text).join(' ')}`).toBeFalsy();
    succeeded.add(name);
    return result.structuredContent ?? {};
  };

  beforeAll(async () => {
    h = await startConnectionsHarness('pglite');
    client = new Client({ name: 'coverage-agent', version: '1' });
    if (transport === 'stdio') {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-stdio-tools-'));
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [path.join(import.meta.dirname, '..', 'bin', 'weft.ts'), 'mcp'],
          env: {
            PATH: process.env['PATH'] ?? '',
            WEFT_URL: h.weftUrl,
            WEFT_API_KEY: h.org.liveKey,
            WEFT_DATA_DIR: dataDir,
            LOG_LEVEL: 'warn',
          },
        }),
      );
    } else {
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${h.weftUrl}/mcp/admin`), {
          requestInit: { headers: { 'x-fastn-api-key': h.org.liveKey } },
        }),
      );
    }
  });
  afterAll(async () => {
    await client.close();
    await h.close();
  });

  it('lists every tool with its schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(ADMIN_TOOLS.map((t) => t.name).sort());
    for (const tool of tools) {
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
    }
  });

  it('succeeds with good arguments, in the order an agent would use them', async () => {
    const customer = await ok('create_customer', { name: 'Coverage', externalId: 'cov' });
    await ok('get_customer', { id: customer['id'] });
    await ok('update_customer', { id: customer['id'], name: 'Coverage Inc' });
    await ok('list_customers', {});
    await ok('import_openapi', {
      text: await readFile(PETSTORE, 'utf8'),
      slug: 'pets',
      selection: { mode: 'tag', tags: ['pet'] },
    });
    await ok('create_connector', {
      slug: 'api',
      name: 'API',
      baseUrl: h.fx.api.url,
      authMethods: [{ key: 'api_key', type: 'api_key', in: 'header', name: 'X-Api-Key' }],
    });
    await ok('update_connector', { connector: 'api', changes: { description: 'The fixture API' } });
    await ok('get_connector', { connector: 'api' });
    await ok('list_connectors', {});
    await ok('upsert_action', {
      connector: 'api',
      action: { slug: 'me', name: 'Me', method: 'GET', path: '/me' },
    });
    await ok('upsert_action', {
      connector: 'api',
      action: { slug: 'echo', name: 'Echo', method: 'POST', path: '/echo/x' },
    });
    await ok('get_action', { connector: 'api', action: 'me' });
    await ok('list_actions', { connector: 'api' });
    await ok('upsert_event', { connector: 'api', event: { name: 'thing.created' } });
    await ok('list_events', { connector: 'api' });
    const exported = await ok('export_connector', { connector: 'api' });
    await ok('import_connector_definition', {
      document: {
        ...exported,
        connector: { ...(exported['connector'] as object), slug: 'api_copy' },
      },
    });
    await ok('set_oauth_app', {
      connector: 'pets',
      app: {
        clientId: 'weft-app',
        clientSecret: 'weft-app-secret',
        authorizeUrl: h.fx.provider.authorizeUrl,
        tokenUrl: h.fx.provider.tokenUrl,
      },
    });
    const connection = await ok('create_connection', {
      connector: 'api',
      customerId: customer['id'],
      credentials: { apiKey: 'key-123' },
    });
    await ok('get_connection', { id: connection['id'] });
    await ok('list_connections', { customerId: customer['id'] });
    await ok('test_connection', { id: connection['id'] });
    const run = await ok('run_action', { connectionId: connection['id'], action: 'me' });
    expect(run['status']).toBe(200);
    await ok('proxy_request', {
      connectionId: connection['id'],
      request: { method: 'GET', path: '/me' },
    });
    await ok('get_trace', { traceId: run['traceId'] });
    const started = await ok('start_oauth', {
      connector: 'pets',
      customerId: customer['id'],
      redirectUri: `${h.weftUrl}/api/v1/oauth/callback`,
    });
    expect(String(started['url'])).toContain(h.fx.provider.authorizeUrl);
    await ok('list_cdm_entities', {});
    await ok('get_cdm_schema', { entity: 'Contact' });
    const suggested = await ok('suggest_mapping', {
      connector: 'pets',
      action: 'getPetById',
      entity: 'Product',
    });
    expect(suggested['fields']).toEqual(
      expect.arrayContaining([expect.objectContaining({ cdmField: 'name', sourcePath: 'name' })]),
    );
    await ok('save_mapping', {
      connector: 'pets',
      entity: 'Product',
      direction: 'to_canonical',
      fields: { id: '$string(id)', name: 'name' },
    });
    const previewed = await ok('preview_mapping', {
      connector: 'pets',
      entity: 'Product',
      direction: 'to_canonical',
      record: { id: 7, name: 'Rex' },
    });
    expect(previewed['data']).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'name', result: 'Rex' })]),
    );
    const workflow = await ok('create_workflow', {
      name: 'Who am I',
      source: 'export default async function (ctx) { return ctx.input; }',
    });
    await ok('get_workflow', { workflow: workflow['slug'] });
    await ok('update_workflow', {
      workflow: workflow['id'],
      source:
        'export default async function (ctx) { const me = await ctx.connectors.api.me({}); return { status: me.status, n: ctx.input.n }; }',
    });
    await ok('list_workflows', {});
    await ok('publish_workflow', { workflow: 'who-am-i', deployTo: ['production'] });
    await ok('deploy_workflow', { workflow: 'who-am-i', environment: 'staging', version: 1 });
    const ran = await ok('run_workflow', {
      workflow: 'who-am-i',
      customerId: customer['id'],
      input: { n: 7 },
    });
    expect(ran).toMatchObject({ status: 'completed', output: { status: 200, n: 7 } });
    // The run's call out is traced off the call path; reading the spans writes them now, so
    // that they do not land in the middle of a later dry run's check.
    const spans = await h.call({
      method: 'GET',
      url: `/api/v1/connections/${String(connection['id'])}/spans`,
    });
    expect(spans.status).toBe(200);
    await ok('list_executions', { workflowId: workflow['id'] });
    const execution = await ok('get_execution', { id: ran['executionId'] });
    expect(execution['spans']).toMatchObject([{ kind: 'connector', name: 'api.me', ok: true }]);
    const trigger = await ok('create_trigger', {
      type: 'webhook',
      name: 'inbound',
      routes: [{ workflow: 'who-am-i', filter: 'body.n > 0' }],
    });
    await ok('get_trigger', { id: trigger['id'] });
    await ok('update_trigger', { id: trigger['id'], description: 'Inbound orders' });
    // A scheduler's schedule and the ticker's hint (kept by the owner role) change too.
    const scheduled = await ok('create_trigger', {
      type: 'scheduler',
      name: 'new year',
      scheduler: { schedule: { preset: 'cron', expression: '0 0 1 1 *' } },
      routes: [{ workflow: 'who-am-i' }],
    });
    await ok('update_trigger', {
      id: scheduled['id'],
      scheduler: { schedule: { preset: 'cron', expression: '0 0 2 1 *' }, timezone: 'Asia/Tokyo' },
    });
    await ok('list_triggers', {});
    await ok('preview_schedule', {
      schedule: { preset: 'daily', time: '09:30' },
      timezone: 'Europe/Berlin',
      count: 3,
    });
    const hooked = await fetch((trigger['webhook'] as { url: string }).url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 0 }),
    });
    expect(hooked.status).toBe(202);
    const { eventId } = (await hooked.json()) as { eventId: string };
    const listed = await ok('list_trigger_events', { triggerId: trigger['id'] });
    expect((listed['data'] as { id: string }[]).map((e) => e.id)).toEqual([eventId]);
    // Routed in the background: settled first, so that the replay's dry run is all that runs.
    await vi.waitFor(async () => {
      const events = await client.callTool({
        name: 'list_trigger_events',
        arguments: { triggerId: trigger['id'] },
      });
      expect(
        (events.structuredContent as { data: { verdict: string }[] }).data[0]?.verdict,
      ).not.toBe('pending');
    });
    const replayed = await ok('replay_trigger_event', { id: eventId });
    expect(replayed['verdict']).toBe('filtered_out');
    await ok('delete_trigger', { id: trigger['id'] });
    await ok('delete_trigger', { id: scheduled['id'] });
    await ok('delete_workflow', { workflow: 'who-am-i' });
    await ok('delete_event', { connector: 'api', event: 'thing.created' });
    await ok('delete_action', { connector: 'api', action: 'echo' });
    await ok('delete_connection', { id: connection['id'] });
    await ok('delete_connector', { connector: 'api_copy' });
    await ok('delete_customer', { id: customer['id'] });
    expect([...succeeded].sort()).toEqual(ADMIN_TOOLS.map((t) => t.name).sort());
    expect([...dryRun].sort()).toEqual(
      ADMIN_TOOLS.filter((t) => t.write)
        .map((t) => t.name)
        .sort(),
    );
  });

  it('answers bad arguments to every tool with a validation error, not a crash', async () => {
    for (const tool of ADMIN_TOOLS) {
      const result = (await client.callTool({
        name: tool.name,
        arguments: { definitelyNotAField: [1, 2, 3] },
      })) as CallResult;
      expect(result.isError, tool.name).toBe(true);
      expect(result.content[0]?.text, tool.name).toMatch(
        /^validation_failed: invalid arguments for /,
      );
    }
  });
});
