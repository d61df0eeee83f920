// The OpenAI adapter: Chat Completions with function tools, over the official SDK. Chat
// Completions (not the Responses API) because it is what OpenAI-compatible servers speak
// (Ollama, vLLM, LM Studio, llama.cpp), so WEFT_LLM_BASE_URL reaches all of them. Streams are
// read raw (not the SDK's stream helper) so broken tool-call JSON is ours to report to the model
// rather than an exception. The base URL is operator configuration, not user input, so the SDK's
// own HTTP client is used rather than the SSRF-guarded one (which would refuse a local Ollama).
import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import { costOf, type PriceTable } from './prices.ts';
import { withRetries, type RetryPolicy } from './retry.ts';
import { inputJsonSchema, parseToolArguments } from './schema.ts';
import type {
  ChatRequest,
  ChatTurn,
  ModelProvider,
  StopReason,
  ToolCall,
  ToolChoice,
} from './types.ts';

export interface OpenAiProviderOptions {
  readonly model: string;
  readonly apiKey: string | undefined;
  readonly baseUrl: string | undefined;
  readonly prices: PriceTable;
  readonly retry: RetryPolicy;
}

export function createOpenAiProvider(options: OpenAiProviderOptions): ModelProvider {
  // Held in this closure only: the provider object never carries the key.
  const client = new OpenAI({
    // Local OpenAI-compatible servers take no key; the SDK insists on one.
    apiKey: options.apiKey ?? 'not-needed',
    // Explicit values keep the SDK from reading OPENAI_BASE_URL, OPENAI_ORG_ID and
    // OPENAI_PROJECT_ID itself: configuration comes from server/config.ts only.
    baseURL: options.baseUrl ?? 'https://api.openai.com/v1',
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: options.retry.timeoutMs,
  });
  const label = `OpenAI (${options.model})`;

  return {
    kind: 'openai',
    model: options.model,
    describe: () => ({ kind: 'openai', model: options.model, baseUrl: options.baseUrl ?? null }),
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

function params(request: ChatRequest, model: string): ChatCompletionCreateParamsBase {
  const messages: ChatCompletionMessageParam[] = [];
  if (request.system !== undefined) messages.push({ role: 'system', content: request.system });
  for (const message of request.messages) {
    switch (message.role) {
      case 'user':
        messages.push({ role: 'user', content: message.content });
        break;
      case 'assistant':
        messages.push({
          role: 'assistant',
          content: message.content === '' ? null : message.content,
          ...(message.toolCalls !== undefined && message.toolCalls.length > 0
            ? {
                tool_calls: message.toolCalls.map((call) => ({
                  id: call.id,
                  type: 'function' as const,
                  function: { name: call.name, arguments: call.rawInput },
                })),
              }
            : {}),
        });
        break;
      case 'tool':
        messages.push({ role: 'tool', tool_call_id: message.toolCallId, content: message.content });
        break;
    }
  }
  const body: ChatCompletionCreateParamsBase = { model, messages };
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        description: tool.description,
        parameters: inputJsonSchema(tool),
      },
    }));
    if (request.toolChoice !== undefined) body.tool_choice = toolChoice(request.toolChoice);
  }
  if (request.maxTokens !== undefined) body.max_completion_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  return body;
}

function toolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === 'string'
    ? choice
    : { type: 'function', function: { name: choice.name } };
}

function stopReason(finish: string | null | undefined, refusal: string | undefined): StopReason {
  if (refusal !== undefined || finish === 'content_filter') return 'refusal';
  if (finish === 'length') return 'max_tokens';
  if (finish === 'tool_calls' || finish === 'function_call') return 'tool_calls';
  return 'end';
}

function toolCall(id: string, name: string, raw: string): ToolCall {
  const parsed = parseToolArguments(raw);
  return {
    id,
    name,
    rawInput: raw,
    input: parsed.input,
    ...(parsed.malformed === undefined ? {} : { malformed: parsed.malformed }),
  };
}

function turn({
  text,
  calls,
  finish,
  refusal,
  inputTokens,
  outputTokens,
  model,
  prices,
}: {
  text: string;
  calls: ToolCall[];
  finish: string | null | undefined;
  refusal: string | undefined;
  inputTokens: number;
  outputTokens: number;
  model: string;
  prices: PriceTable;
}): ChatTurn {
  const usage = { inputTokens, outputTokens };
  let reason = stopReason(finish, refusal);
  if (reason === 'end' && calls.length > 0) reason = 'tool_calls';
  return {
    text,
    toolCalls: calls,
    stopReason: reason,
    ...(reason === 'refusal'
      ? { refusal: refusal ?? 'the provider filtered the answer (content_filter)' }
      : {}),
    usage,
    model,
    costUsd: costOf({ model, usage, prices }),
  };
}

async function complete({
  client,
  request,
  signal,
  options,
}: {
  client: OpenAI;
  request: ChatRequest;
  signal: AbortSignal;
  options: OpenAiProviderOptions;
}): Promise<ChatTurn> {
  const response = await client.chat.completions.create(
    { ...params(request, options.model), stream: false },
    { signal },
  );
  const choice = response.choices[0];
  const message = choice?.message;
  const calls = (message?.tool_calls ?? []).flatMap((call) =>
    call.type === 'function'
      ? [toolCall(call.id, call.function.name, call.function.arguments)]
      : [],
  );
  return turn({
    text: message?.content ?? '',
    calls,
    finish: choice?.finish_reason,
    refusal: message?.refusal ?? undefined,
    inputTokens: response.usage?.prompt_tokens ?? 0,
    outputTokens: response.usage?.completion_tokens ?? 0,
    model: response.model || options.model,
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
  client: OpenAI;
  request: ChatRequest;
  signal: AbortSignal;
  options: OpenAiProviderOptions;
  onText: (delta: string) => void;
}): Promise<ChatTurn> {
  const chunks = await client.chat.completions.create(
    { ...params(request, options.model), stream: true, stream_options: { include_usage: true } },
    { signal },
  );
  let text = '';
  let refusal: string | undefined;
  let finish: string | null | undefined;
  let model = options.model;
  let inputTokens = 0;
  let outputTokens = 0;
  const partial = new Map<number, { id: string; name: string; args: string }>();
  for await (const chunk of chunks as AsyncIterable<ChatCompletionChunk>) {
    if (chunk.model) model = chunk.model;
    if (chunk.usage) {
      inputTokens = chunk.usage.prompt_tokens;
      outputTokens = chunk.usage.completion_tokens;
    }
    const choice = chunk.choices[0];
    if (choice === undefined) continue;
    if (choice.finish_reason) finish = choice.finish_reason;
    const delta = choice.delta;
    if (delta.content) {
      text += delta.content;
      onText(delta.content);
    }
    if (delta.refusal) refusal = (refusal ?? '') + delta.refusal;
    for (const call of delta.tool_calls ?? []) {
      const entry = partial.get(call.index) ?? { id: '', name: '', args: '' };
      if (call.id) entry.id = call.id;
      if (call.function?.name) entry.name += call.function.name;
      if (call.function?.arguments) entry.args += call.function.arguments;
      partial.set(call.index, entry);
    }
  }
  const calls = [...partial.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, entry]) => toolCall(entry.id || `call_${index}`, entry.name, entry.args));
  return turn({
    text,
    calls,
    finish,
    refusal,
    inputTokens,
    outputTokens,
    model,
    prices: options.prices,
  });
}
