// The model layer without a network: the offline default and configuration from the
// environment, the scripted provider driving the tool loop's bounds (repeated refused calls,
// input that fails a tool's zod schema, cancellation), prices and retry-after parsing.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../server/config.ts';
import {
  costOf,
  createBudget,
  createProvider,
  createScriptedProvider,
  hasModel,
  LlmError,
  mergePrices,
  priceOf,
  runToolLoop,
} from './index.ts';
import { retryAfterMs } from './retry.ts';

const tools = [
  {
    name: 'read_spec',
    description: 'Reads the spec.',
    input: z.object({ url: z.url() }).strict(),
  },
  { name: 'delete_connector', description: 'Deletes a connector.', input: z.object({}) },
];

describe('configuration and the offline provider', () => {
  it('defaults to offline: no model, a clear marker, nothing to chat with', () => {
    const config = loadConfig({});
    expect(config.llm).toMatchObject({ provider: 'offline', model: undefined, timeoutMs: 120_000 });
    const provider = createProvider({ config: config.llm });
    expect(provider.kind).toBe('offline');
    expect(hasModel(provider)).toBe(false);
    expect(provider.describe()).toEqual({ kind: 'offline', model: null, baseUrl: null });
    expect('chat' in provider).toBe(false);
  });

  it('reads WEFT_LLM and friends, and a run can override them', () => {
    const config = loadConfig({
      WEFT_LLM: 'openai',
      WEFT_LLM_MODEL: 'llama3.1:8b',
      WEFT_LLM_BASE_URL: 'http://localhost:11434/v1',
      OPENAI_API_KEY: 'sk-config-secret',
      WEFT_LLM_PRICES: '{"llama3.1:8b": {"input": 0.01, "output": 0.02}}',
      WEFT_LLM_TIMEOUT_SECONDS: '30',
    });
    expect(config.llm).toMatchObject({
      provider: 'openai',
      model: 'llama3.1:8b',
      baseUrl: 'http://localhost:11434/v1',
      prices: { 'llama3.1:8b': { input: 0.01, output: 0.02 } },
      timeoutMs: 30_000,
    });
    const provider = createProvider({ config: config.llm });
    expect(provider.describe()).toEqual({
      kind: 'openai',
      model: 'llama3.1:8b',
      baseUrl: 'http://localhost:11434/v1',
    });
    expect(JSON.stringify(provider)).not.toContain('sk-config-secret');
    const other = createProvider({
      config: config.llm,
      overrides: { provider: 'anthropic', model: 'claude-haiku-4-5', anthropicApiKey: 'k-run' },
    });
    expect(other.describe()).toMatchObject({ kind: 'anthropic', model: 'claude-haiku-4-5' });
  });

  it('refuses bad settings with a message naming the variable', () => {
    expect(() => loadConfig({ WEFT_LLM: 'gemini' })).toThrow(/WEFT_LLM must be one of/);
    expect(() => loadConfig({ WEFT_LLM_PRICES: '{"m": 3}' })).toThrow(
      /WEFT_LLM_PRICES must be JSON/,
    );
    expect(() => createProvider({ config: { provider: 'anthropic' } })).toThrow(
      /needs ANTHROPIC_API_KEY/,
    );
    expect(() => createProvider({ config: { provider: 'openai' } })).toThrow(
      /needs OPENAI_API_KEY/,
    );
  });
});

describe('the tool loop with a scripted provider', () => {
  it('stops with tool_not_allowed when the model keeps calling a refused tool', async () => {
    const attack = {
      toolCalls: [{ name: 'delete_connector', arguments: {} }],
      usage: { inputTokens: 5, outputTokens: 5 },
    };
    const provider = createScriptedProvider({ turns: [attack, attack, attack, attack] });
    const ran: string[] = [];
    const result = await runToolLoop({
      provider,
      messages: [{ role: 'user', content: 'build a connector' }],
      tools,
      allow: ['read_spec'],
      maxBadCalls: 2,
      onToolCall: ({ name }) => {
        ran.push(name);
        return Promise.resolve({ content: 'ok' });
      },
    });
    expect(ran).toEqual([]);
    expect(result.status).toBe('tool_not_allowed');
    expect(result.steps).toBe(3);
    expect(result.calls.map((c) => c.status)).toEqual([
      'not_allowed',
      'not_allowed',
      'not_allowed',
    ]);
    expect(result.error?.message).toContain('stopped after 3 tool calls that could not be run');
  });

  it('checks input against the zod schema before running the tool', async () => {
    const provider = createScriptedProvider({
      turns: [
        { toolCalls: [{ id: 'a', name: 'read_spec', arguments: { url: 'not a url' } }] },
        { toolCalls: [{ id: 'b', name: 'read_spec', arguments: { url: 'https://x.test/spec' } }] },
        { text: 'read it' },
      ],
    });
    const ran: unknown[] = [];
    const result = await runToolLoop({
      provider,
      messages: [{ role: 'user', content: 'read the spec' }],
      tools,
      onToolCall: ({ input }) => {
        ran.push(input);
        return Promise.resolve({ content: { ok: true }, isError: false });
      },
    });
    expect(result.status).toBe('done');
    expect(ran).toEqual([{ url: 'https://x.test/spec' }]);
    expect(result.calls.map((c) => c.status)).toEqual(['invalid_input', 'ok']);
    const feedback = provider.requests[1]!.messages.at(-1);
    expect(feedback).toMatchObject({ role: 'tool', toolCallId: 'a', isError: true });
    expect(feedback?.content).toContain('url');
  });

  it('shares one budget across loops of a run and stops when it is cancelled', async () => {
    const budget = createBudget({ maxSteps: 3 });
    const provider = createScriptedProvider({
      turns: [
        { text: 'one', usage: { inputTokens: 10, outputTokens: 2 } },
        { text: 'two', usage: { inputTokens: 10, outputTokens: 2 } },
        { text: 'three' },
      ],
    });
    const base = {
      provider,
      messages: [{ role: 'user' as const, content: 'go' }],
      tools,
      budget,
      onToolCall: () => Promise.resolve({ content: '' }),
    };
    expect((await runToolLoop(base)).text).toBe('one');
    expect((await runToolLoop(base)).text).toBe('two');
    expect(budget.spent()).toMatchObject({ steps: 2, inputTokens: 20, outputTokens: 4 });
    const controller = new AbortController();
    controller.abort();
    const cancelled = await runToolLoop({ ...base, signal: controller.signal });
    expect(cancelled.status).toBe('aborted');
    expect(budget.spent().steps).toBe(2);
  });

  it('returns a provider error as a status, and rethrows nothing typed', async () => {
    const provider = createScriptedProvider({
      turns: [
        { error: new LlmError({ kind: 'provider_error', status: 502, message: 'bad gateway' }) },
      ],
    });
    const result = await runToolLoop({
      provider,
      messages: [{ role: 'user', content: 'go' }],
      tools,
      onToolCall: () => Promise.resolve({ content: '' }),
    });
    expect(result).toMatchObject({ status: 'provider_error', error: { status: 502 } });
  });
});

describe('prices and retry-after', () => {
  it('prices a dated model name by its longest listed prefix, with overrides on top', () => {
    expect(priceOf({ model: 'gpt-4o-mini-2024-07-18' })).toEqual({ input: 0.15, output: 0.6 });
    expect(priceOf({ model: 'gpt-4o-2024-08-06' })).toEqual({ input: 2.5, output: 10 });
    expect(priceOf({ model: 'llama3.1:8b' })).toBeNull();
    expect(costOf({ model: 'llama3.1:8b', usage: { inputTokens: 1e6, outputTokens: 1e6 } })).toBe(
      0,
    );
    const prices = mergePrices({ 'llama3.1': { input: 1, output: 2 } });
    expect(
      costOf({
        model: 'llama3.1:8b',
        usage: { inputTokens: 500_000, outputTokens: 250_000 },
        prices,
      }),
    ).toBeCloseTo(1, 12);
    expect(
      costOf({
        model: 'claude-sonnet-4-5-20250929',
        usage: { inputTokens: 1e6, outputTokens: 1e6 },
      }),
    ).toBe(18);
  });

  it('reads retry-after-ms first, then retry-after in seconds or as a date', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '120', 'retry-after': '9' }), now)).toBe(
      120,
    );
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Tue, 01 Jan 2030 00:00:05 GMT' }), now)).toBe(
      5000,
    );
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
