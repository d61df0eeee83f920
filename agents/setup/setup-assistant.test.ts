// The Setup Assistant's journey, offline, against the fake shop and CRM: from "I run an online
// shop app; my customers want new orders in their CRM" to "setup complete" — both connectors
// built from their specs and connected with tested credentials, the mapping shown and approved,
// MOCK test cases passing and, once the person allows it, a LIVE one through the test
// connections, the workflow published and deployed with its app-event trigger, a real order
// making a deal, and all five checklist items green. The session state crosses every
// turn as JSON (as a store keeps it), so each turn starts from a restored session.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineProvider, createScriptedProvider } from '../llm/index.ts';
import { startJourney, type JourneyHarness } from '../workflow/test-harness.ts';
import {
  initialState,
  setupTurn,
  type SetupEvent,
  type SetupInput,
  type SetupState,
} from './assistant.ts';

describe('the Setup Assistant', () => {
  let h: JourneyHarness;
  let client: Client;

  beforeAll(async () => {
    h = await startJourney();
    client = await h.connect('weft-setup-assistant');
  }, 120_000);
  afterAll(async () => {
    await h.close();
  });

  it('with a model: an intent that does not fit is refused, and a refusal falls back to offline', async () => {
    const live: SetupEvent[] = [];
    let heardBeforeSecondTurn: SetupEvent[] = [];
    const provider = createScriptedProvider({
      turns: [
        { text: 'Publishing now.', toolCalls: [{ name: 'approve_publish', arguments: {} }] },
        () => {
          heardBeforeSecondTurn = [...live];
          return { toolCalls: [{ name: 'delete_connector', arguments: { connector: 'shop' } }] };
        },
        { refusal: 'I cannot help with that.' },
      ],
    });
    const out = await setupTurn({
      state: initialState(),
      input: { text: 'I run an online shop app; my customers want new orders in their CRM' },
      context: { client, provider, publicUrl: h.weftUrl, onEvent: (e) => live.push(e) },
    });
    // The model's text went out while the turn was still running, its message ended by "\n".
    expect(heardBeforeSecondTurn).toEqual([
      { type: 'text_delta', text: 'Publishing now.' },
      { type: 'text_delta', text: '\n' },
    ]);
    expect(live).toEqual(out.events.filter((e) => e.type !== 'activity'));
    const results = (provider.requests[2]?.messages ?? []).filter((m) => m.role === 'tool');
    expect(results.map((m) => m.content)).toEqual([
      'Not done: the test cases have not run yet: approve the mappings first.',
      expect.stringContaining('there is no tool named "delete_connector"'),
    ]);
    const texts = out.events.flatMap((e) => (e.type === 'text' ? [e.text] : []));
    expect(texts[0]).toContain('(The model stopped: the model refused: I cannot help with that.');
    // Read offline instead: the use case, then the first connector's spec.
    expect(out.state.useCase).toMatchObject({ source: 'shop', entity: 'order', target: 'crm' });
    expect(out.events.filter((e) => e.type === 'form').map((e) => e.id)).toEqual(['spec:shop']);
    expect(out.state.transcript?.map((m) => m.role)).toEqual(['user', 'assistant']);
  }, 60_000);

  it("keeps a session's model tokens, and reads text without the model once they pass the cap", async () => {
    const answer = {
      text: 'Tell me more about your app.',
      usage: { inputTokens: 120, outputTokens: 12 },
    };
    const provider = createScriptedProvider({ turns: [answer, answer, answer, answer] });
    let state = initialState();
    const say = async (text: string) => {
      const out = await setupTurn({
        state: JSON.parse(JSON.stringify(state)) as SetupState,
        input: { text },
        context: { client, provider, publicUrl: h.weftUrl, maxModelTokens: 300 },
      });
      state = out.state;
      return out.events.flatMap((e) => (e.type === 'text' ? [e.text] : []));
    };
    await say('hello');
    await say('we sell things');
    expect(state.modelUsage).toMatchObject({ inputTokens: 240, outputTokens: 24 });
    // 264 of 300 spent: the third turn may start, and spends its 132.
    await say('online');
    expect(provider.requests).toHaveLength(3);
    expect(state.modelUsage?.inputTokens).toBe(360);
    // Past the cap: no model turn; the sentence is read offline, and the person is told why.
    const texts = await say('I run an online shop app; my customers want new orders in their CRM');
    expect(provider.requests).toHaveLength(3);
    expect(texts[0]).toContain('This chat has used its model budget (396 of 300 tokens)');
    expect(state.useCase).toMatchObject({ source: 'shop', entity: 'order', target: 'crm' });
  }, 60_000);

  it('offline: from one sentence to setup complete, five checklist items green', async () => {
    let stored = JSON.stringify(initialState());
    const turn = async (input: SetupInput): Promise<SetupEvent[]> => {
      const state = JSON.parse(stored) as SetupState;
      const out = await setupTurn({
        state,
        input,
        context: { client, provider: createOfflineProvider(), publicUrl: h.weftUrl },
      });
      stored = JSON.stringify(out.state);
      return out.events;
    };
    const of = <T extends SetupEvent['type']>(events: SetupEvent[], type: T) =>
      events.filter((e): e is Extract<SetupEvent, { type: T }> => e.type === type);

    let events = await turn({
      text: 'I run an online shop app; my customers want new orders in their CRM',
    });
    expect(of(events, 'form').map((f) => f.id)).toEqual(['spec:shop']);
    events = await turn({
      form: 'spec:shop',
      values: { specUrl: `${h.apps.shopUrl}/openapi.json` },
    });
    expect(of(events, 'form')[0]).toMatchObject({
      id: 'credentials:shop',
      fields: [{ name: 'apiKey', secret: true }],
    });
    events = await turn({ form: 'credentials:shop', values: { apiKey: h.apps.shopKey } });
    expect(of(events, 'form').map((f) => f.id)).toEqual(['spec:crm']);
    events = await turn({ form: 'spec:crm', values: { specUrl: `${h.apps.crmUrl}/openapi.json` } });
    expect(of(events, 'form')[0]).toMatchObject({
      id: 'credentials:crm',
      fields: [{ name: 'token' }],
    });
    events = await turn({ form: 'credentials:crm', values: { token: h.apps.crmToken } });
    // Step 3: the mapping review, in plain words, with Approve.
    const review = of(events, 'mapping_review')[0];
    expect(review?.items.map((i) => i.words)).toContain("amount ← the order's total, as a number");
    expect(of(events, 'choices')[0]?.options).toEqual(['Approve mappings', 'Change a mapping']);
    expect(of(events, 'activity').length).toBeGreaterThan(0);

    // The person allows a LIVE case: one sample order through the real test connections.
    events = await turn({ text: 'run a live test too' });
    expect(of(events, 'text')[0]?.text).toContain('A LIVE case will run as well');
    expect(h.apps.deals()).toEqual([]);
    events = await turn({ choice: 'Approve mappings' });
    const cases = of(events, 'test_cases')[0]?.cases ?? [];
    expect(cases.map((c) => [c.mode, c.passed, c.problems])).toEqual([
      ['MOCK', true, []],
      ['MOCK', true, []],
      ['MOCK', true, []],
      ['LIVE', true, []],
    ]);
    expect(h.apps.deals()).toEqual([
      expect.objectContaining({ title: 'Order SO-1', amount: 42.5 }),
    ]);
    expect(of(events, 'choices')[0]?.options).toEqual(['Approve and publish']);

    events = await turn({ choice: 'Approve and publish' });
    expect(
      of(events, 'text')
        .map((e) => e.text)
        .join('\n'),
    ).toContain('published to production');
    expect(
      of(events, 'text')
        .map((e) => e.text)
        .join('\n'),
    ).toContain('/mcp/gateway');
    // Step 4: a connect widget for the CRM with the published workflow, and the snippet.
    const said = of(events, 'text')
      .map((e) => e.text)
      .join('\n');
    expect(said).toContain(`<script src="${h.weftUrl}/embed.js"></script>`);
    expect(said).toContain('Weft.open({');
    const widget = await h.t.app.inject({
      method: 'GET',
      url: '/api/v1/widgets/crm-connect',
      headers: { 'x-fastn-api-key': h.org.liveKey },
    });
    expect(widget.json<{ connectors: unknown[] }>().connectors).toEqual([
      expect.objectContaining({
        connector: 'crm',
        workflows: [expect.objectContaining({ runOnConnect: true })],
      }),
    ]);

    events = await turn({ choice: 'Continue' });
    const first = of(events, 'checklist')[0]?.items ?? [];
    expect(first.map((i) => [i.id, i.ok])).toEqual([
      ['connection', true],
      ['deployed', true],
      ['trigger', true],
      ['customer', true],
      ['execution', false],
    ]);
    expect(first.at(-1)?.fix).toContain('run_workflow');

    // A real order from the shop reaches the CRM; the checklist goes green.
    await h.apps.placeOrder({
      number: 'SO-77',
      status: 'paid',
      currency: 'EUR',
      total: '20.00',
      customer: { email: 'lin@example.com', name: 'Lin' },
      line_items: [],
      note: null,
    });
    const deadline = Date.now() + 15_000;
    while (h.apps.deals().length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(h.apps.deals()[1]).toMatchObject({ title: 'Order SO-77', amount: 20 });
    events = await turn({ text: 'check again' });
    expect(of(events, 'checklist')[0]?.items.every((i) => i.ok)).toBe(true);
    expect(of(events, 'text').map((e) => e.text)).toContain(
      'Setup complete: your integration is live.',
    );
    expect((JSON.parse(stored) as SetupState).complete).toBe(true);
  }, 180_000);
});
