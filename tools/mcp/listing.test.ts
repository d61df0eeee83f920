// What a session pays before its first call: `tools/list` of the admin server, measured through
// the real SDK client over Streamable HTTP. With every toolset enabled it fails above the budget
// (45,000 characters, and 3,000 for any one tool), printing the largest tools; the default
// listing, what every session starts with, has a budget of its own (30,000). Every advertised
// schema passes the portability checklist (tools/mcp/lean-schema.ts).
// Measured when the budget was set: 219,016 characters (58% output schemas, 32% input schemas)
// before; see tools/README.md for the numbers after.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../test/app.ts';
import { ADMIN_TOOLS } from '../index.ts';
import { DEFAULT_TOOLSETS, SESSION_TOOL_NAMES, TOOLSETS, toolsetOf } from '../toolsets.ts';
import { portabilityIssues } from './lean-schema.ts';

/** The default listing: what every session starts with. */
export const LISTING_BUDGET = 30_000;
/** Every toolset enabled: what a session that turns them all on pays. */
export const ALL_TOOLSETS_BUDGET = 45_000;
export const TOOL_BUDGET = 3_000;

describe('the admin tool listing', () => {
  let t: TestApp;
  let url: string;
  let org: SeededOrg;
  const open = async (query = '') => {
    const client = new Client({ name: 'budget-agent', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp/admin${query}`), {
        requestInit: { headers: { 'x-fastn-api-key': org.liveKey } },
      }),
    );
    return client;
  };

  beforeAll(async () => {
    t = await createTestApp('pglite');
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    org = await seedOrg(t, 'Budget');
  });
  afterAll(() => t.close());

  it(`the default listing fits in ${LISTING_BUDGET} characters`, async () => {
    const client = await open();
    try {
      const { tools } = await client.listTools();
      const total = JSON.stringify({ tools }).length;
      process.stdout.write(`tools/list (default): ${total} characters, ${tools.length} tools\n`);
      expect(total).toBeLessThanOrEqual(LISTING_BUDGET);
    } finally {
      await client.close();
    }
  });

  it(`fits in ${ALL_TOOLSETS_BUDGET} characters with every toolset, ${TOOL_BUDGET} per tool`, async () => {
    const client = await open('?toolsets=all');
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(ADMIN_TOOLS.map((x) => x.name).sort());
      const sizes = tools
        .map((tool) => ({ name: tool.name, chars: JSON.stringify(tool).length }))
        .sort((a, b) => b.chars - a.chars);
      const total = JSON.stringify({ tools }).length;
      const top = sizes
        .slice(0, 5)
        .map((s) => `${s.name} ${s.chars}`)
        .join(', ');
      process.stdout.write(
        `tools/list: ${total} characters, ${tools.length} tools; largest: ${top}\n`,
      );
      expect(total, `largest: ${top}`).toBeLessThanOrEqual(ALL_TOOLSETS_BUDGET);
      expect(sizes.filter((s) => s.chars > TOOL_BUDGET)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('advertises only portable schemas: no $ref, oneOf, propertyNames, uri formats, boolean schemas', async () => {
    const client = await open('?toolsets=all');
    try {
      const { tools } = await client.listTools();
      const issues = tools.flatMap((tool) => [
        ...portabilityIssues(tool.inputSchema).map((i) => `${tool.name} input ${i}`),
        ...(tool.outputSchema
          ? portabilityIssues(tool.outputSchema).map((i) => `${tool.name} output ${i}`)
          : []),
      ]);
      expect(issues).toEqual([]);
      // The checklist itself catches what it is meant to.
      expect(
        portabilityIssues({
          type: 'object',
          properties: {
            a: { $ref: '#/$defs/x' },
            b: { type: 'string', format: 'uri' },
            c: { type: 'object', propertyNames: { type: 'string' } },
            d: { oneOf: [{ type: 'string' }] },
            e: { anyOf: [{ type: 'string' }, {}] },
            f: { type: 'object', additionalProperties: true },
          },
        }),
      ).toHaveLength(6);
      expect(portabilityIssues({ anyOf: [{ type: 'object' }] })).not.toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('starts with the default toolsets, enables more in the session and says the list changed', async () => {
    const client = await open();
    try {
      const names = async () => (await client.listTools()).tools.map((x) => x.name);
      const first = await names();
      for (const name of first) {
        const set = toolsetOf(name);
        if (!SESSION_TOOL_NAMES.includes(name) && set !== null)
          expect(DEFAULT_TOOLSETS, name).toContain(set);
      }
      expect(first).toEqual(
        expect.arrayContaining([
          'import_openapi',
          'create_connection',
          'run_action',
          'list_toolsets',
          'enable_toolset',
          'describe_tool',
        ]),
      );
      expect(first).not.toContain('create_workflow');

      const listed = await client.callTool({ name: 'list_toolsets', arguments: {} });
      const sets = (listed.structuredContent as { data: { name: string; enabled: boolean }[] })
        .data;
      expect(sets.find((s) => s.name === 'workflows')?.enabled).toBe(false);
      expect(sets.find((s) => s.name === 'connectors')?.enabled).toBe(true);

      let changed = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        changed += 1;
      });
      const enabled = await client.callTool({
        name: 'enable_toolset',
        arguments: { toolsets: ['workflows'] },
      });
      expect(enabled.isError).toBeFalsy();
      await expect.poll(() => changed).toBe(1);
      expect(await names()).toContain('create_workflow');

      const typo = await client.callTool({
        name: 'enable_toolset',
        arguments: { toolsets: ['workflow'] },
      });
      expect(typo.isError).toBe(true);
      expect((typo.content as { text: string }[])[0]?.text).toMatch(
        /unknown toolset 'workflow'; valid: connectors/,
      );

      // A tool of a toolset not enabled still runs, and its toolset is turned on.
      expect(await names()).not.toContain('list_triggers');
      const triggers = await client.callTool({ name: 'list_triggers', arguments: {} });
      expect(triggers.isError).toBeFalsy();
      await expect.poll(() => changed).toBe(2);
      expect(await names()).toContain('list_triggers');
    } finally {
      await client.close();
    }
  });

  it('takes ?toolsets=, refuses an unknown one, and serves full schemas on demand', async () => {
    const client = await open('?toolsets=workflows');
    try {
      const names = (await client.listTools()).tools.map((x) => x.name);
      expect(names).toContain('run_workflow');
      expect(names).not.toContain('import_openapi');
      const described = await client.callTool({
        name: 'describe_tool',
        arguments: { tool: 'create_connector' },
      });
      const schemas = described.structuredContent as {
        inputSchema: { properties: Record<string, { items?: unknown }> };
        outputSchema: { type: string };
      };
      // The listing cuts authMethods to its type; the full schema has every auth method's fields.
      expect(JSON.stringify(schemas.inputSchema.properties['authMethods'])).toContain('tokenUrl');
      expect(schemas.outputSchema.type).toBe('object');
      const resource = await client.readResource({ uri: 'weft://schemas/create_connector' });
      expect((resource.contents[0] as { text: string }).text).toContain('tokenUrl');
    } finally {
      await client.close();
    }
    const bad = await fetch(`${url}/mcp/admin?toolsets=nope`, {
      method: 'POST',
      headers: {
        'x-fastn-api-key': org.liveKey,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'x', version: '1' },
        },
      }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/unknown toolset 'nope'/);
  });

  it('answers with structured content and a one-line summary; ?results=json adds the JSON', async () => {
    const lean = await open();
    const verbose = await open('?results=json');
    try {
      const a = await lean.callTool({ name: 'create_customer', arguments: { name: 'Lean' } });
      const content = a.content as { text: string }[];
      expect(content).toHaveLength(1);
      expect(content[0]?.text).toMatch(/^created customer Lean \([0-9a-f-]{36}\)$/);
      expect(a.structuredContent).toMatchObject({ name: 'Lean' });
      const b = await verbose.callTool({ name: 'create_customer', arguments: { name: 'Verbose' } });
      const [summary, json] = ((b.content as { text: string }[])[0]?.text ?? '').split('\n');
      expect(summary).toMatch(/^created customer Verbose/);
      expect(JSON.parse(json ?? '{}')).toEqual(b.structuredContent);
    } finally {
      await lean.close();
      await verbose.close();
    }
  });

  it('every tool belongs to exactly one toolset', () => {
    const orphans = ADMIN_TOOLS.map((x) => x.name).filter(
      (name) => !SESSION_TOOL_NAMES.includes(name) && toolsetOf(name) === null,
    );
    expect(orphans).toEqual([]);
    const all = TOOLSETS.flatMap((s) => s.tools);
    expect(new Set(all).size).toBe(all.length);
  });
});
