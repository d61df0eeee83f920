import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../test/connections.ts';
import { tableChecksums } from '../test/table-checksums.ts';
import { acceptInvitation } from '../server/modules/people/people.service.ts';
import { ADMIN_TOOLS, STDIO_ONLY_TOOLS } from './index.ts';

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

  // `weft mcp` adds the tools that read local files (upload_spec); HTTP never lists them.
  const expected = transport === 'stdio' ? [...ADMIN_TOOLS, ...STDIO_ONLY_TOOLS] : ADMIN_TOOLS;

  it('lists every tool once every toolset is on, with its full schemas on demand', async () => {
    // A session starts with the default toolsets; the rest are a tool call away.
    const initial = (await client.listTools()).tools.map((t) => t.name);
    expect(initial.length).toBeLessThan(expected.length);
    const sets = await ok('list_toolsets', {});
    expect(sets['data']).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'workflows' })]),
    );
    await ok('enable_toolset', { toolsets: ['all'] });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(expected.map((t) => t.name).sort());
    for (const tool of tools) {
      expect(tool.inputSchema.type, tool.name).toBe('object');
      // The listing leaves output schemas out to stay small; describe_tool has them.
      const described = await ok('describe_tool', { tool: tool.name });
      expect((described['inputSchema'] as { type?: unknown }).type, tool.name).toBe('object');
      expect((described['outputSchema'] as { type?: unknown }).type, tool.name).toBe('object');
    }
  });

  it(
    'succeeds with good arguments, in the order an agent would use them',
    { timeout: 180_000 },
    async () => {
      const customer = await ok('create_customer', { name: 'Coverage', externalId: 'cov' });
      await ok('get_customer', { customerId: customer['id'] });
      await ok('update_customer', { customerId: customer['id'], name: 'Coverage Inc' });
      await ok('get_gateway', { customerId: customer['id'] });
      await ok('update_gateway', { customerId: customer['id'], workflows: [] });
      await ok('list_customers', {});
      await ok('import_openapi', {
        text: await readFile(PETSTORE, 'utf8'),
        slug: 'pets',
        selection: { mode: 'tag', tags: ['pet'] },
      });
      // A spec stored once and imported by id; in `weft mcp`, straight from a local file.
      const spec = await ok('create_spec', { text: await readFile(PETSTORE, 'utf8') });
      if (transport === 'stdio') {
        const uploaded = await ok('upload_spec', { path: PETSTORE.pathname });
        expect(uploaded['specId']).toBe(spec['specId']);
      }
      await ok('import_openapi', {
        specId: spec['specId'],
        slug: 'pets',
        selection: { mode: 'tag', tags: ['pet'] },
      });
      // The imported spec is kept: the pet actions run against a mock of it, no credentials.
      const tested = await ok('test_actions', { connector: 'pets', mock: true });
      expect(tested).toMatchObject({ target: 'mock', failed: 0 });
      expect(tested['passed']).toBeGreaterThan(0);
      await ok('create_connector', {
        slug: 'api',
        name: 'API',
        baseUrl: h.fx.api.url,
        authMethods: [{ key: 'api_key', type: 'api_key', in: 'header', name: 'X-Api-Key' }],
      });
      await ok('update_connector', { connector: 'api', description: 'The fixture API' });
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
      await ok('get_connection', { connectionId: connection['id'] });
      await ok('list_connections', { customerId: customer['id'] });
      await ok('test_connection', { connectionId: connection['id'] });
      const run = await ok('run_action', { connectionId: connection['id'], action: 'me' });
      expect(run['status']).toBe(200);
      await ok('proxy_request', {
        connectionId: connection['id'],
        request: { method: 'GET', path: '/me' },
      });
      // Discovery: through the connection's auth, and straight at the fixture API (let through
      // the SSRF guard by the harness's test allowlist).
      const probed = await ok('probe_endpoint', { connectionId: connection['id'], path: '/me' });
      expect(probed['status']).toBe(200);
      const challenged = await ok('probe_endpoint', { baseUrl: h.fx.api.url, path: '/me' });
      expect(challenged['status']).toBe(401);
      await ok('read_docs', { url: `${h.fx.api.url}/reflect?as=percent` });
      const discovered = await ok('discover_spec', { domain: h.fx.api.url });
      expect(discovered['hosts']).toEqual([new URL(h.fx.api.url).host]);
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
      await ok('list_mappings', { connector: 'pets' });
      await ok('get_mapping', { connector: 'pets', entity: 'Product' });
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
      await ok('list_executions', { workflow: workflow['id'] });
      const execution = await ok('get_execution', { executionId: ran['executionId'] });
      expect(execution['spans']).toMatchObject([{ kind: 'connector', name: 'api.me', ok: true }]);
      const trigger = await ok('create_trigger', {
        type: 'webhook',
        name: 'inbound',
        routes: [{ workflow: 'who-am-i', filter: 'body.n > 0' }],
      });
      await ok('get_trigger', { triggerId: trigger['id'] });
      await ok('update_trigger', { triggerId: trigger['id'], description: 'Inbound orders' });
      // A scheduler's schedule and the ticker's hint (kept by the owner role) change too.
      const scheduled = await ok('create_trigger', {
        type: 'scheduler',
        name: 'new year',
        scheduler: { schedule: { preset: 'cron', expression: '0 0 1 1 *' } },
        routes: [{ workflow: 'who-am-i' }],
      });
      await ok('update_trigger', {
        triggerId: scheduled['id'],
        scheduler: {
          schedule: { preset: 'cron', expression: '0 0 2 1 *' },
          timezone: 'Asia/Tokyo',
        },
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
      const replayed = await ok('replay_trigger_event', { triggerEventId: eventId });
      expect(replayed['verdict']).toBe('filtered_out');
      await ok('delete_trigger', { triggerId: trigger['id'] });
      await ok('delete_trigger', { triggerId: scheduled['id'] });
      // An agent run: queued (no workers here), left waiting at a handback as a worker leaves
      // it, approved (queued again with the decision), then cancelled (over HTTP: the listing
      // budget has no room for a cancel tool).
      expect(
        await ok('build_workflow', {
          request: 'When a new order comes in, create a deal in the CRM',
        }),
      ).toMatchObject({ status: 'queued' });
      const agentRun = await ok('build_connector', {
        source: 'https://api.example.test/openapi.json',
        credentials: { apiKey: 'k-123' },
        interactive: true,
      });
      expect(agentRun).toMatchObject({ status: 'queued' });
      await h.t.database.db.owner((sql) =>
        sql.query(
          `UPDATE agent_runs SET status = 'waiting', pending_stage = 'plan', pending_summary = 'the plan'
          WHERE id = $1`,
          [agentRun['runId']],
        ),
      );
      expect(await ok('get_agent_run', { runId: agentRun['runId'] })).toMatchObject({
        status: 'waiting',
        pending: { stage: 'plan', summary: 'the plan' },
        input: { credentials: { apiKey: '***' } },
      });
      expect(await ok('approve_agent_run', { runId: agentRun['runId'] })).toMatchObject({
        status: 'queued',
        decisions: [{ stage: 'plan', decision: 'approve' }],
      });
      const cancelled = await h.call({
        method: 'POST',
        url: `/api/v1/agent-runs/${String(agentRun['runId'])}/cancel`,
      });
      expect(cancelled.status).toBe(200);
      // Operations: environments, alerts, the audit log, usage and quotas.
      await ok('create_environment', { name: 'qa', description: 'manual testing' });
      const envs = await ok('list_environments', {});
      expect(JSON.stringify(envs)).toContain('"qa"');
      const rule = await ok('create_alert_rule', {
        name: 'errors',
        condition: 'error_rate',
        threshold: 5,
        workflow: null,
      });
      await ok('update_alert_rule', { ruleId: rule['id'], threshold: 10 });
      await ok('list_alert_rules', {});
      await ok('list_alert_incidents', { status: 'open' });
      await ok('delete_alert_rule', { ruleId: rule['id'] });
      await ok('delete_environment', { environment: 'qa' });
      const audit = await ok('list_audit_entries', { action: 'alert_rule.', limit: 10 });
      expect(JSON.stringify(audit)).toContain('alert_rule.create');
      await ok('set_audit_retention', { days: 400 });
      await ok('set_quotas', { customerId: customer['id'], executions: 1000 });
      const usage = await ok('list_usage', { customerId: customer['id'] });
      expect(JSON.stringify(usage)).toContain('"executions":1000');
      // People and roles: an invited person joins, gets a custom role copied from viewer, and
      // is removed; set_owner on the owner keeps things as they are.
      const invited = await ok('create_invitation', {
        email: `coverage-${transport}@people.test`,
        role: 'developer',
      });
      await acceptInvitation({
        db: h.t.database.db,
        input: {
          token: new URL(String(invited['link'])).hash.replace('#token=', ''),
          password: 'a coverage password',
        },
      });
      const people = (await ok('list_people', {}))['people'] as {
        id: string;
        email: string;
        owner: boolean;
      }[];
      const joined = people.find((p) => p.email === `coverage-${transport}@people.test`);
      const owner = people.find((p) => p.owner);
      await ok('create_role', { role: 'coverage', name: 'Coverage', copyOf: 'viewer' });
      await ok('update_role', { role: 'coverage', permissions: ['connectors:read'] });
      await ok('list_roles', {});
      await ok('update_person', { personId: joined?.id, role: 'coverage' });
      await ok('set_owner', { personId: owner?.id });
      await ok('delete_person', { personId: joined?.id });
      await ok('delete_role', { role: 'coverage' });
      // The connect widget: configured, listed, opened for the customer.
      const widget = await ok('set_widget', {
        slug: 'portal',
        name: 'Portal',
        connectors: [{ connector: 'api', workflows: [{ workflow: 'who-am-i' }] }],
        allowedOrigins: ['https://app.example.com'],
      });
      expect(String(widget['snippet'])).toContain('/embed.js');
      await ok('list_widgets', {});
      const minted = await ok('create_embed_token', {
        widget: 'portal',
        customerId: customer['id'],
      });
      expect(String(minted['url'])).toContain('/embed?token=wet1.');
      await ok('delete_workflow', { workflow: 'who-am-i' });
      await ok('delete_event', { connector: 'api', event: 'thing.created' });
      await ok('delete_action', { connector: 'api', action: 'echo' });
      await ok('delete_connection', { connectionId: connection['id'] });
      await ok('delete_connector', { connector: 'api_copy' });
      await ok('delete_customer', { customerId: customer['id'] });
      expect([...succeeded].sort()).toEqual(expected.map((t) => t.name).sort());
      expect([...dryRun].sort()).toEqual(
        ADMIN_TOOLS.filter((t) => t.write)
          .map((t) => t.name)
          .sort(),
      );
    },
  );

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
