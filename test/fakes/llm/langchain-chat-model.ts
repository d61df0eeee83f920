// A LangChain chat model that talks to an OpenAI-compatible server over HTTP, for testing the
// LangChain adapter end to end against the fake OpenAI server (@langchain/openai is not a
// dependency). It is a plain `BaseChatModel` subclass with `bindTools`, `_generate` and
// `_streamResponseChunks`, as any LangChain provider package implements them, so the adapter is
// exercised through LangChain's own message classes, tool binding and chunk merging.
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BaseChatModelParams,
  type BindToolsInput,
} from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';

interface CallOptions extends BaseChatModelCallOptions {
  tools?: BindToolsInput[];
}

export class HttpOpenAiChatModel extends BaseChatModel<CallOptions> {
  readonly model: string;
  private readonly client: OpenAI;

  constructor(fields: { baseURL: string; apiKey: string; model: string } & BaseChatModelParams) {
    super({ ...fields, maxRetries: 0 });
    this.model = fields.model;
    this.client = new OpenAI({ baseURL: fields.baseURL, apiKey: fields.apiKey, maxRetries: 0 });
  }

  _llmType(): string {
    return 'http-openai-test';
  }

  override bindTools(
    tools: BindToolsInput[],
    kwargs?: Partial<CallOptions>,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, CallOptions> {
    return this.withConfig({ tools, ...kwargs });
  }

  private body(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
  ): ChatCompletionCreateParamsBase {
    const body: ChatCompletionCreateParamsBase = {
      model: this.model,
      messages: messages.map(toOpenAi),
    };
    if (options.tools !== undefined && options.tools.length > 0) {
      body.tools = options.tools as NonNullable<ChatCompletionCreateParamsBase['tools']>;
      const choice = options.tool_choice;
      if (choice === 'any') body.tool_choice = 'required';
      else if (choice === 'auto' || choice === 'none') body.tool_choice = choice;
      else if (typeof choice === 'string') {
        body.tool_choice = { type: 'function', function: { name: choice } };
      }
    }
    return body;
  }

  async _generate(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
  ): Promise<ChatResult> {
    const response = await this.client.chat.completions.create(
      { ...this.body(messages, options), stream: false },
      { ...(options.signal === undefined ? {} : { signal: options.signal }) },
    );
    const choice = response.choices[0]!;
    const toolCalls: {
      id: string;
      name: string;
      args: Record<string, unknown>;
      type: 'tool_call';
    }[] = [];
    const invalid: {
      id: string;
      name: string;
      args: string;
      error: string;
      type: 'invalid_tool_call';
    }[] = [];
    for (const call of choice.message.tool_calls ?? []) {
      if (call.type !== 'function') continue;
      try {
        toolCalls.push({
          id: call.id,
          name: call.function.name,
          args: JSON.parse(call.function.arguments) as Record<string, unknown>,
          type: 'tool_call',
        });
      } catch (error) {
        invalid.push({
          id: call.id,
          name: call.function.name,
          args: call.function.arguments,
          error: (error as Error).message,
          type: 'invalid_tool_call',
        });
      }
    }
    // LangChain's field types resolve usage_metadata to never for the default structure.
    const message = new AIMessage({
      content: choice.message.content ?? '',
      tool_calls: toolCalls,
      invalid_tool_calls: invalid,
      additional_kwargs: choice.message.refusal ? { refusal: choice.message.refusal } : {},
      response_metadata: { finish_reason: choice.finish_reason, model_name: response.model },
      usage_metadata: {
        input_tokens: response.usage?.prompt_tokens ?? 0,
        output_tokens: response.usage?.completion_tokens ?? 0,
        total_tokens: response.usage?.total_tokens ?? 0,
      },
    } as unknown as ConstructorParameters<typeof AIMessage>[0]);
    return { generations: [{ text: message.text, message }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
  ): AsyncGenerator<ChatGenerationChunk> {
    const stream = await this.client.chat.completions.create(
      { ...this.body(messages, options), stream: true, stream_options: { include_usage: true } },
      { ...(options.signal === undefined ? {} : { signal: options.signal }) },
    );
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      const message = new AIMessageChunk({
        content: delta?.content ?? '',
        tool_call_chunks: (delta?.tool_calls ?? []).map((call) => ({
          index: call.index,
          ...(call.id === undefined ? {} : { id: call.id }),
          ...(call.function?.name === undefined ? {} : { name: call.function.name }),
          args: call.function?.arguments ?? '',
          type: 'tool_call_chunk' as const,
        })),
        ...(chunk.usage
          ? {
              usage_metadata: {
                input_tokens: chunk.usage.prompt_tokens,
                output_tokens: chunk.usage.completion_tokens,
                total_tokens: chunk.usage.total_tokens,
              },
            }
          : {}),
        ...(chunk.choices[0]?.finish_reason
          ? { response_metadata: { finish_reason: chunk.choices[0].finish_reason } }
          : {}),
      } as unknown as ConstructorParameters<typeof AIMessageChunk>[0]);
      yield new ChatGenerationChunk({
        text: typeof message.content === 'string' ? message.content : '',
        message,
      });
    }
  }
}

function toOpenAi(message: BaseMessage): ChatCompletionMessageParam {
  const text =
    typeof message.content === 'string' ? message.content : JSON.stringify(message.content);
  switch (message.type) {
    case 'system':
      return { role: 'system', content: text };
    case 'human':
      return { role: 'user', content: text };
    case 'ai': {
      const calls = (message as AIMessage).tool_calls ?? [];
      return {
        role: 'assistant',
        content: text === '' ? null : text,
        ...(calls.length > 0
          ? {
              tool_calls: calls.map((call) => ({
                id: call.id ?? '',
                type: 'function' as const,
                function: { name: call.name, arguments: JSON.stringify(call.args) },
              })),
            }
          : {}),
      };
    }
    case 'tool':
      return {
        role: 'tool',
        tool_call_id: (message as unknown as { tool_call_id: string }).tool_call_id,
        content: text,
      };
    default:
      throw new Error(`unsupported message type ${message.type}`);
  }
}
