// The LangChain adapter: any chat model that implements `bindTools` (a `BaseChatModel` from
// @langchain/core) takes the place of a configured provider, for callers who embed Weft's agents
// in their own code and already hold a model. Tools are bound in OpenAI function format, which
// every LangChain tool-calling model accepts; LangChain's `invalid_tool_calls` (arguments it
// could not parse) become malformed calls the loop reports back. Construct the model with
// `maxRetries: 0` so that our retry loop is the only one.
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import {
  AIMessage,
  AIMessageChunk,
  HumanMessage,
  SystemMessage,
  ToolMessage,
  type BaseMessage,
} from '@langchain/core/messages';
import { LlmError } from './errors.ts';
import { costOf, DEFAULT_PRICES, type PriceTable } from './prices.ts';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.ts';
import { inputJsonSchema, parseToolArguments } from './schema.ts';
import type {
  ChatRequest,
  ChatTurn,
  ModelProvider,
  StopReason,
  ToolCall,
  ToolChoice,
} from './types.ts';

export interface LangChainProviderOptions {
  readonly model: BaseChatModel;
  /** The name used for prices and reports (default: the model's own name or its type). */
  readonly modelName?: string;
  readonly prices?: PriceTable;
  readonly retry?: Partial<RetryPolicy>;
}

export function createLangChainProvider(options: LangChainProviderOptions): ModelProvider {
  const { model } = options;
  if (typeof model.bindTools !== 'function') {
    throw new LlmError({
      kind: 'provider_error',
      message: `the LangChain model ${model._llmType()} does not support tool calling (no bindTools)`,
    });
  }
  const name = options.modelName ?? modelNameOf(model);
  const prices = options.prices ?? DEFAULT_PRICES;
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  return {
    kind: 'langchain',
    model: name,
    describe: () => ({ kind: 'langchain', model: name, baseUrl: null }),
    chat: (request) =>
      withRetries({
        policy: retry,
        signal: request.signal,
        secrets: [],
        label: `LangChain model (${name})`,
        attempt: async (signal) => {
          const runnable =
            request.tools !== undefined && request.tools.length > 0 && request.toolChoice !== 'none'
              ? model.bindTools!(
                  request.tools.map((tool) => ({
                    type: 'function' as const,
                    function: {
                      name: tool.name,
                      description: tool.description,
                      parameters: inputJsonSchema(tool),
                    },
                  })),
                  request.toolChoice === undefined
                    ? {}
                    : { tool_choice: langChainToolChoice(request.toolChoice) },
                )
              : model;
          const messages = toLangChain(request);
          let message: BaseMessage;
          if (request.onText === undefined) {
            message = await runnable.invoke(messages, { signal });
          } else {
            let whole: AIMessageChunk | undefined;
            for await (const chunk of await runnable.stream(messages, { signal })) {
              const piece = chunk instanceof AIMessageChunk ? chunk : new AIMessageChunk(chunk);
              const delta = typeof piece.content === 'string' ? piece.content : textOf(piece);
              if (delta !== '') request.onText(delta);
              whole = whole === undefined ? piece : whole.concat(piece);
            }
            message = whole ?? new AIMessageChunk('');
          }
          return fromLangChain({ message, model: name, prices });
        },
      }),
  };
}

/** LangChain spells "must call a tool" `any` and a named tool as its bare name. */
function langChainToolChoice(choice: ToolChoice): string {
  if (choice === 'required') return 'any';
  return typeof choice === 'string' ? choice : choice.name;
}

function modelNameOf(model: BaseChatModel): string {
  const record = model as unknown as { model?: unknown; modelName?: unknown };
  if (typeof record.model === 'string') return record.model;
  if (typeof record.modelName === 'string') return record.modelName;
  return model._llmType();
}

function toLangChain(request: ChatRequest): BaseMessage[] {
  const out: BaseMessage[] = [];
  if (request.system !== undefined) out.push(new SystemMessage(request.system));
  for (const message of request.messages) {
    switch (message.role) {
      case 'user':
        out.push(new HumanMessage(message.content));
        break;
      case 'assistant':
        out.push(
          new AIMessage({
            content: message.content,
            tool_calls: (message.toolCalls ?? []).map((call) => ({
              id: call.id,
              name: call.name,
              args: (call.input ?? {}) as Record<string, unknown>,
              type: 'tool_call' as const,
            })),
          }),
        );
        break;
      case 'tool':
        out.push(
          new ToolMessage({
            content: message.content,
            tool_call_id: message.toolCallId,
            name: message.name,
            status: message.isError === true ? 'error' : 'success',
          }),
        );
        break;
    }
  }
  return out;
}

function textOf(message: BaseMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((part) =>
      typeof part === 'object' && part.type === 'text' && typeof part.text === 'string'
        ? part.text
        : '',
    )
    .join('');
}

function fromLangChain({
  message,
  model,
  prices,
}: {
  message: BaseMessage;
  model: string;
  prices: PriceTable;
}): ChatTurn {
  const ai = message as AIMessage;
  const calls: ToolCall[] = [];
  // A streamed message: LangChain parses merged argument chunks leniently (truncated JSON
  // becomes a partial object), so the raw text is parsed again, strictly.
  const chunks = message instanceof AIMessageChunk ? (message.tool_call_chunks ?? []) : [];
  for (const [index, chunk] of chunks.entries()) {
    const raw = chunk.args ?? '';
    const parsed = parseToolArguments(raw);
    calls.push({
      id: chunk.id ?? `call_${index}`,
      name: chunk.name ?? '',
      rawInput: raw,
      input: parsed.input,
      ...(parsed.malformed === undefined ? {} : { malformed: parsed.malformed }),
    });
  }
  const parsedCalls = chunks.length > 0 ? [] : (ai.tool_calls ?? []);
  const invalidCalls = chunks.length > 0 ? [] : (ai.invalid_tool_calls ?? []);
  for (const [index, call] of parsedCalls.entries()) {
    calls.push({
      id: call.id ?? `call_${index}`,
      name: call.name,
      input: call.args,
      rawInput: JSON.stringify(call.args),
    });
  }
  for (const [index, call] of invalidCalls.entries()) {
    const raw = call.args ?? '';
    calls.push({
      id: call.id ?? `invalid_${index}`,
      name: call.name ?? '',
      input: undefined,
      rawInput: raw,
      malformed:
        parseToolArguments(raw).malformed ?? call.error ?? 'the arguments could not be parsed',
    });
  }
  const counted = (
    ai as unknown as { usage_metadata?: { input_tokens?: number; output_tokens?: number } }
  ).usage_metadata;
  const usage = {
    inputTokens: counted?.input_tokens ?? 0,
    outputTokens: counted?.output_tokens ?? 0,
  };
  const metadata = ai.response_metadata as Record<string, unknown> | undefined;
  const refusalText = ai.additional_kwargs?.refusal;
  const finish = metadata?.finish_reason ?? metadata?.stop_reason;
  let stop: StopReason = 'end';
  if (typeof refusalText === 'string' || finish === 'content_filter' || finish === 'refusal') {
    stop = 'refusal';
  } else if (calls.length > 0) stop = 'tool_calls';
  else if (finish === 'length' || finish === 'max_tokens') stop = 'max_tokens';
  const text = textOf(ai);
  return {
    text,
    toolCalls: calls,
    stopReason: stop,
    ...(stop === 'refusal'
      ? { refusal: typeof refusalText === 'string' ? refusalText : text || 'the model refused' }
      : {}),
    usage,
    model,
    costUsd: costOf({ model, usage, prices }),
  };
}
