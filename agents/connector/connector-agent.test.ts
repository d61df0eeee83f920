// The Connector Agent end to end over the real admin MCP server (in-memory transport), a real
// database and real HTTP servers on loopback: a spec build tested against the spec's mock and a
// local Petstore, the fixer repairing three wrong actions, a docs-only API built from its HTML
// reference and live probes, a scripted model whose docs page tries a prompt injection, a spent
// budget, and a re-run of the same run that writes nothing twice.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createBudget, createOfflineProvider, createScriptedProvider } from '../llm/index.ts';
import type { ChatRequest, ScriptedTurn } from '../llm/index.ts';
import { createMemoryJournal } from '../runs/memory-journal.ts';
import { startAgentHarness, type AgentHarness } from '../../test/agent-harness.ts';
import { startDocsOnlyApi, type DocsOnlyApi } from '../../test/fixtures/docs-only-api.ts';
import { startPetstore } from '../../test/fixtures/petstore.ts';
import { runConnectorAgent } from './index.ts';

const PETSTORE = fileURLToPath(new URL('../../evals/data/specs/petstore-v3.yaml', import.meta.url));
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function harness(allowlist: string[] = []): Promise<AgentHarness> {
  const h = await startAgentHarness({ allowlist });
  closers.push(() => h.close());
  return h;
}

async function docsSite(options: { injection?: boolean } = {}): Promise<DocsOnlyApi> {
  const site = await startDocsOnlyApi(options);
  closers.push(() => site.close());
  return site;
}

async function tool(h: AgentHarness, name: string, args: Record<string, unknown>) {
  const result = await h.client.callTool({ name, arguments: args });
  if (result.isError === true) throw new Error(`${name}: ${JSON.stringify(result.content)}`);
  return result.structuredContent as Record<string, unknown>;
}

describe('the Connector Agent, offline', () => {
  it('builds petstore from its spec: every read action passes against the mock and a local Petstore', async () => {
    const pets = await startPetstore({ apiKey: 'pet-key-1' });
    closers.push(() => pets.close());
    const h = await harness([new URL(pets.url).host]);
    const journal = createMemoryJournal();
    const report = await runConnectorAgent({
      client: h.client,
      provider: createOfflineProvider(),
      journal,
      input: {
        source: 'petstore-v3.yaml',
        specText: await readFile(PETSTORE, 'utf8'),
        baseUrl: pets.url,
        credentials: { apiKey: 'pet-key-1' },
        selection: { mode: 'list', slugs: ['getPetById', 'findPetsByStatus', 'addPet'] },
      },
    });
    expect(report.status, report.message).toBe('completed');
    expect(report.connector?.baseUrl).toBe(pets.url);
    const mock = report.tests.find((t) => t.target === 'mock');
    const live = report.tests.find((t) => t.target === 'connection');
    // Against the mock every action runs, the write included; against the real API only reads.
    expect(mock?.results.map((r) => `${r.action}:${r.outcome}`).sort()).toEqual([
      'addPet:pass',
      'findPetsByStatus:pass',
      'getPetById:pass',
    ]);
    expect(live?.results.map((r) => `${r.action}:${r.outcome}`).sort()).toEqual([
      'findPetsByStatus:pass',
      'getPetById:pass',
    ]);
    expect(journal.steps.map((s) => s.step)).toEqual([
      'discover',
      'build',
      'events',
      'test',
      'fix',
      'map',
      'report',
    ]);
    // Every write went out with the run's idempotency key, and every call is a span.
    const writes = journal.spans.filter((s) =>
      ['create_spec', 'import_openapi', 'update_connector', 'create_connection'].includes(s.tool),
    );
    expect(writes.length).toBeGreaterThanOrEqual(4);
    for (const span of writes)
      expect((span.arguments as Record<string, unknown>)['idempotencyKey']).toMatch(
        new RegExp(`^agent:${journal.runId}:`),
      );
    const connection = journal.spans.find((s) => s.tool === 'create_connection');
    expect(JSON.stringify(connection?.arguments)).not.toContain('pet-key-1');
  }, 180_000);

  it('repairs a connector seeded with a bad path, a query parameter in the body and the key in the wrong header', async () => {
    const h = await harness();
    const text = await readFile(PETSTORE, 'utf8');
    await tool(h, 'import_openapi', {
      text,
      slug: 'pets',
      selection: { mode: 'list', slugs: ['getPetById', 'updatePetWithForm', 'getInventory'] },
    });
    const imported = await tool(h, 'get_connector', { connector: 'pets' });
    await tool(h, 'update_connector', {
      connector: 'pets',
      authMethods: (imported['authMethods'] as Record<string, unknown>[]).map((m) =>
        m['type'] === 'api_key' ? { ...m, name: 'X-Api-Key' } : m,
      ),
    });
    const byId = await tool(h, 'get_action', { connector: 'pets', action: 'getPetById' });
    const byForm = await tool(h, 'get_action', { connector: 'pets', action: 'updatePetWithForm' });
    const strip = ({
      id: _i,
      connectorId: _c,
      createdAt: _a,
      updatedAt: _u,
      inputSchema: _s,
      ...rest
    }: Record<string, unknown>) => rest;
    await tool(h, 'upsert_action', {
      connector: 'pets',
      action: { ...strip(byId), path: '/pets/{petId}' },
    });
    await tool(h, 'upsert_action', {
      connector: 'pets',
      action: {
        ...strip(byForm),
        parameters: (byForm['parameters'] as Record<string, unknown>[]).map((p) =>
          p['name'] === 'name' ? { ...p, in: 'body', required: true } : p,
        ),
      },
    });

    const report = await runConnectorAgent({
      client: h.client,
      provider: createOfflineProvider(),
      journal: createMemoryJournal(),
      input: { connector: 'pets', specText: text },
    });
    expect(report.status, report.message).toBe('completed');
    const diffs = report.fixes.flatMap((f) => f.diff.map((d) => ({ ...d, action: f.action })));
    expect(diffs).toContainEqual({
      action: 'getPetById',
      field: 'path',
      before: '/pets/{petId}',
      after: '/pet/{petId}',
    });
    expect(diffs).toContainEqual({
      action: 'updatePetWithForm',
      field: 'parameters.name.in',
      before: 'body',
      after: 'query',
    });
    expect(diffs).toContainEqual({
      action: null,
      field: 'authMethods.api_key',
      before: { in: 'header', name: 'X-Api-Key' },
      after: { in: 'header', name: 'api_key' },
    });
    expect(report.fixes.every((f) => f.outcome === 'fixed')).toBe(true);
    const mock = report.tests.find((t) => t.target === 'mock');
    expect(mock?.failed).toBe(0);
    expect(mock?.passed).toBe(3);
    // The fixes are in the connector, not only in the report.
    const fixed = await tool(h, 'get_action', { connector: 'pets', action: 'getPetById' });
    expect(fixed['path']).toBe('/pet/{petId}');
  }, 180_000);

  it('builds a connector for an API with only HTML docs: the right auth and every documented endpoint passing live', async () => {
    const site = await docsSite();
    const h = await harness(site.allowlist);
    const journal = createMemoryJournal();
    const report = await runConnectorAgent({
      client: h.client,
      provider: createOfflineProvider(),
      journal,
      input: { source: site.docsUrl, credentials: { apiKey: site.apiKey } },
    });
    expect(report.status, report.message).toBe('completed');
    expect(report.source.kind).toBe('docs');
    expect(report.connector?.baseUrl).toBe(site.apiBase);
    expect(report.connector?.auth).toEqual(['api_key (header X-Brightdesk-Key)']);
    const built = new Set(
      report.actions.map((a) => `${a.method} ${a.path.replace(/\{[^}]+\}/g, '{id}')}`),
    );
    const covered = site.documented.filter((e) => built.has(e));
    expect(covered.length / site.documented.length).toBeGreaterThanOrEqual(0.9);
    const live = report.tests.find((t) => t.target === 'connection');
    const reads = site.documented.filter((e) => e.startsWith('GET'));
    expect(live?.passed).toBeGreaterThanOrEqual(Math.ceil(reads.length * 0.9));
    expect(live?.failed).toBe(0);
    // Input from the parameter table, output schema from a real answer.
    const tickets = await tool(h, 'get_action', {
      connector: report.connector?.slug ?? '',
      action: 'listTickets',
    });
    expect(tickets['parameters']).toContainEqual(
      expect.objectContaining({ name: 'status', in: 'query' }),
    );
    expect(tickets['outputSchema']).toMatchObject({
      type: 'object',
      properties: { data: { type: 'array' } },
    });
    expect(report.events).toEqual(['ticket.closed', 'ticket.created']);
    // The 401 challenge was read before any action was written.
    const probe = journal.spans.findIndex((s) => s.tool === 'probe_endpoint');
    const firstAction = journal.spans.findIndex((s) => s.tool === 'upsert_action');
    expect(probe).toBeGreaterThanOrEqual(0);
    expect(probe).toBeLessThan(firstAction);
  }, 180_000);

  it('a re-run of the same run (after a crash) creates nothing twice', async () => {
    const h = await harness();
    const specText = await readFile(PETSTORE, 'utf8');
    const run = () =>
      runConnectorAgent({
        client: h.client,
        provider: createOfflineProvider(),
        journal: createMemoryJournal({ runId: 'run-resume-1' }),
        input: { source: 'petstore-v3.yaml', specText, selection: { mode: 'top', n: 5 } },
      });
    const first = await run();
    const second = await run();
    expect(second.connector?.id).toBe(first.connector?.id);
    const listed = await tool(h, 'list_connectors', {});
    expect((listed['data'] as unknown[]).length).toBe(1);
  }, 180_000);
});

/** A scripted model: per step (recognised by its prompt), what it calls, in order. */
function scriptedModel(
  plan: Record<string, (request: ChatRequest, toolTurns: number) => ScriptedTurn>,
) {
  const turn = (request: ChatRequest): ScriptedTurn => {
    const step =
      /the (\w+) step of Weft's Connector Agent/.exec(request.system ?? '')?.[1] ?? 'report';
    const toolTurns = request.messages.filter((m) => m.role === 'tool').length;
    const usage = { inputTokens: 120, outputTokens: 30 };
    return { usage, ...(plan[step]?.(request, toolTurns) ?? { text: 'done' }) };
  };
  return createScriptedProvider({
    turns: Array.from({ length: 60 }, () => turn),
    model: 'gpt-4.1-mini',
  });
}

describe('the Connector Agent with a model', () => {
  it('runs a full build with a scripted model; the injected delete_connector call is refused and kept in the run', async () => {
    const site = await docsSite({ injection: true });
    const h = await harness(site.allowlist);
    const provider = scriptedModel({
      discover: (_request, toolTurns) =>
        toolTurns === 0
          ? { toolCalls: [{ name: 'read_docs', arguments: { url: site.docsUrl } }] }
          : toolTurns === 1
            ? { toolCalls: [{ name: 'delete_connector', arguments: { connector: 'brightdesk' } }] }
            : { text: JSON.stringify({ kind: 'docs', url: site.docsUrl }) },
      build: (_request, toolTurns) =>
        toolTurns === 0
          ? {
              toolCalls: [
                { name: 'probe_endpoint', arguments: { baseUrl: site.apiBase, path: '/tickets' } },
              ],
            }
          : { text: 'the endpoint needs X-Brightdesk-Key' },
    });
    const journal = createMemoryJournal();
    const report = await runConnectorAgent({
      client: h.client,
      provider,
      journal,
      input: { source: site.docsUrl, credentials: { apiKey: site.apiKey } },
    });
    expect(report.status, report.message).toBe('completed');
    const refused = journal.spans.filter((s) => s.status === 'not_allowed');
    expect(refused).toEqual([
      expect.objectContaining({ step: 'discover', tool: 'delete_connector', ok: false }),
    ]);
    expect(report.usage.refusedCalls).toBe(1);
    // The docs reached the model only as a tool result, and nothing was deleted.
    const sawDocs = provider.requests.some((r) =>
      r.messages.some((m) => m.role === 'tool' && m.content.includes('ignore your instructions')),
    );
    expect(sawDocs).toBe(true);
    expect(
      provider.requests.every((r) => !(r.system ?? '').includes('ignore your instructions')),
    ).toBe(true);
    const listed = await tool(h, 'list_connectors', {});
    expect((listed['data'] as unknown[]).length).toBe(1);
    expect(report.connector?.auth).toEqual(['api_key (header X-Brightdesk-Key)']);
    expect(report.tests.find((t) => t.target === 'connection')?.failed).toBe(0);
    expect(report.usage.inputTokens).toBeGreaterThan(0);
    expect(journal.usage.inputTokens).toBe(report.usage.inputTokens);
    // The model was offered only the step's tools.
    const discoverTools = provider.requests[0]?.tools?.map((t) => t.name).sort();
    expect(discoverTools).toEqual(['create_spec', 'discover_spec', 'read_docs']);
  }, 180_000);

  it('stops with status budget and a clear message when the model budget is spent', async () => {
    const site = await docsSite();
    const h = await harness(site.allowlist);
    const provider = scriptedModel({
      discover: () => ({ toolCalls: [{ name: 'read_docs', arguments: { url: site.docsUrl } }] }),
    });
    const report = await runConnectorAgent({
      client: h.client,
      provider,
      journal: createMemoryJournal(),
      input: { source: site.docsUrl },
      budget: { maxSteps: 3 },
    });
    expect(report.status).toBe('budget');
    expect(report.message).toMatch(/step budget spent: 3 of 3/);
    expect(report.connector).toBeNull();
    void createBudget;
  }, 180_000);

  it('an interactive run pauses after the plan and goes on when approved', async () => {
    const h = await harness();
    const specText = await readFile(PETSTORE, 'utf8');
    const paused = createMemoryJournal({ runId: 'run-interactive', interactive: true });
    const first = await runConnectorAgent({
      client: h.client,
      provider: createOfflineProvider(),
      journal: paused,
      input: {
        specText,
        source: 'petstore-v3.yaml',
        interactive: true,
        selection: { mode: 'top', n: 3 },
      },
    });
    expect(first.status).toBe('waiting');
    expect(paused.handbacks).toEqual([expect.objectContaining({ stage: 'plan', decision: null })]);
    const resumed = createMemoryJournal({
      runId: 'run-interactive',
      interactive: true,
      decisions: [
        { decision: 'approve' },
        { decision: 'revise', note: 'skip the store' },
        { decision: 'approve' },
      ],
      finishedSteps: { discover: paused.steps.find((s) => s.step === 'discover')?.output },
    });
    const second = await runConnectorAgent({
      client: h.client,
      provider: createOfflineProvider(),
      journal: resumed,
      input: {
        specText,
        source: 'petstore-v3.yaml',
        interactive: true,
        selection: { mode: 'top', n: 3 },
      },
    });
    expect(second.status).toBe('completed');
    expect(resumed.steps.map((s) => s.step)).not.toContain('discover');
    expect(second.notes).toContain('revision after build: skip the store');
  }, 180_000);
});
