// `weft assist`: the Setup Assistant in a terminal. Answers stream as they happen (text, each
// tool call as it finishes, step progress, the mapping review, test cases, the checklist);
// choices are numbered (type the number, or words), forms are asked field by field with secret
// fields not echoed. With WEFT_URL and WEFT_API_KEY it talks to that Weft over the HTTP API (the
// same Server-Sent Events a web chat reads); otherwise it runs embedded on the local store, as
// the operator of the org. `--session <id>` resumes a session: its history is shown briefly and
// the last question asked again.
import { Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { Config } from '../server/config.ts';
import type { AssistantEvent, AssistantMessage } from '../server/domain/assistant.ts';
import {
  createAssistantHub,
  createSession,
  followEvents,
  getSession,
  sendMessage,
} from '../server/modules/assistant/assistant.service.ts';
import { operatorContext } from '../server/modules/orgs/orgs.service.ts';
import { createSetupAssistant } from './assistant.ts';
import { createServices } from './services.ts';
import { openStore } from './store.ts';

interface Channel {
  create(): Promise<string>;
  history(sessionId: string): Promise<AssistantEvent[]>;
  send(sessionId: string, message: AssistantMessage): AsyncIterable<AssistantEvent>;
  close(): Promise<void>;
}

/** Parses a text/event-stream body into the events it carries. */
async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<AssistantEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: number | null = null;
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) id = Number(line.slice(4));
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (id !== null && data !== '')
        yield { seq: id, event: JSON.parse(data) as AssistantEvent['event'], createdAt: '' };
    }
  }
}

function httpChannel(url: string, apiKey: string): Channel {
  const base = `${url.replace(/\/$/, '')}/api/v1/assistant/sessions`;
  const headers = { 'x-fastn-api-key': apiKey, 'content-type': 'application/json' };
  const json = async <T>(response: Response): Promise<T> => {
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    async create() {
      return (
        await json<{ sessionId: string }>(
          await fetch(base, { method: 'POST', headers: { 'x-fastn-api-key': apiKey } }),
        )
      ).sessionId;
    },
    async history(sessionId) {
      return (
        await json<{ events: AssistantEvent[] }>(
          await fetch(`${base}/${sessionId}`, { headers: { 'x-fastn-api-key': apiKey } }),
        )
      ).events;
    },
    async *send(sessionId, message) {
      const response = await fetch(`${base}/${sessionId}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify(message),
      });
      if (!response.ok || response.body === null)
        throw new Error(`HTTP ${response.status}: ${await response.text()}`);
      yield* readSse(response.body);
    },
    close: () => Promise.resolve(),
  };
}

async function embeddedChannel(config: Config, logger: Logger, orgId?: string): Promise<Channel> {
  const store = await openStore({ config, logger });
  const services = await createServices({
    config,
    logger,
    db: store.db,
    keyring: store.keyring.keyring,
  });
  const { tenant } = await operatorContext({ db: store.db, orgId, actorLabel: 'cli:assist' });
  const db = store.db;
  const assistant = createSetupAssistant(services);
  const hub = createAssistantHub();
  return {
    create: async () => (await createSession({ db, tenant, assistant })).sessionId,
    history: async (id) => (await getSession({ db, tenant, id })).events,
    async *send(id, message) {
      const { afterSeq, turn } = await sendMessage({ db, tenant, assistant, hub, id, message });
      yield* followEvents({ db, tenant, hub, id, after: afterSeq, untilDone: true });
      await turn;
    },
    async close() {
      await services.close();
      await store.close();
    },
  };
}

type Prompt =
  | { kind: 'text' }
  | { kind: 'choices'; options: string[] }
  | {
      kind: 'form';
      id: string;
      title: string;
      fields: { name: string; label: string; secret: boolean }[];
    };

/** Prints one event; answers the question it asks, if any. */
function render(event: AssistantEvent['event'], out: (text: string) => void): Prompt | null {
  const e = event as Record<string, unknown> & { type: string };
  switch (e.type) {
    case 'text_delta':
      out(String(e['text']));
      return null;
    case 'tool_activity': {
      const summary = typeof e['summary'] === 'string' ? e['summary'] : '';
      if (e['status'] === 'ok') out(`  ✓ ${String(e['tool'])}\n`);
      else if (e['status'] === 'error') out(`  ✗ ${String(e['tool'])}: ${summary}\n`);
      return null;
    }
    case 'step':
      if (e['status'] === 'active') out(`\n== ${String(e['step']).replace('_', ' ')} ==\n`);
      return null;
    case 'mapping_review':
      for (const item of e['items'] as { target: string; words: string }[])
        out(`  ${item.target}: ${item.words}\n`);
      return null;
    case 'test_cases':
      for (const c of e['cases'] as {
        name: string;
        mode: string;
        passed: boolean;
        problems: string[];
      }[])
        out(
          `  [${c.mode}] ${c.name}: ${c.passed ? 'passed' : `FAILED ${c.problems.join('; ')}`}\n`,
        );
      return null;
    case 'checklist':
      for (const i of e['items'] as { label: string; ok: boolean; fix: string | null }[])
        out(`  [${i.ok ? 'x' : ' '}] ${i.label}${i.ok ? '' : ` — ${i.fix ?? ''}`}\n`);
      return null;
    case 'choices':
    case 'handback': {
      const options = e['options'] as string[];
      options.forEach((o, n) => out(`  ${n + 1}. ${o}\n`));
      return { kind: 'choices', options };
    }
    case 'form':
      return {
        kind: 'form',
        id: String(e['id']),
        title: String(e['title']),
        fields: e['fields'] as { name: string; label: string; secret: boolean }[],
      };
    case 'turn_error':
      out(`error: ${String(e['message'])}\n`);
      return null;
    default:
      return null;
  }
}

export async function assist({
  config,
  logger,
  session,
  org,
  out,
  input = process.stdin,
  output = process.stdout,
}: {
  config: Config;
  logger: Logger;
  session?: string;
  org?: string;
  out: (text: string) => void;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}): Promise<void> {
  const channel =
    config.weftUrl !== undefined
      ? httpChannel(config.weftUrl, config.weftApiKey ?? '')
      : await embeddedChannel(config, logger, org);
  // Secret fields: what the person types is not echoed.
  let muted = false;
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) output.write(chunk as Buffer);
      done();
    },
  });
  const rl = createInterface({
    input,
    output: echo,
    terminal: (input as { isTTY?: boolean }).isTTY === true,
  });
  // Lines are buffered by the iterator: piped input typed ahead of a question is not lost.
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (question: string, secret = false): Promise<string | null> => {
    out(question);
    muted = secret;
    try {
      const next = await lines.next();
      return next.done === true ? null : next.value;
    } finally {
      if (secret) out('\n');
      muted = false;
    }
  };
  try {
    let sessionId = session;
    let prompt: Prompt = { kind: 'text' };
    if (sessionId === undefined) {
      sessionId = await channel.create();
      out(
        `Setup Assistant (session ${sessionId}; resume with weft assist --session ${sessionId})\n`,
      );
      out('What is your product, and what do your customers want connected?\n');
    } else {
      const events = await channel.history(sessionId);
      const lastTurn = events.slice(events.findLastIndex((e) => e.event.type === 'user'));
      out(`Resuming session ${sessionId} (${events.length} events)\n`);
      for (const e of lastTurn)
        if (e.event.type !== 'user') prompt = render(e.event, out) ?? prompt;
    }
    for (;;) {
      let message: AssistantMessage;
      if (prompt.kind === 'form') {
        out(`${prompt.title}\n`);
        const values: Record<string, string> = {};
        for (const field of prompt.fields) {
          const answer = await ask(`  ${field.label}: `, field.secret);
          if (answer === null) return;
          values[field.name] = answer.trim();
        }
        message = { form: prompt.id, values };
      } else {
        const answer = await ask('> ');
        if (answer === null) return;
        const text = answer.trim();
        if (text === '') continue;
        if (/^(exit|quit)$/i.test(text)) return;
        const n = Number(text);
        message =
          prompt.kind === 'choices' && Number.isInteger(n) && prompt.options[n - 1] !== undefined
            ? { choice: prompt.options[n - 1]! }
            : prompt.kind === 'choices' && prompt.options.includes(text)
              ? { choice: text }
              : { text };
      }
      prompt = { kind: 'text' };
      let complete = false;
      for await (const { event } of channel.send(sessionId, message)) {
        prompt = render(event, out) ?? prompt;
        if (event.type === 'done') complete = event['complete'] === true;
      }
      if (complete) {
        out('setup complete\n');
        return;
      }
    }
  } finally {
    rl.close();
    await channel.close();
  }
}
