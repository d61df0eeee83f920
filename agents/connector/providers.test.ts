// The Connector Agent driven by the real model clients — the `openai` SDK, the
// `@anthropic-ai/sdk` and a LangChain chat model — against local fake servers that speak each
// provider's HTTP API (streamed or not), over the real admin MCP server and a docs-only API on
// loopback. The scripted model makes the mistakes real models make: malformed tool-call JSON, a
// tool that does not exist, a 429 with retry-after, a refusal. Each is handled, reported, and the
// run still ends with a working connector and nothing half-written.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLangChainProvider,
  createProvider,
  hasModel,
  type ModelProvider,
} from '../llm/index.ts';
import { createMemoryJournal } from '../runs/memory-journal.ts';
import { startAgentHarness, type AgentHarness } from '../../test/agent-harness.ts';
import { startDocsOnlyApi, type DocsOnlyApi } from '../../test/fixtures/docs-only-api.ts';
import { startFakeAnthropic } from '../../test/fakes/llm/anthropic-server.ts';
import { HttpOpenAiChatModel } from '../../test/fakes/llm/langchain-chat-model.ts';
import { startFakeOpenAi } from '../../test/fakes/llm/openai-server.ts';
import type { FakeLlmServer, FakeTurn } from '../../test/fakes/llm/script.ts';
import { runConnectorAgent } from './index.ts';

const KEY = 'sk-test-provider-key';
const FAST = { maxAttempts: 2, maxDelayMs: 2_000 };
const TIMEOUT_MS = 1_500;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

type Body = Record<string, unknown>;

/** The step a request belongs to (from its system prompt) and how many tool results it carries. */
function readRequest(body: Body): { step: string; toolResults: number } {
  const messages = (body['messages'] ?? []) as { role: string; content: unknown }[];
  const systemText =
    typeof body['system'] === 'string'
      ? body['system']
      : Array.isArray(body['system'])
        ? JSON.stringify(body['system'])
        : JSON.stringify(messages.find((m) => m.role === 'system')?.content ?? '');
  const step = /the (\w+) step of Weft's Connector Agent/.exec(systemText)?.[1] ?? 'other';
  const toolResults = messages.reduce(
    (n, m) =>
      n +
      (m.role === 'tool'
        ? 1
        : Array.isArray(m.content)
          ? (m.content as { type?: string }[]).filter((b) => b.type === 'tool_result').length
          : 0),
    0,
  );
  return { step, toolResults };
}

/**
 * The script: in discover, a malformed call, then a good read_docs, then an answer; in build, a
 * tool that does not exist, then a probe of the live API, then an answer; a refusal in map; a
 * model that never answers in events (timeout); plain answers elsewhere. One 429 (retry-after 0) comes before the first build turn.
 */
function script(site: DocsOnlyApi): (body: Body) => FakeTurn {
  let rateLimited = false;
  return (body) => {
    const { step, toolResults } = readRequest(body);
    if (step === 'discover') {
      if (toolResults === 0) return { toolCalls: [{ name: 'read_docs', arguments: '{"url": ' }] };
      if (toolResults === 1) {
        return { toolCalls: [{ name: 'read_docs', arguments: { url: site.docsUrl } }] };
      }
      return { text: JSON.stringify({ kind: 'docs', url: site.docsUrl }) };
    }
    if (step === 'build') {
      if (!rateLimited) {
        rateLimited = true;
        return { status: 429, retryAfter: '0', message: 'slow down' };
      }
      if (toolResults === 0) return { toolCalls: [{ name: 'drop_database', arguments: {} }] };
      if (toolResults === 1) {
        return {
          toolCalls: [
            { name: 'probe_endpoint', arguments: { baseUrl: site.apiBase, path: '/tickets' } },
          ],
        };
      }
      return { text: 'the API wants the X-Brightdesk-Key header' };
    }
    if (step === 'map') return { refusal: 'I cannot help with that.' };
    if (step === 'events') return { hang: true };
    return { text: 'done' };
  };
}

interface ProviderCase {
  readonly name: string;
  start(turn: (body: Body) => FakeTurn): Promise<FakeLlmServer>;
  provider(server: FakeLlmServer): ModelProvider;
}

const repeat = (turn: (body: Body) => FakeTurn) => Array.from({ length: 80 }, () => turn);

const CASES: ProviderCase[] = [
  {
    name: 'openai',
    start: (turn) => startFakeOpenAi({ turns: repeat(turn), apiKey: KEY }),
    provider: (server) => {
      const provider = createProvider({
        config: {
          provider: 'openai',
          model: 'gpt-4o-mini',
          baseUrl: `${server.url}/v1`,
          openaiApiKey: KEY,
          timeoutMs: TIMEOUT_MS,
        },
        retry: FAST,
      });
      if (!hasModel(provider)) throw new Error('expected a model');
      return provider;
    },
  },
  {
    name: 'anthropic',
    start: (turn) => startFakeAnthropic({ turns: repeat(turn), apiKey: KEY }),
    provider: (server) => {
      const provider = createProvider({
        config: {
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          baseUrl: server.url,
          anthropicApiKey: KEY,
          timeoutMs: TIMEOUT_MS,
        },
        retry: FAST,
      });
      if (!hasModel(provider)) throw new Error('expected a model');
      return provider;
    },
  },
  {
    name: 'langchain',
    start: (turn) => startFakeOpenAi({ turns: repeat(turn), apiKey: KEY }),
    provider: (server) =>
      createLangChainProvider({
        model: new HttpOpenAiChatModel({
          baseURL: `${server.url}/v1`,
          apiKey: KEY,
          model: 'gpt-4o-mini',
        }),
        retry: { ...FAST, timeoutMs: TIMEOUT_MS },
      }),
  },
];

describe.each(CASES)('the Connector Agent through the $name client', (c) => {
  it('completes a full run; malformed calls, unknown tools, a 429, a refusal and a timeout are handled and reported', async () => {
    const site = await startDocsOnlyApi({});
    closers.push(() => site.close());
    const h: AgentHarness = await startAgentHarness({ allowlist: site.allowlist });
    closers.push(() => h.close());
    const server = await c.start(script(site));
    closers.push(() => server.close());

    const journal = createMemoryJournal();
    const report = await runConnectorAgent({
      client: h.client,
      provider: c.provider(server),
      journal,
      input: { source: site.docsUrl, credentials: { apiKey: site.apiKey } },
    });

    expect(report.status, report.message).toBe('completed');
    expect(report.connector?.auth).toEqual(['api_key (header X-Brightdesk-Key)']);
    expect(report.tests.find((t) => t.target === 'connection')?.failed).toBe(0);
    // Real turns went over HTTP with the key, and their tokens were counted.
    expect(server.requests.length).toBeGreaterThan(4);
    expect(report.usage.inputTokens).toBeGreaterThan(0);
    // The 429 was retried: the build step's first request was sent twice.
    const builds = server.requests.filter((r) => readRequest(r.body).step === 'build');
    expect(builds.length).toBeGreaterThanOrEqual(3);
    // The malformed arguments were reported back to the model as an error, then corrected.
    const afterMalformed = server.requests.find(
      (r) => readRequest(r.body).step === 'discover' && readRequest(r.body).toolResults === 1,
    );
    expect(JSON.stringify(afterMalformed?.body)).toMatch(/JSON|malformed|argument/i);
    // The unknown tool was never called and the model was told so.
    expect(journal.spans.some((s) => s.tool === 'drop_database' && s.status === 'ok')).toBe(false);
    // The refusal is in the report; the map step went on without the model.
    expect(report.notes.join('\n')).toMatch(/the model stopped in the map step \(refusal/);
    // So is the timeout of a model that never answered.
    expect(report.notes.join('\n')).toMatch(/the model stopped in the events step \(timeout/);
    // Nothing half-written: one connector, no duplicate actions.
    const listed = await h.client.callTool({ name: 'list_connectors', arguments: {} });
    expect((listed.structuredContent as { data: unknown[] }).data).toHaveLength(1);
    const actions = await h.client.callTool({
      name: 'list_actions',
      arguments: { connector: report.connector?.slug ?? '' },
    });
    const slugs = (actions.structuredContent as { data: { slug: string }[] }).data.map(
      (a) => a.slug,
    );
    expect(slugs.length).toBeGreaterThanOrEqual(5);
    expect(new Set(slugs).size).toBe(slugs.length);
  }, 240_000);
});
