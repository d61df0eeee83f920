// The Setup Assistant's surfaces against the fake shop and CRM (test/fixtures/shop-crm.ts), with
// Weft listening on loopback: `weft assist` driven through a real pseudo-terminal (util-linux
// `script`) from one sentence to "setup complete" with a real order making a deal; the SSE API
// read by undici's standard EventSource, its connection dropped by the server mid-turn and
// resumed with Last-Event-ID, every event seen exactly once; credentials typed into forms found
// nowhere in the session or its stored rows; and the assistant's writes in the audit log as the
// agent on behalf of the key's user.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import path from 'node:path';
import { Agent, EventSource, type Dispatcher, type MessageEvent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJourney, type JourneyHarness } from '../agents/workflow/test-harness.ts';
import { TEST_DRIVERS } from '../test/db.ts';

type Wire = { type: string } & Record<string, unknown>;
interface Stored {
  seq: number;
  event: Wire;
}

const ROOT = path.resolve(import.meta.dirname, '..');
const USE_CASE = 'I run an online shop app; my customers want new orders in their CRM';

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `weft assist` in a pseudo-terminal: the transcript (escape codes removed) and a keyboard. */
function startTerminal(env: Record<string, string>, args = '') {
  const command = `stty cols 200 rows 50; exec '${process.execPath}' '${path.join(ROOT, 'bin/weft.ts')}' assist ${args}`;
  const child: ChildProcess = spawn('script', ['-qfc', command, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  child.stdout?.on('data', (d: Buffer) => (raw += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (raw += d.toString('utf8')));
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  // eslint-disable-next-line no-control-regex
  const text = () => raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  let mark = 0;
  return {
    text,
    exited: () => exited,
    /** Waits for `pattern` after the last thing waited for. */
    async expect(pattern: string, ms = 60_000): Promise<void> {
      await waitFor(() => text().indexOf(pattern, mark) >= 0, ms, `"${pattern}" in:\n${text()}`);
      mark = text().indexOf(pattern, mark) + pattern.length;
    },
    type(line: string) {
      child.stdin?.write(`${line}\r`);
    },
    kill: () => child.kill('SIGKILL'),
  };
}

describe.each(TEST_DRIVERS)('the Setup Assistant surfaces (%s)', (driver) => {
  let h: JourneyHarness;
  const key = () => h.org.liveKey;
  const api = (url: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}) =>
    fetch(`${h.weftUrl}/api/v1/assistant${url}`, {
      method: init.method ?? 'GET',
      headers: {
        'x-fastn-api-key': key(),
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      ...(init.signal !== undefined && { signal: init.signal }),
    });

  beforeAll(async () => {
    h = await startJourney({}, driver);
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  it('weft assist in a terminal: one sentence to setup complete, a real order makes a deal', async () => {
    const env = { WEFT_URL: h.weftUrl, WEFT_API_KEY: key(), LOG_LEVEL: 'warn' };
    let term = startTerminal(env);
    try {
      await term.expect('What is your product');
      await term.expect('> ');
      term.type(USE_CASE);
      await term.expect('OpenAPI spec URL: ');
      term.type(`${h.apps.shopUrl}/openapi.json`);
      await term.expect('with the Connector Agent', 120_000);
      await term.expect('API key: ');
      term.type(h.apps.shopKey);
      await term.expect('the connection test passed');
      await term.expect('OpenAPI spec URL: ');
      term.type(`${h.apps.crmUrl}/openapi.json`);
      await term.expect('Token: ');
      // The terminal goes away mid-setup; `--session` picks the session up at the same question.
      const sessionId = /session ([0-9a-f-]{36})/.exec(term.text())?.[1] ?? '';
      expect(term.text()).not.toContain(h.apps.shopKey);
      term.kill();
      term = startTerminal(env, `--session ${sessionId}`);
      await term.expect(`Resuming session ${sessionId}`);
      await term.expect('Token: ');
      term.type(h.apps.crmToken);
      await term.expect('== integration ==', 120_000);
      await term.expect("amount ← the order's total, as a number");
      await term.expect('2. Change a mapping');
      term.type('1');
      await term.expect('[MOCK]', 120_000);
      await term.expect('1. Approve and publish');
      term.type('1');
      await term.expect('published to production', 120_000);
      await term.expect('/mcp/gateway');
      await term.expect('1. Continue');
      term.type('1');
      await term.expect('[ ] A successful execution — run_workflow');
      await term.expect('> ');

      await h.apps.placeOrder({
        number: 'SO-91',
        status: 'paid',
        currency: 'EUR',
        total: '31.00',
        customer: { email: 'kim@example.com', name: 'Kim' },
        line_items: [],
        note: null,
      });
      await waitFor(() => h.apps.deals().length > 0, 20_000, 'a deal in the CRM');
      expect(h.apps.deals()[0]).toMatchObject({ title: 'Order SO-91', amount: 31 });

      term.type('check again');
      await term.expect('[x] A successful execution');
      await term.expect('Setup complete: your integration is live.');
      await term.expect('setup complete');
      await waitFor(() => term.exited() !== null, 20_000, 'weft assist to exit');
      expect(term.exited()).toBe(0);
      const transcript = term.text();
      for (const item of [
        'A connection tested OK',
        'The workflow deployed to production',
        'Its trigger active',
        'A test customer',
      ])
        expect(transcript).toContain(`[x] ${item}`);
      // Secret fields are not echoed.
      expect(transcript).not.toContain(h.apps.shopKey);
      expect(transcript).not.toContain(h.apps.crmToken);
    } finally {
      term.kill();
    }
  }, 400_000);

  it('EventSource resumes a dropped stream from the last event id, nothing lost or repeated', async () => {
    const created = await api('/sessions', { method: 'POST' });
    expect(created.status).toBe(201);
    const { sessionId } = (await created.json()) as { sessionId: string };

    // The server side of each /events request, to drop one mid-stream.
    const sockets: { socket: Socket; lastEventId: string | undefined }[] = [];
    const onRequest = (req: { url?: string; socket: Socket; headers: Record<string, unknown> }) => {
      if (req.url?.includes(`/sessions/${sessionId}/events`))
        sockets.push({ socket: req.socket, lastEventId: req.headers['last-event-id'] as string });
    };
    h.t.app.server.on('request', onRequest);
    const dispatcher: Dispatcher = new Agent().compose(
      (dispatch) => (opts, handler) =>
        dispatch(
          {
            ...opts,
            headers: {
              ...(opts.headers as Record<string, string>),
              'x-fastn-api-key': key(),
            },
          },
          handler,
        ),
    );

    const seen: Stored[] = [];
    /** Sends a message, drops that answer after its first event, follows with an EventSource. */
    const turn = async (message: Record<string, unknown>, dropAfter: number | null) => {
      const abort = new AbortController();
      const posted = await api(`/sessions/${sessionId}/messages`, {
        method: 'POST',
        body: message,
        signal: abort.signal,
      });
      expect(posted.status).toBe(200);
      expect(posted.headers.get('content-type')).toContain('text/event-stream');
      const reader = posted.body!.getReader();
      let text = '';
      while (!/id: \d+\n[\s\S]*?\n\n/.test(text.replace(/^retry: \d+\n\n/, '')))
        text += new TextDecoder().decode((await reader.read()).value);
      const first = /id: (\d+)\nevent: \w+\ndata: (.*)\n\n/.exec(text)!;
      seen.push({ seq: Number(first[1]), event: JSON.parse(first[2]!) as Wire });
      abort.abort();

      const connectionsBefore = sockets.length;
      const source = new EventSource(
        `${h.weftUrl}/api/v1/assistant/sessions/${sessionId}/events?after=${first[1]}`,
        { dispatcher },
      );
      const events: Wire[] = [];
      let dropped = false;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no done event')), 150_000);
        const types = [
          'user',
          'text_delta',
          'tool_activity',
          'step',
          'choices',
          'handback',
          'form',
          'mapping_review',
          'test_cases',
          'checklist',
          'turn_error',
          'done',
        ];
        for (const type of types)
          source.addEventListener(type, (raw) => {
            const e = raw as MessageEvent;
            const event = JSON.parse(e.data as string) as Wire;
            seen.push({ seq: Number(e.lastEventId), event });
            events.push(event);
            if (dropAfter !== null && !dropped && events.length === dropAfter) {
              dropped = true;
              sockets.at(-1)?.socket.destroy();
            }
            if (type === 'done') {
              clearTimeout(timer);
              resolve();
            }
          });
      });
      source.close();
      if (dropAfter !== null) {
        // The browser-standard client reconnected on its own, naming the last id it had.
        expect(sockets.length).toBeGreaterThan(connectionsBefore + 1);
        expect(Number(sockets.at(-1)?.lastEventId)).toBeGreaterThanOrEqual(Number(first[1]) + 1);
      }
      return events;
    };

    let events = await turn({ text: USE_CASE }, null);
    const answers = (): Record<string, unknown> | null => {
      const form = events.findLast((e) => e.type === 'form');
      if (form === undefined) return null;
      const id = String(form['id']);
      if (id === 'spec:shop')
        return { form: id, values: { specUrl: `${h.apps.shopUrl}/openapi.json` } };
      if (id === 'spec:crm')
        return { form: id, values: { specUrl: `${h.apps.crmUrl}/openapi.json` } };
      if (id === 'credentials:shop') return { form: id, values: { apiKey: h.apps.shopKey } };
      if (id === 'credentials:crm') return { form: id, values: { token: h.apps.crmToken } };
      return null;
    };
    for (let next = answers(); next !== null; next = answers()) {
      // The last form's answer runs the Workflow Agent's plan: the long turn, dropped mid-way.
      const last = next['form'] === 'credentials:crm';
      events = await turn(next, last ? 3 : null);
    }
    expect(events.some((e) => e.type === 'mapping_review')).toBe(true);
    expect(events.find((e) => e.type === 'handback')).toMatchObject({
      stage: 'mapping',
      options: ['Approve mappings', 'Change a mapping'],
    });
    h.t.app.server.off('request', onRequest);

    // Every stored event seen once, in order, as stored.
    const detail = (await (await api(`/sessions/${sessionId}`)).json()) as {
      events: Stored[];
      state: { step: string };
      lastSeq: number;
    };
    expect(seen.map((s) => s.seq)).toEqual(detail.events.map((e) => e.seq));
    expect(detail.events.map((e) => e.seq)).toEqual(
      Array.from({ length: detail.lastSeq }, (_, i) => i + 1),
    );
    expect(seen.map((s) => s.event)).toEqual(detail.events.map((e) => e.event));
    expect(detail.state.step).toBe('integration');
    // A finished session: the follow-up answers 204, so an EventSource stops reconnecting.
    const idle = await api(`/sessions/${sessionId}/events?after=${detail.lastSeq}`);
    expect(idle.status).toBe(204);

    // The credentials reached the connections, never the session.
    const userForms = detail.events.filter(
      (e) => e.event.type === 'user' && String(e.event['form']).startsWith('credentials:'),
    );
    expect(userForms.map((e) => e.event['values'])).toEqual([
      { apiKey: '****' },
      { token: '****' },
    ]);
    const stored = await h.t.database.db.owner((sql) =>
      sql.query<{ text: string }>(
        `SELECT event::text AS text FROM assistant_events
         UNION ALL SELECT state::text FROM assistant_sessions`,
      ),
    );
    expect(stored.length).toBeGreaterThan(10);
    for (const row of stored) {
      expect(row.text).not.toContain(h.apps.shopKey);
      expect(row.text).not.toContain(h.apps.crmToken);
    }
    const listed = (await (await api('/sessions')).json()) as { data: { id: string }[] };
    expect(listed.data.map((s) => s.id)).toContain(sessionId);
  }, 400_000);

  it('a key pasted into the chat instead of a form is stored nowhere', async () => {
    const pasted = 'sk_live_9f8e7d6c5b4a3f2e1d0c';
    const created = await api('/sessions', { method: 'POST' });
    expect(created.status).toBe(201);
    const { sessionId: id } = (await created.json()) as { sessionId: string };
    const posted = await api(`/sessions/${id}/messages`, {
      method: 'POST',
      body: { text: `my shop key is ${pasted}, set it up` },
    });
    expect(posted.status).toBe(200);
    const streamed = await posted.text();
    expect(streamed).toContain('event: done');
    expect(streamed).not.toContain(pasted);
    const detail = (await (await api(`/sessions/${id}`)).json()) as { events: Stored[] };
    const typed = detail.events.find((e) => e.event.type === 'user');
    expect(typed?.event['text']).toBe('my shop key is ****, set it up');
    const stored = await h.t.database.db.owner((sql) =>
      sql.query<{ text: string }>(
        `SELECT event::text AS text FROM assistant_events WHERE session_id = $1
         UNION ALL SELECT state::text FROM assistant_sessions WHERE id = $1`,
        [id],
      ),
    );
    expect(stored.length).toBeGreaterThan(1);
    for (const row of stored) expect(row.text).not.toContain(pasted);
  }, 120_000);

  it("audits the assistant's writes as the agent on behalf of the key's user", async () => {
    const res = await fetch(`${h.weftUrl}/api/v1/audit-log?limit=200`, {
      headers: { 'x-fastn-api-key': key() },
    });
    const { data } = (await res.json()) as {
      data: {
        actorType: string;
        actorId: string | null;
        actorLabel: string | null;
        actorUserId: string | null;
        action: string;
      }[];
    };
    const liveKeyId = h.org.keys.find((k) => k.kind === 'live')?.id;
    // Every write after the org was seeded, but the sessions the person created, is the agent's,
    // with the person's key, on the person's behalf.
    const seeded = (e: (typeof data)[number]) =>
      e.actorType === 'cli' && ['organization.create', 'api_key.create'].includes(e.action);
    const byAssistant = data.filter((e) => !seeded(e) && e.action !== 'assistant_session.create');
    const actions = new Set(byAssistant.map((e) => e.action));
    for (const action of ['connector.import', 'connection.create', 'customer.create'])
      expect([...actions].some((a) => a.startsWith(action.split('.')[0]!))).toBe(true);
    expect(byAssistant.length).toBeGreaterThan(5);
    expect(
      byAssistant.map(
        (e) => `${e.action}: ${e.actorType} ${e.actorLabel} ${e.actorId} ${e.actorUserId}`,
      ),
    ).toEqual(
      byAssistant.map(
        (e) => `${e.action}: agent weft-setup-assistant ${liveKeyId} ${h.org.owner.id}`,
      ),
    );
    // The session itself was created by the user, not the agent.
    const sessionCreate = data.find((e) => e.action === 'assistant_session.create');
    expect(sessionCreate?.actorType).not.toBe('agent');
    expect(sessionCreate?.actorId).toBe(liveKeyId);
  });
});
