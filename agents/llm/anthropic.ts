// The Anthropic adapter: the Messages API with `tool_use` blocks, over the official SDK. Tool
// results travel as `tool_result` blocks in the next user message, so consecutive tool and user
// messages are merged into one user turn (the API wants user and assistant to alternate). The
// stream is read event by event (not the SDK's MessageStream helper, which parses tool input
// itself and throws on broken JSON) so a malformed tool call is reported to the model instead.
import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  Message,
  MessageCreateParamsBase,
  RawMessageStreamEvent,
  ToolChoice as AnthropicToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import { costOf, type PriceTable } from './prices.ts';
import { withRetries, type RetryPolicy } from './retry.ts';
import { inputJsonSchema, parseToolArguments } from './schema.ts';
import type { ChatRequest, ChatTurn, ModelProvider, StopReason, ToolCall } from './types.ts';

export interface AnthropicProviderOptions {
  readonly model: string;
  readonly apiKey: string | undefined;
  readonly baseUrl: string | undefined;
  readonly prices: PriceTable;
  readonly retry: RetryPolicy;
}

const DEFAULT_MAX_TOKENS = 4096;

export function createAnthropicProvider(options: AnthropicProviderOptions): ModelProvider {
  const client = new Anthropic({
    // Explicit values (null included) keep the SDK from reading its own environment variables:
    // configuration comes from server/config.ts only.
    apiKey: options.apiKey ?? null,
    baseURL: options.baseUrl ?? 'https://api.anthropic.com',
    maxRetries: 0,
    timeout: options.retry.timeoutMs,
  });
  const label = `Anthropic (${options.model})`;
  return {
    kind: 'anthropic',
    model: options.model,
    describe: () => ({ kind: 'anthropic', model: options.model, baseUrl: options.baseUrl ?? null }),
    chat: (request) =>
      withRetries({
        policy: options.retry,
        signal: request.signal,
        secrets: [options.apiKey],
        label,
        attempt: (signal) =>
          request.onText === undefined
            ? complete({ client, request, signal, options })
            : stream({ client, request, signal, options, onText: request.onText }),
      }),
  };
}

type Turn = { role: 'user' | 'assistant'; content: ContentBlockParam[] };

function params(request: ChatRequest, model: string): MessageCreateParamsBase {
  const turns: Turn[] = [];
  const push = (role: Turn['role'], blocks: ContentBlockParam[]): void => {
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const message of request.messages) {
    switch (message.role) {
      case 'user':
        push('user', [{ type: 'text', text: message.content }]);
        break;
      case 'assistant': {
        const blocks: ContentBlockParam[] = [];
        if (message.content !== '') blocks.push({ type: 'text', text: message.content });
        for (const call of message.toolCalls ?? []) {
          // A malformed call is replayed with empty input: the API only takes an object.
          const input = (call.input ?? {}) as Record<string, unknown>;
          blocks.push({ type: 'tool_use', id: call.id, name: call.name, input });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [
          {
            type: 'tool_result',
            tool_use_id: message.toolCallId,
            content: message.content,
            ...(message.isError === true ? { is_error: true } : {}),
          },
        ]);
        break;
    }
  }
  const body: MessageCreateParamsBase = {
    model,
    max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages: turns,
  };
  if (request.system !== undefined) body.system = request.system;
  if (request.tools !== undefined && request.tools.length > 0 && request.toolChoice !== 'none') {
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: inputJsonSchema(tool) as { type: 'object' },
    }));
    if (request.toolChoice !== undefined) body.tool_choice = toolChoice(request.toolChoice);
  }
  // No temperature: current Claude models fix sampling, and the SDK no longer takes it.
  return body;
}

function toolChoice(choice: Exclude<ChatRequest['toolChoice'], undefined>): AnthropicToolChoice {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  return { type: 'tool', name: choice.name };
}

function stopReason(reason: string | null | undefined): StopReason {
  if (reason === 'tool_use') return 'tool_calls';
  if (reason === 'max_tokens' || reason === 'model_context_window_exceeded') return 'max_tokens';
  if (reason === 'refusal') return 'refusal';
  return 'end';
}

function finish({
  text,
  calls,
  reason,
  inputTokens,
  outputTokens,
  model,
  prices,
}: {
  text: string;
  calls: ToolCall[];
  reason: string | null | undefined;
  inputTokens: number;
  outputTokens: number;
  model: string;
  prices: PriceTable;
}): ChatTurn {
  const usage = { inputTokens, outputTokens };
  const stop = stopReason(reason);
  return {
    text,
    toolCalls: calls,
    stopReason: stop === 'end' && calls.length > 0 ? 'tool_calls' : stop,
    ...(stop === 'refusal' ? { refusal: text || 'the model declined to answer' } : {}),
    usage,
    model,
    costUsd: costOf({ model, usage, prices }),
  };
}

/** Input tokens as billed: fresh plus cache writes and reads. */
function inputTokensOf(usage: {
  input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}): number {
  return (
    (usage.input_tokens ?? 0) +
    (usage.cache_creation_input_tokens ?? 0) +
    (usage.cache_read_input_tokens ?? 0)
  );
}

async function complete({
  client,
  request,
  signal,
  options,
}: {
  client: Anthropic;
  request: ChatRequest;
  signal: AbortSignal;
  options: AnthropicProviderOptions;
}): Promise<ChatTurn> {
  const message: Message = await client.messages.create(
    { ...params(request, options.model), stream: false },
    { signal },
  );
  let text = '';
  const calls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'tool_use') {
      const rawInput = JSON.stringify(block.input ?? {});
      const malformed =
        typeof block.input !== 'object' || block.input === null || Array.isArray(block.input)
          ? parseToolArguments(typeof block.input === 'string' ? block.input : rawInput).malformed
          : undefined;
      calls.push({
        id: block.id,
        name: block.name,
        rawInput,
        input: malformed === undefined ? block.input : undefined,
        ...(malformed === undefined ? {} : { malformed }),
      });
    }
  }
  return finish({
    text,
    calls,
    reason: message.stop_reason,
    inputTokens: inputTokensOf(message.usage),
    outputTokens: message.usage.output_tokens,
    model: message.model || options.model,
    prices: options.prices,
  });
}

async function stream({
  client,
  request,
  signal,
  options,
  onText,
}: {
  client: Anthropic;
  request: ChatRequest;
  signal: AbortSignal;
  options: AnthropicProviderOptions;
  onText: (delta: string) => void;
}): Promise<ChatTurn> {
  const events = await client.messages.create(
    { ...params(request, options.model), stream: true },
    { signal },
  );
  let text = '';
  let reason: string | null | undefined;
  let model = options.model;
  let inputTokens = 0;
  let outputTokens = 0;
  const blocks = new Map<number, { id: string; name: string; json: string }>();
  for await (const event of events as AsyncIterable<RawMessageStreamEvent>) {
    switch (event.type) {
      case 'message_start':
        model = event.message.model || model;
        inputTokens = inputTokensOf(event.message.usage);
        outputTokens = event.message.usage.output_tokens;
        break;
      case 'content_block_start':
        if (event.content_block.type === 'tool_use') {
          blocks.set(event.index, {
            id: event.content_block.id,
            name: event.content_block.name,
            json: '',
          });
        } else if (event.content_block.type === 'text' && event.content_block.text !== '') {
          text += event.content_block.text;
          onText(event.content_block.text);
        }
        break;
      case 'content_block_delta':
        if (event.delta.type === 'text_delta') {
          text += event.delta.text;
          onText(event.delta.text);
        } else if (event.delta.type === 'input_json_delta') {
          const block = blocks.get(event.index);
          if (block !== undefined) block.json += event.delta.partial_json;
        }
        break;
      case 'message_delta':
        reason = event.delta.stop_reason ?? reason;
        // Cumulative counts; input appears here only when the server revises it.
        if (event.usage.input_tokens != null) inputTokens = inputTokensOf(event.usage);
        outputTokens = event.usage.output_tokens;
        break;
      case 'content_block_stop':
      case 'message_stop':
        break;
    }
  }
  const calls = [...blocks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, block]): ToolCall => {
      const parsed = parseToolArguments(block.json);
      return {
        id: block.id,
        name: block.name,
        rawInput: block.json === '' ? '{}' : block.json,
        input: parsed.input,
        ...(parsed.malformed === undefined ? {} : { malformed: parsed.malformed }),
      };
    });
  return finish({
    text,
    calls,
    reason,
    inputTokens,
    outputTokens,
    model,
    prices: options.prices,
  });
}
