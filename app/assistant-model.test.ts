// The Setup Assistant's journey with a model: Weft started with WEFT_LLM=openai pointed at a fake
// OpenAI-compatible server (test/fakes/llm/openai-server.ts), so every model call goes through
// the real `openai` client, streamed. The person writes free text; the scripted model answers
// in streamed text (text_delta events on the SSE API) and steers with tool calls: it records
// the use case, builds both connectors from the spec URLs given in the text, changes a mapping
// as asked, approves, publishes and checks the go-live list. The Workflow Agent asks the same
// model for its plan (one the offline planner would not make: paid orders only, another deal
// title) and for free-form code — the code that is tested, published and run. Code whose cases
// fail goes back to the model's builder, and after the last round stays unpublished, the chat
// saying which case failed and why, even when asked to publish anyway. Credentials go
// through forms only and never reach the model. At the end, every write since the session began
// is in the audit log as the agent, with the person's key, on behalf of the person (actorUserId)
// — but the session itself, which the person created.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJourney, type JourneyHarness } from '../agents/workflow/test-harness.ts';
import { TEST_DRIVERS } from '../test/db.ts';
import { startFakeOpenAi } from '../test/fakes/llm/openai-server.ts';
import type { FakeLlmServer, FakeTurn } from '../test/fakes/llm/script.ts';

type Body = Record<string, unknown>;
type Wire = { type: string } & Record<string, unknown>;
interface AuditEntry {
  action: string;
  actorType: string;
  actorId: string | null;
  actorLabel: string | null;
  actorUserId: string | null;
}

const KEY = 'sk-test-setup-model';
const USE_CASE = 'I run an online shop app; my customers want new orders in their CRM';

/** Which agent a request to the model comes from, read from its system prompt. */
function agentOf(body: Body): 'setup' | 'planner' | 'plan' | 'builder' | 'connector' | 'other' {
  const messages = (body['messages'] ?? []) as { role: string; content?: string }[];
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const forced = (body['tool_choice'] as { function?: { name?: string } } | undefined)?.function
    ?.name;
  if (system.startsWith('# Setup Assistant')) return 'setup';
  if (system.includes('Workflow Agent — planner')) return forced === 'respond' ? 'plan' : 'planner';
  if (system.includes('Workflow Agent — builder')) return 'builder';
  if (/step of Weft's Connector Agent/.test(system)) return 'connector';
  return 'other';
}

/** The plan the model writes: paid orders only, found-or-created contact, then the deal. */
function modelPlan(): Record<string, unknown> {
  return {
    name: 'Shop orders to CRM deals',
    slug: 'shop-orders-to-crm-deals',
    summary:
      'On each paid shop order: find the CRM contact by email (or create it), then create a deal for the order.',
    shape: 'webhook_upsert',
    source: { connector: 'shop', entity: 'order', listAction: 'listOrders', recordPath: 'data' },
    steps: [
      {
        id: 'contact',
        kind: 'upsert',
        connector: 'crm',
        action: 'createContact',
        entity: 'contact',
        lookup: { action: 'listContacts', by: 'email', from: 'customer.email' },
        mappings: [
          { target: 'email', from: 'customer.email' },
          { target: 'name', from: 'customer.name' },
        ],
      },
      {
        id: 'deal',
        kind: 'create',
        connector: 'crm',
        action: 'createDeal',
        entity: 'deal',
        mappings: [
          { target: 'title', template: 'Web order {number}' },
          { target: 'amount', from: 'total', as: 'number' },
          { target: 'currency', from: 'currency' },
          { target: 'contact_id', from: 'steps.contact.id' },
          { target: 'external_id', from: 'id', as: 'string' },
        ],
      },
    ],
    trigger: {
      type: 'webhook',
      event: 'order.created',
      register: { connector: 'shop', action: 'createWebhook' },
    },
    filter: { field: 'status', in: ['paid'] },
    errorStrategy: { onTargetError: 'retry', maxAttempts: 3 },
    acceptance: [
      { id: 'creates', text: 'A paid order creates one deal with every required field' },
      { id: 'links-contact', text: "The deal is linked to the contact with the order's email" },
      { id: 'filter', text: 'An order that is not paid creates nothing' },
      { id: 'target-error', text: 'When the CRM refuses the deal, the run fails' },
    ],
    cdmEntities: ['Order', 'Contact'],
  };
}

/** Code no template writes: its own names, an early return for unpaid orders, a marker. */
const MODEL_CODE = `// Written by the model for this plan (paid orders only).
export default async function run(ctx: WorkflowContext) {
  const order: any = (ctx.input as any)?.data ?? ctx.input;
  if (order?.status !== 'paid') return { skipped: 'status ' + String(order?.status) };
  const crm: any = ctx.connectors['crm'];
  const key = 'order-' + String(order.id);
  const contact: any = await ctx.step(key + ':contact', async () => {
    const email = order.customer?.email;
    const found = await crm.listContacts({ email });
    if (!found.ok) throw new Error('crm.listContacts answered HTTP ' + found.status);
    const match = (found.body?.data ?? []).find((c: any) => c.email === email);
    if (match) return match;
    const made = await crm.createContact({ email, name: order.customer?.name });
    if (!made.ok) throw new Error('crm.createContact answered HTTP ' + made.status);
    return made.body;
  });
  const deal: any = await ctx.step(key + ':deal', async () => {
    const made = await crm.createDeal({
      title: 'Shop order ' + String(order.number ?? ''),
      amount: Number(order.total),
      currency: order.currency,
      contact_id: contact.id,
      external_id: String(order.id ?? ''),
    });
    if (!made.ok) throw new Error('crm.createDeal answered HTTP ' + made.status + ': ' + JSON.stringify(made.body));
    return made.body;
  });
  return { contact: contact.id ?? null, deal: deal.id ?? null };
}
`;

describe.each(TEST_DRIVERS)(
  'the Setup Assistant with a model (openai client, fake server, %s)',
  (driver) => {
    let h: JourneyHarness;
    let llm: FakeLlmServer;
    /** The model's answers, per agent, in the order they are asked for. */
    const script: Record<'setup' | 'planner' | 'plan' | 'builder', FakeTurn[]> = {
      setup: [],
      planner: [],
      plan: [],
      builder: [],
    };
    const asked: string[] = [];

    beforeAll(async () => {
      const route = (body: Body): FakeTurn => {
        const agent = agentOf(body);
        asked.push(agent);
        // The Connector Agent's steps: the model leaves each to the step's own logic.
        if (agent === 'connector') return { text: 'done' };
        const next = agent === 'other' ? undefined : script[agent].shift();
        if (next === undefined) return { status: 400, message: `no scripted ${agent} turn left` };
        return next;
      };
      llm = await startFakeOpenAi({ apiKey: KEY, turns: Array.from({ length: 400 }, () => route) });
      h = await startJourney(
        {
          WEFT_LLM: 'openai',
          WEFT_LLM_MODEL: 'gpt-4o-mini',
          WEFT_LLM_BASE_URL: `${llm.url}/v1`,
          OPENAI_API_KEY: KEY,
        },
        driver,
      );
    }, 180_000);
    afterAll(async () => {
      await h?.close();
      await llm?.close();
    });

    const api = (url: string, body?: unknown) =>
      fetch(`${h.weftUrl}/api/v1${url}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          'x-fastn-api-key': h.org.liveKey,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });

    /** Sends a message and reads its answer, as Server-Sent Events, to the `done` event. */
    async function send(sessionId: string, message: Record<string, unknown>): Promise<Wire[]> {
      const res = await api(`/assistant/sessions/${sessionId}/messages`, message);
      expect(res.status).toBe(200);
      const text = await res.text();
      const events: Wire[] = [];
      for (const block of text.split('\n\n')) {
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data !== undefined) events.push(JSON.parse(data) as Wire);
      }
      expect(events.at(-1)?.type).toBe('done');
      const error = events.find((e) => e.type === 'turn_error');
      expect(error, JSON.stringify(error)).toBeUndefined();
      return events;
    }
    const said = (events: Wire[]) =>
      events
        .filter((e) => e.type === 'text_delta')
        .map((e) => String(e['text']))
        .join('');
    const of = (events: Wire[], type: string) => events.filter((e) => e.type === type);

    it('free text to setup complete: the model steers, plans and writes the code that runs', async () => {
      const started = new Date().toISOString();
      const { sessionId } = (await (await api('/assistant/sessions', {})).json()) as {
        sessionId: string;
      };
      const shopSpec = `${h.apps.shopUrl}/openapi.json`;
      const crmSpec = `${h.apps.crmUrl}/openapi.json`;

      // 1. Use case, from the sentence: the model looks, then records it.
      script.setup.push(
        {
          text: 'Let me look at what you have connected so far.',
          toolCalls: [{ name: 'list_connectors', arguments: {} }],
        },
        {
          toolCalls: [
            {
              name: 'record_use_case',
              arguments: { product: 'online shop', source: 'shop', entity: 'order', target: 'crm' },
            },
          ],
        },
        {
          text: 'Your shop orders become deals in your customers’ CRM. Where is the shop API described?',
        },
      );
      let events = await send(sessionId, { text: USE_CASE });
      // The model's text streamed in pieces, each message ending its line.
      expect(of(events, 'text_delta').length).toBeGreaterThan(4);
      expect(said(events)).toContain('Let me look at what you have connected so far.\n');
      expect(said(events)).toContain('Where is the shop API described?\n');
      expect(of(events, 'step')).toContainEqual({
        type: 'step',
        step: 'connectors',
        status: 'active',
      });
      expect(of(events, 'form').map((f) => f['id'])).toEqual(['spec:shop']);

      // 2. Connectors: the spec URL in free text; the credentials in the form.
      script.setup.push(
        { toolCalls: [{ name: 'build_connector', arguments: { app: 'shop', specUrl: shopSpec } }] },
        { text: 'The shop connector is built and tested. Enter its API key in the form.' },
      );
      events = await send(sessionId, { text: `The shop API is described at ${shopSpec}` });
      expect(said(events)).toMatch(
        /Built the shop connector from its spec with the Connector Agent/,
      );
      expect(of(events, 'form')[0]).toMatchObject({ id: 'credentials:shop' });
      // A key typed into the chat instead of the form is kept from the model.
      const pending = script.setup.length;
      events = await send(sessionId, { text: `my key is ${h.apps.shopKey}` });
      expect(said(events)).toContain('did not send it to the model');
      expect(script.setup).toHaveLength(pending);
      events = await send(sessionId, {
        form: 'credentials:shop',
        values: { apiKey: h.apps.shopKey },
      });
      expect(of(events, 'form').map((f) => f['id'])).toEqual(['spec:crm']);
      script.setup.push(
        { toolCalls: [{ name: 'build_connector', arguments: { app: 'crm', specUrl: crmSpec } }] },
        { text: 'The CRM connector is ready too; its token goes in the form.' },
      );
      events = await send(sessionId, { text: `and the CRM one: ${crmSpec}` });
      expect(of(events, 'form')[0]).toMatchObject({ id: 'credentials:crm' });

      // 3. Integration: the Workflow Agent's plan comes from the model.
      script.planner.push(
        {
          toolCalls: [
            { name: 'get_action', arguments: { connector: 'crm', action: 'createDeal' } },
          ],
        },
        { text: 'I have what I need.' },
      );
      script.plan.push({ toolCalls: [{ name: 'respond', arguments: modelPlan() }] });
      events = await send(sessionId, {
        form: 'credentials:crm',
        values: { token: h.apps.crmToken },
      });
      let review = (of(events, 'mapping_review')[0]?.['items'] ?? []) as { words: string }[];
      expect(review.map((i) => i.words)).toContain('title ← the text "Web order {number}"');
      expect(of(events, 'handback')[0]).toMatchObject({ stage: 'mapping' });

      // A change asked for in words: the model changes the mapping, the plan is made again.
      script.setup.push(
        {
          toolCalls: [
            {
              name: 'change_mapping',
              arguments: { field: 'deal.title', mapping: { template: 'Shop order {number}' } },
            },
          ],
        },
        { text: 'Done: deals are now titled "Shop order" and the order number.' },
      );
      script.planner.push({ text: 'The plan stands; the title changes.' });
      script.plan.push({ toolCalls: [{ name: 'respond', arguments: modelPlan() }] });
      events = await send(sessionId, {
        text: 'Call the deals "Shop order" followed by the order number, please',
      });
      review = (of(events, 'mapping_review')[0]?.['items'] ?? []) as { words: string }[];
      expect(review.map((i) => i.words)).toContain('title ← the text "Shop order {number}"');
      expect(review.map((i) => i.words)).toContain("amount ← the order's total, as a number");

      // Approved in words: the model's code is built and its MOCK cases run. Its code sends the
      // amount as text, in every round it is given: the failing cases keep it unpublished.
      const reader = await h.connect('test-reader');
      const latestVersion = async () =>
        (
          (await reader.callTool({
            name: 'get_workflow',
            arguments: { workflow: 'shop-orders-to-crm-deals' },
          })) as { structuredContent?: { latestVersion: number } }
        ).structuredContent?.latestVersion;
      const buggy = MODEL_CODE.replace('amount: Number(order.total)', 'amount: order.total');
      script.setup.push(
        { toolCalls: [{ name: 'approve_mapping', arguments: {} }] },
        { text: 'Two cases fail, so I did not publish it.' },
      );
      for (let round = 0; round < 3; round++)
        script.builder.push({ toolCalls: [{ name: 'respond', arguments: { source: buggy } }] });
      events = await send(sessionId, { text: 'Looks right, build and test it' });
      const failed = (of(events, 'test_cases')[0]?.['cases'] ?? []) as {
        name: string;
        passed: boolean;
        problems: string[];
      }[];
      expect(failed.filter((c) => !c.passed).map((c) => c.name)).toEqual([
        'a new order creates the contact and deal',
        'an existing contact is reused, not created again',
      ]);
      expect(failed[0]?.problems.join('\n')).toMatch(
        /crm\.createDeal: amount is "\d+\.\d+", expected/,
      );
      expect(said(events)).toMatch(
        /not published: "a new order creates the contact and deal" failed \(crm\.createDeal: amount is/,
      );
      expect(of(events, 'handback')).toEqual([]);
      // Each failing round went back to the model's builder with the cases and why.
      const builds = llm.requests.filter((r) => agentOf(r.body) === 'builder');
      expect(builds).toHaveLength(3);
      expect(JSON.stringify(builds[1]?.body)).toContain('These test cases failed');
      expect(JSON.stringify(builds[1]?.body)).toContain('crm.createDeal: amount is');
      // Asked to publish anyway, it still does not.
      script.setup.push(
        { toolCalls: [{ name: 'approve_publish', arguments: {} }] },
        { text: 'It cannot be published while cases fail.' },
      );
      events = await send(sessionId, { text: 'Publish it anyway' });
      expect(said(events)).toContain('not published:');
      expect(await latestVersion()).toBe(0);

      // Again from the plan; this time the model's code passes every case.
      script.setup.push(
        { toolCalls: [{ name: 'redo_step', arguments: { step: 'integration' } }] },
        { text: 'The plan is ready again; approve it when it looks right.' },
      );
      script.planner.push({ text: 'Same plan.' });
      script.plan.push({ toolCalls: [{ name: 'respond', arguments: modelPlan() }] });
      events = await send(sessionId, { text: 'Amounts must be numbers. Try again from the plan' });
      expect(of(events, 'mapping_review')).toHaveLength(1);
      script.setup.push(
        { toolCalls: [{ name: 'approve_mapping', arguments: {} }] },
        { text: 'All four cases pass. Shall I publish?' },
      );
      script.builder.push({ toolCalls: [{ name: 'respond', arguments: { source: MODEL_CODE } }] });
      events = await send(sessionId, { text: 'Approved' });
      const cases = (of(events, 'test_cases')[0]?.['cases'] ?? []) as {
        name: string;
        mode: string;
        passed: boolean;
        problems: string[];
      }[];
      expect(cases.map((c) => [c.mode, c.passed, c.problems])).toEqual([
        ['MOCK', true, []],
        ['MOCK', true, []],
        ['MOCK', true, []],
        ['MOCK', true, []],
      ]);
      expect(cases.map((c) => c.name)).toContain('a order outside the filter is skipped');

      script.setup.push(
        { toolCalls: [{ name: 'approve_publish', arguments: {} }] },
        { text: 'Published. Your customers connect through the link and the gateway.' },
      );
      events = await send(sessionId, { text: 'Great, publish it' });
      expect(said(events)).toContain('published to production');
      expect(said(events)).toContain('/mcp/gateway');
      const wf = (await reader.callTool({
        name: 'get_workflow',
        arguments: { workflow: 'shop-orders-to-crm-deals' },
      })) as {
        structuredContent?: { draftSource: string; deployments: Record<string, unknown> };
      };
      expect(wf.structuredContent?.draftSource).toContain('Written by the model for this plan');
      expect(Object.keys(wf.structuredContent?.deployments ?? {})).toEqual(['production']);

      script.setup.push(
        { toolCalls: [{ name: 'continue_to_live', arguments: {} }] },
        { text: 'One item left: a successful execution.' },
      );
      events = await send(sessionId, { text: 'Ready, what is left?' });
      let checklist = (of(events, 'checklist')[0]?.['items'] ?? []) as {
        id: string;
        ok: boolean;
      }[];
      expect(checklist.map((i) => [i.id, i.ok])).toEqual([
        ['connection', true],
        ['deployed', true],
        ['trigger', true],
        ['customer', true],
        ['execution', false],
      ]);

      // Real events from the shop: the model's filter skips the unpaid one, the paid one is a deal.
      await h.apps.placeOrder({
        number: 'SO-40',
        status: 'pending',
        currency: 'EUR',
        total: '5.00',
        customer: { email: 'pat@example.com', name: 'Pat' },
        line_items: [],
        note: null,
      });
      await h.apps.placeOrder({
        number: 'SO-41',
        status: 'paid',
        currency: 'EUR',
        total: '64.90',
        customer: { email: 'noor@example.com', name: 'Noor' },
        line_items: [],
        note: null,
      });
      const deadline = Date.now() + 20_000;
      while (h.apps.deals().length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
      expect(h.apps.deals()).toEqual([
        expect.objectContaining({ title: 'Shop order SO-41', amount: 64.9, currency: 'EUR' }),
      ]);
      expect(h.apps.contacts().map((c) => c.email)).toEqual(['noor@example.com']);

      script.setup.push(
        { toolCalls: [{ name: 'check_live', arguments: {} }] },
        { text: 'Everything is green: you are live.' },
      );
      events = await send(sessionId, { text: 'I placed a test order, check again' });
      checklist = (of(events, 'checklist')[0]?.['items'] ?? []) as { id: string; ok: boolean }[];
      expect(checklist.every((i) => i.ok)).toBe(true);
      expect(said(events)).toContain('Setup complete: your integration is live.');
      expect(events.at(-1)).toMatchObject({ type: 'done', complete: true });

      // Every scripted answer was asked for, through the real client with the key.
      expect(Object.values(script).map((turns) => turns.length)).toEqual([0, 0, 0, 0]);
      expect(asked.filter((a) => a === 'other')).toEqual([]);
      expect(asked.filter((a) => a === 'connector').length).toBeGreaterThan(4);
      expect(llm.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);
      // The Setup Assistant streamed its turns and offered its intent tools.
      const setupRequests = llm.requests.filter((r) => agentOf(r.body) === 'setup');
      expect(setupRequests.every((r) => r.body['stream'] === true)).toBe(true);
      const offered = ((setupRequests[0]?.body['tools'] ?? []) as { function: { name: string } }[])
        .map((t) => t.function.name)
        .sort();
      expect(offered).toContain('record_use_case');
      expect(offered).toContain('change_mapping');
      // Credentials went through the forms only: never to the model.
      const sent = JSON.stringify(llm.requests.map((r) => r.body));
      expect(sent).not.toContain(h.apps.shopKey);
      expect(sent).not.toContain(h.apps.crmToken);

      // Every write since the session began: the person's own session, and then only the agent,
      // acting with the person's key on the person's behalf.
      const entries: AuditEntry[] = [];
      for (let cursor: string | null = ''; cursor !== null;) {
        const page = (await (
          await api(
            `/audit-log?since=${encodeURIComponent(started)}&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
          )
        ).json()) as { data: AuditEntry[]; nextCursor: string | null };
        entries.push(...page.data);
        cursor = page.nextCursor;
      }
      const keyId = h.org.keys.find((k) => k.kind === 'live')?.id;
      const owner = h.org.owner.id;
      const byWhom = (e: AuditEntry) =>
        `${e.action}: ${e.actorType} ${e.actorLabel ?? ''} ${e.actorId ?? ''} for ${e.actorUserId ?? 'nobody'}`;
      expect(entries.filter((e) => e.action === 'assistant_session.create').map(byWhom)).toEqual([
        `assistant_session.create: api_key ${entries.find((e) => e.action === 'assistant_session.create')?.actorLabel ?? ''} ${keyId} for ${owner}`,
      ]);
      const agentWrites = entries.filter((e) => e.action !== 'assistant_session.create');
      expect(agentWrites.map(byWhom)).toEqual(
        agentWrites.map((e) => `${e.action}: agent weft-setup-assistant ${keyId} for ${owner}`),
      );
      const actions = new Set(agentWrites.map((e) => e.action.split('.')[0]));
      for (const kind of ['connector', 'customer', 'connection', 'workflow', 'trigger'])
        expect(actions).toContain(kind);
    }, 400_000);
  },
);
