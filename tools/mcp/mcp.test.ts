import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  seedUserKey,
  type SeededOrg,
  type TestApp,
} from '../../test/app.ts';
import { TEST_DRIVERS } from '../../test/db.ts';
import { ADMIN_TOOLS } from '../index.ts';
import { HINT_DEFAULTS, fullSchemas } from './server.ts';

type CallResult = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
};

async function connect(url: string, key: string, name = 'test-agent'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp/admin?toolsets=all`), {
      requestInit: { headers: { 'x-fastn-api-key': key } },
    }),
  );
  return client;
}

describe.each(TEST_DRIVERS)('admin MCP server over Streamable HTTP (%s)', (driver) => {
  let t: TestApp;
  let url: string;
  let org: SeededOrg;
  let other: SeededOrg;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown> = {}, c: Client = client) =>
    (await c.callTool({ name, arguments: args })) as CallResult;

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    org = await seedOrg(t, 'Agents');
    other = await seedOrg(t, 'Others');
    client = await connect(url, org.liveKey);
  });
  afterAll(async () => {
    await client.close();
    await t.close();
  });

  it('lists every tool with an object input schema and annotations; full schemas on demand', async () => {
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThanOrEqual(25);
    for (const tool of tools) {
      expect(tool.name).toMatch(/^[a-z][a-z0-9_]{0,63}$/);
      expect(tool.inputSchema.type).toBe('object');
      // Output schemas are served by describe_tool, not in every session's listing.
      expect(tool.outputSchema, tool.name).toBeUndefined();
      expect(tool.description?.length ?? 0, tool.name).toBeGreaterThan(30);
      // A hint left out is MCP's default: read that way, the listing says what the tool says.
      const hints = { ...HINT_DEFAULTS, ...tool.annotations };
      const defined = ADMIN_TOOLS.find((x) => x.name === tool.name)?.annotations;
      expect(hints.readOnlyHint, tool.name).toBe(defined?.readOnlyHint ?? false);
      expect(hints.openWorldHint, tool.name).toBe(defined?.openWorldHint ?? true);
      if (!hints.readOnlyHint) {
        expect(hints.destructiveHint, tool.name).toBe(defined?.destructiveHint ?? true);
        expect(hints.idempotentHint, tool.name).toBe(defined?.idempotentHint ?? false);
      }
      const props = Object.keys(tool.inputSchema.properties ?? {});
      // Control-plane writes take dryRun and idempotencyKey; calls out to third-party APIs do not.
      if (
        !hints.readOnlyHint &&
        !['run_action', 'proxy_request', 'enable_toolset'].includes(tool.name)
      ) {
        expect(props, tool.name).toEqual(expect.arrayContaining(['dryRun', 'idempotencyKey']));
      }
    }
    // The contract, in review: any change to a tool's name or exact schemas changes this file.
    const contract = ADMIN_TOOLS.map((tool) => ({
      name: tool.name,
      annotations: tool.annotations,
      ...fullSchemas(tool),
    }));
    await expect(JSON.stringify(contract, null, 2)).toMatchFileSnapshot(
      './__snapshots__/admin-tools.json',
    );
  });

  it('calls a tool: structured content plus a one-line summary; writes are audited as the agent', async () => {
    const created = await call('create_customer', { name: 'Acme', externalId: 'acme' });
    expect(created.isError).toBeFalsy();
    expect(created.structuredContent).toMatchObject({ name: 'Acme', externalId: 'acme' });
    expect(created.content[0]?.text).toMatch(/created customer Acme/);
    expect(created.content).toHaveLength(1);
    const audit = await t.app.inject({
      method: 'GET',
      url: '/api/v1/audit-log',
      headers: { 'x-fastn-api-key': org.liveKey },
    });
    const entry = audit
      .json<{
        data: { action: string; actorType: string; actorLabel: string; actorId: string }[];
      }>()
      .data.find((e) => e.action === 'customer.create');
    expect(entry).toMatchObject({
      actorType: 'agent',
      actorLabel: 'test-agent',
      actorId: org.keys.find((k) => k.kind === 'live')?.id,
    });
  });

  it('answers bad input and unknown tools with an error that says what to do', async () => {
    const bad = await call('create_customer', { name: 42, bogus: true });
    expect(bad.isError).toBe(true);
    expect(bad.content[0]?.text).toMatch(
      /validation_failed: invalid arguments for create_customer: name: .*; \(input\): Unrecognized key "bogus"; valid keys: name, externalId/,
    );
    const renamed = await call('get_customer', { id: '00000000-0000-4000-8000-000000000000' });
    expect(renamed.content[0]?.text).toMatch(
      /Unrecognized key "id" \(did you mean "customerId"\?\)/,
    );
    const typo = await call('create_custmer', {});
    expect(typo.isError).toBe(true);
    expect(typo.content[0]?.text).toMatch(/no tool 'create_custmer'/);
    const missing = await call('get_connector', { connector: 'nope' });
    expect(missing.isError).toBe(true);
    expect(missing.content[0]?.text).toMatch(/^not_found: no connector 'nope'/);
  });

  it('dry runs write nothing, and show what would happen', async () => {
    const before = await call('list_customers');
    const dry = await call('create_customer', { name: 'Ghost', dryRun: true });
    expect(dry.isError).toBeFalsy();
    expect(dry.structuredContent).toMatchObject({ name: 'Ghost', dryRun: true });
    expect(dry.content[0]?.text).toMatch(/^dry run/);
    const after = await call('list_customers');
    expect((after.structuredContent?.['data'] as unknown[]).length).toBe(
      (before.structuredContent?.['data'] as unknown[]).length,
    );
    const connector = await call('create_connector', { slug: 'dry', name: 'Dry', dryRun: true });
    expect(connector.isError).toBeFalsy();
    expect((await call('get_connector', { connector: 'dry' })).isError).toBe(true);
  });

  it('idempotent retries return the first result and write once', async () => {
    const first = await call('create_customer', { name: 'Once', idempotencyKey: 'k-1' });
    const second = await call('create_customer', { name: 'Once', idempotencyKey: 'k-1' });
    expect(second.structuredContent).toEqual(first.structuredContent);
    expect(second.content[0]?.text).toMatch(/repeated call/);
    const list = await call('list_customers', { externalId: undefined });
    expect(
      (list.structuredContent?.['data'] as { name: string }[]).filter((c) => c.name === 'Once'),
    ).toHaveLength(1);
    const reused = await call('create_customer', { name: 'Different', idempotencyKey: 'k-1' });
    expect(reused.isError).toBe(true);
    expect(reused.content[0]?.text).toMatch(/different call/);
  });

  it('denies what the key’s role does not allow', async () => {
    const viewer = await connect(url, await seedUserKey(t, org, 'viewer'));
    try {
      expect((await call('list_customers', {}, viewer)).isError).toBeFalsy();
      const denied = await call('create_customer', { name: 'Nope' }, viewer);
      expect(denied.isError).toBe(true);
      expect(denied.content[0]?.text).toMatch(/^forbidden: .*customers:write/);
    } finally {
      await viewer.close();
    }
  });

  it('keeps tenants apart: another org sees none of this org’s data and cannot use its session', async () => {
    const theirs = await connect(url, other.liveKey, 'other-agent');
    try {
      const list = await call('list_customers', {}, theirs);
      expect(list.structuredContent?.['data']).toEqual([]);
      const mine = await call('list_customers');
      const id = (mine.structuredContent?.['data'] as { id: string }[])[0]?.id;
      expect((await call('get_customer', { customerId: id }, theirs)).isError).toBe(true);
    } finally {
      await theirs.close();
    }
    // A session id used with another org's key is unknown to it.
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId ?? '';
    const hijack = await fetch(`${url}/mcp/admin`, {
      method: 'POST',
      headers: {
        'x-fastn-api-key': other.liveKey,
        'mcp-session-id': sessionId,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'list_customers', arguments: {} },
      }),
    });
    expect(hijack.status).toBe(404);
    const noKey = await fetch(`${url}/mcp/admin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(noKey.status).toBe(401);
  });

  it('serves connector definitions as resources', async () => {
    await call('create_connector', {
      slug: 'res',
      name: 'Res',
      authMethods: [{ key: 'none', type: 'none' }],
    });
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('weft://connectors/res');
    const read = await client.readResource({ uri: 'weft://connectors/res' });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({
      weftConnector: 1,
      connector: { slug: 'res' },
    });
    expect(resources.map((r) => r.uri)).toContain('weft://cdm/Contact');
    const entity = await client.readResource({ uri: 'weft://cdm/Contact' });
    expect((entity.contents[0] as { text: string }).text).toContain('fullName');
  });
});

describe('weft mcp over stdio (embedded)', () => {
  it('serves the same tools to an IDE agent through stdin/stdout', async () => {
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const { mkdtemp } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-stdio-'));
    const bin = path.join(import.meta.dirname, '..', '..', 'bin', 'weft.ts');
    const client = new Client({ name: 'ide-agent', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [bin, 'mcp'],
        env: { PATH: process.env['PATH'] ?? '', WEFT_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
        stderr: 'pipe',
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining(['create_customer', 'import_openapi', 'run_action']),
      );
      const created = (await client.callTool({
        name: 'create_customer',
        arguments: { name: 'Stdio Co' },
      })) as CallResult;
      expect(created.structuredContent).toMatchObject({ name: 'Stdio Co' });
      const listed = (await client.callTool({
        name: 'list_customers',
        arguments: {},
      })) as CallResult;
      expect((listed.structuredContent?.['data'] as { name: string }[]).map((c) => c.name)).toEqual(
        ['Stdio Co'],
      );
      // Workflows run embedded too: Instant inline, Standard on the embedded workers.
      for (const tier of ['instant', 'standard']) {
        const made = (await client.callTool({
          name: 'create_workflow',
          arguments: {
            name: `Double ${tier}`,
            tier,
            source: 'export default async function (ctx) { return ctx.input.n * 2; }',
          },
        })) as CallResult;
        expect(made.isError, JSON.stringify(made.content)).toBeFalsy();
        const slug = made.structuredContent?.['slug'] as string;
        await client.callTool({
          name: 'publish_workflow',
          arguments: { workflow: slug, deployTo: ['development', 'production'] },
        });
        const ran = (await client.callTool({
          name: 'run_workflow',
          arguments: { workflow: slug, input: { n: 21 } },
        })) as CallResult;
        expect(ran.isError, JSON.stringify(ran.content)).toBeFalsy();
        const executionId = ran.structuredContent?.['executionId'] as string;
        let execution: Record<string, unknown> | undefined;
        for (let i = 0; i < 100; i++) {
          execution = (
            (await client.callTool({
              name: 'get_execution',
              arguments: { executionId },
            })) as CallResult
          ).structuredContent;
          if (execution?.['status'] === 'completed') break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(execution).toMatchObject({ status: 'completed', output: 42, tier });
      }
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe('admin MCP prompts', () => {
  it('offers the setup prompts, filled with the arguments', async () => {
    const t = await createTestApp('pglite');
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const org = await seedOrg(t, 'Prompts');
    const client = await connect(url, org.testKey);
    try {
      const { prompts } = await client.listPrompts();
      expect(prompts.map((p) => p.name).sort()).toEqual(['debug_connection', 'setup_integration']);
      const got = await client.getPrompt({
        name: 'setup_integration',
        arguments: { app: 'Stripe', spec: 'https://example.com/openapi.yaml' },
      });
      const text = (got.messages[0]?.content as { text: string }).text;
      expect(text).toContain('integration with Stripe');
      expect(text).toContain('https://example.com/openapi.yaml');
      expect(text).not.toMatch(/\{\{/);
      await expect(client.getPrompt({ name: 'debug_connection', arguments: {} })).rejects.toThrow(
        /connectionId/,
      );
    } finally {
      await client.close();
      await t.close();
    }
  });
});
