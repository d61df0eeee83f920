// The Workflow Agent end to end against two local fake apps (a shop with orders and order
// webhooks, a CRM with contacts and deals), through the real MCP client over Streamable HTTP:
// offline from a sentence to a published workflow whose MOCK cases passed, a webhook trigger
// registered at the shop and a real order producing a deal; a case that fails keeps the
// workflow unpublished with the case and why; a fixable mapping is repaired in a bounded round;
// the model path with the real `openai` client against the fake OpenAI server.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../../test/fakes/llm/openai-server.ts';
import { withKey } from '../../test/app.ts';
import { createOfflineProvider, createProvider } from '../llm/index.ts';
import { createMemoryJournal } from '../runs/memory-journal.ts';
import { runWorkflowAgent } from './index.ts';
import { renderWorkflow } from './templates.ts';
import { connectApps, startJourney, type JourneyHarness } from './test-harness.ts';

async function until<T>(
  read: () => T | Promise<T>,
  ok: (v: T) => boolean,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the Workflow Agent', () => {
  let h: JourneyHarness;
  let client: Client;
  let connections: { shop: string; crm: string; customerId: string };

  beforeAll(async () => {
    h = await startJourney();
    client = await h.connect('weft-workflow-agent');
    connections = await connectApps(client, h.apps);
  }, 120_000);
  afterAll(async () => {
    await h.close();
  });

  const getWorkflow = async (slug: string) =>
    (
      (await client.callTool({ name: 'get_workflow', arguments: { workflow: slug } })) as {
        structuredContent?: { latestVersion: number; deployments: Record<string, unknown> };
      }
    ).structuredContent;

  it('offline: a sentence becomes a tested, published workflow; a real order makes a deal', async () => {
    const journal = createMemoryJournal();
    const report = await runWorkflowAgent({
      client,
      provider: createOfflineProvider(),
      journal,
      input: {
        request: { text: 'When a new order comes in from the shop, create a deal in the CRM' },
        connections: { shop: connections.shop, crm: connections.crm },
      },
    });
    expect(report.status, report.summary).toBe('published');
    expect(report.plan?.shape).toBe('webhook_upsert');
    expect(report.plan?.steps.map((s) => `${s.connector}.${s.action}`)).toEqual([
      'crm.createContact',
      'crm.createDeal',
    ]);
    // The mapping, in words, from real samples.
    const words = report.mappings?.map((m) => m.words) ?? [];
    expect(words).toContain("amount ← the order's total, as a number");
    expect(words).toContain('title ← the text "Order {number}"');
    expect(report.samples?.from).toBe('connection');
    expect(report.samples?.proposals.filter).toMatchObject({ field: 'status', in: ['paid'] });
    // Every MOCK case passed in the first round, each with its pass criterion.
    const results = report.rounds?.at(-1)?.results ?? [];
    expect(results.map((r) => [r.id, r.mode, r.passed])).toEqual([
      ['creates', 'MOCK', true],
      ['links-contact', 'MOCK', true],
      ['target-error', 'MOCK', true],
    ]);
    expect(results.every((r) => r.passWhen.length > 0)).toBe(true);
    // Published and deployed; the test harness is gone.
    const wf = await getWorkflow(report.plan?.slug ?? '');
    expect(wf?.latestVersion).toBe(1);
    expect(Object.keys(wf?.deployments ?? {})).toEqual(['production']);
    expect(await getWorkflow(`${report.plan?.slug ?? ''}-tests`)).toBeUndefined();
    // The webhook trigger is registered at the shop; a real order produces a deal.
    expect(report.trigger).toMatchObject({ type: 'app_event', registered: true });
    expect(h.apps.webhooks()).toEqual([
      { url: expect.stringContaining(h.weftUrl) as unknown, event: 'order.created' },
    ]);
    const statuses = await h.apps.placeOrder({
      number: 'SO-9',
      status: 'paid',
      currency: 'EUR',
      total: '119.98',
      customer: { email: 'grace@example.com', name: 'Grace' },
      line_items: [{ sku: 'LAMP', quantity: 1, unit_price: '119.98' }],
      note: null,
    });
    expect(statuses[0]).toBeLessThan(300);
    const deals = await until(
      () => h.apps.deals(),
      (d) => d.length > 0,
    );
    expect(deals).toEqual([
      {
        id: 'd_1',
        title: 'Order SO-9',
        amount: 119.98,
        currency: 'EUR',
        contact_id: 'c_1',
        external_id: '3',
      },
    ]);
    expect(h.apps.contacts()).toEqual([{ id: 'c_1', email: 'grace@example.com', name: 'Grace' }]);
    // Every write of the run is audited as the agent acting for the key's user.
    const audit = await h.t.app.inject({
      method: 'GET',
      url: '/api/v1/audit-log?limit=200',
      headers: withKey(h.org.liveKey),
    });
    const entries = audit.json<{
      data: { actorType: string; actorLabel: string; action: string }[];
    }>().data;
    const mine = entries.filter((e) => /workflow|trigger/.test(e.action));
    expect(mine.length).toBeGreaterThan(3);
    expect(
      mine.every((e) => e.actorType === 'agent' && e.actorLabel === 'weft-workflow-agent'),
    ).toBe(true);
    // Spans of every tool call, none refused.
    expect(journal.spans.some((s) => s.tool === 'publish_workflow' && s.step === 'publish')).toBe(
      true,
    );
    expect(journal.spans.filter((s) => s.status === 'not_allowed')).toEqual([]);
  }, 120_000);

  it('a case that fails keeps the workflow unpublished; the report names the case and why', async () => {
    const report = await runWorkflowAgent({
      client,
      provider: createOfflineProvider(),
      journal: createMemoryJournal(),
      input: {
        request: {
          name: 'Orders to deals broken',
          source: 'shop',
          entity: 'order',
          target: 'crm',
          targetEntity: 'deal',
          trigger: 'webhook',
          mappings: { 'deal.amount': { from: 'discount_code_value', as: 'number' } },
        },
        connections: { shop: connections.shop },
        createTrigger: false,
      },
    });
    expect(report.status).toBe('tests_failed');
    expect(report.failures?.[0]?.case).toContain('a new order creates');
    expect(report.failures?.[0]?.problems).toContain(
      'crm.createDeal: required field amount is null',
    );
    expect(report.summary).toContain('not published');
    expect(report.rounds).toHaveLength(1); // nothing the fixer could change: no second round
    expect((await getWorkflow('orders-to-deals-broken'))?.latestVersion).toBe(0);
  }, 120_000);

  it('a mapping with a typo fails its case, goes back to the builder and passes the next round', async () => {
    const report = await runWorkflowAgent({
      client,
      provider: createOfflineProvider(),
      journal: createMemoryJournal(),
      input: {
        request: {
          name: 'Orders to deals typo',
          source: 'shop',
          entity: 'order',
          target: 'crm',
          trigger: 'webhook',
          text: 'create a deal',
          mappings: { 'deal.amount': { from: 'totl', as: 'number' } },
        },
        connections: { shop: connections.shop },
        createTrigger: false,
        deployTo: ['development'],
      },
    });
    expect(report.status, report.summary).toBe('published');
    expect(report.rounds?.map((r) => r.results.every((c) => c.passed))).toEqual([false, true]);
    expect(report.rounds?.[0]?.changes).toEqual([
      expect.objectContaining({ step: 'deal', field: 'amount', before: 'totl', after: 'total' }),
    ]);
  }, 120_000);

  it('a LIVE case runs on the test connections only when allowed and they exist', async () => {
    const request = {
      name: 'Orders to deals live',
      source: 'shop',
      entity: 'order',
      target: 'crm',
      targetEntity: 'deal',
      trigger: 'webhook' as const,
      mappings: { 'deal.title': { template: 'Live check {number}' } },
    };
    const run = (extra: Record<string, unknown>, allowLive: boolean) =>
      runWorkflowAgent({
        client,
        provider: createOfflineProvider(),
        journal: createMemoryJournal(),
        input: {
          request: { ...request, allowLive },
          publish: false,
          createTrigger: false,
          ...extra,
        },
      });
    const withConnections = {
      connections: { shop: connections.shop, crm: connections.crm },
      customerId: connections.customerId,
    };
    const live = (r: Awaited<ReturnType<typeof run>>) =>
      (r.rounds?.at(-1)?.results ?? []).filter((c) => c.mode === 'LIVE');

    // Not allowed, or no connection to the CRM: MOCK cases only, nothing written to the CRM.
    const before = h.apps.deals().length;
    expect(live(await run(withConnections, false))).toEqual([]);
    expect(
      live(
        await run(
          { connections: { shop: connections.shop }, customerId: connections.customerId },
          true,
        ),
      ),
    ).toEqual([]);
    expect(h.apps.deals()).toHaveLength(before);

    // Allowed, with both connections: one order through the real CRM, as the test customer.
    const report = await run(withConnections, true);
    expect(report.status, report.summary).toBe('built');
    const [liveCase] = live(report);
    expect(liveCase).toMatchObject({ id: 'live', passed: true, status: 'completed' });
    expect(liveCase?.passWhen).toContain('crm.createDeal is called once');
    expect(h.apps.deals().slice(before)).toEqual([
      expect.objectContaining({ title: 'Live check SO-1', amount: 42.5, currency: 'EUR' }),
    ]);
  }, 120_000);

  it('asks instead of guessing when the request is ambiguous', async () => {
    const report = await runWorkflowAgent({
      client,
      provider: createOfflineProvider(),
      journal: createMemoryJournal(),
      input: { request: { text: 'sync orders to the warehouse app' } },
    });
    expect(report.status).toBe('needs_input');
    expect(report.questions?.map((q) => q.id)).toEqual(['source', 'target', 'trigger']);
  }, 60_000);

  it('with a model: free text through the real openai client, plan and code from the model', async () => {
    // The model's plan is the offline one's, as a model would write it; its code is the template
    // with a log line added, so the test checks that the model's code is what is tested and published.
    const plannedJournal = createMemoryJournal({ interactive: true });
    await runWorkflowAgent({
      client,
      provider: createOfflineProvider(),
      journal: plannedJournal,
      input: {
        request: {
          text: 'When a new order comes in from the shop, create a deal in the CRM',
          name: 'Model orders',
        },
        connections: { shop: connections.shop },
      },
    }).catch(() => undefined);
    const planned = plannedJournal.steps.find((s) => s.step === 'plan')?.output as {
      plan: Parameters<typeof renderWorkflow>[0];
    };
    const { plan } = planned;
    const code = renderWorkflow(plan).replace(
      'const steps: Record<string, any> = {};',
      "const steps: Record<string, any> = {};\n  ctx.log.info('written by the model');",
    );
    const llm = await startFakeOpenAi({
      apiKey: 'sk-test',
      turns: [
        { toolCalls: [{ name: 'list_actions', arguments: { connector: 'crm' } }] },
        { toolCalls: [{ name: 'delete_workflow', arguments: { workflow: 'x' } }] },
        { text: 'I have what I need.' },
        { toolCalls: [{ name: 'respond', arguments: plan }] },
        { toolCalls: [{ name: 'respond', arguments: { source: code } }] },
      ],
    });
    try {
      const provider = createProvider({
        config: {
          provider: 'openai',
          model: 'gpt-4o-mini',
          baseUrl: `${llm.url}/v1`,
          openaiApiKey: 'sk-test',
        },
      });
      const journal = createMemoryJournal();
      const report = await runWorkflowAgent({
        client,
        provider,
        journal,
        input: {
          request: { text: 'Whenever the shop gets an order, make a CRM deal for it' },
          connections: { shop: connections.shop },
          createTrigger: false,
        },
      });
      expect(report.status, report.summary).toBe('published');
      const wf = (await client.callTool({
        name: 'get_workflow',
        arguments: { workflow: plan.slug },
      })) as {
        structuredContent?: { draftSource: string };
      };
      expect(wf.structuredContent?.draftSource).toContain('written by the model');
      // The call outside the planner's allow-list was refused, never run.
      expect(journal.spans.filter((s) => s.status === 'not_allowed').map((s) => s.tool)).toEqual([
        'delete_workflow',
      ]);
      expect(journal.usage.inputTokens).toBeGreaterThan(0);
      expect(llm.remaining()).toBe(0);
    } finally {
      await llm.close();
    }
  }, 120_000);
});
