// A fake Anthropic Messages server on loopback: POST /v1/messages answering scripted turns as
// JSON or as the real event stream (message_start, content_block_start/delta with text_delta and
// input_json_delta, content_block_stop, message_delta with usage, message_stop), Anthropic-shaped
// errors, and the checks the real API makes: the API key and anthropic-version headers, max_tokens,
// alternating user/assistant turns, and every tool_use answered by a tool_result in the next
// user turn.
import {
  argumentsText,
  DEFAULT_USAGE,
  sendJson,
  sendSse,
  split,
  startFakeServer,
  type FakeLlmServer,
  type FakeTurn,
  type RecordedLlmRequest,
} from './script.ts';

export interface FakeAnthropicOptions {
  readonly turns?: readonly (FakeTurn | ((body: Record<string, unknown>) => FakeTurn))[];
  /** When set, requests must carry `x-api-key: <apiKey>`. */
  readonly apiKey?: string;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** Point the SDK at `server.url` (it appends /v1/messages). */
export function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeLlmServer> {
  return startFakeServer({
    path: '/v1/messages',
    turns: options.turns ?? [],
    validate: (request) => validate(request, options.apiKey),
    fail: ({ res, status, message, headers }) => {
      sendJson(
        res,
        status,
        { type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message } },
        headers,
      );
    },
    answer: ({ turn, body, res }) => {
      const model = turn.model ?? String(body.model);
      const usage = turn.usage ?? DEFAULT_USAGE;
      const id = `msg_${Math.random().toString(36).slice(2, 10)}`;
      const text = turn.refusal ?? turn.text ?? '';
      const calls = (turn.toolCalls ?? []).map((call, index) => ({
        id: call.id ?? `toolu_${index}_${Math.random().toString(36).slice(2, 8)}`,
        name: call.name,
        args: argumentsText(call),
        raw: call.arguments,
      }));
      const stopReason =
        turn.refusal !== undefined ? 'refusal' : calls.length > 0 ? 'tool_use' : 'end_turn';
      if (body.stream !== true) {
        const content: unknown[] = [];
        if (text !== '') content.push({ type: 'text', text });
        for (const call of calls) {
          content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.raw });
        }
        sendJson(res, 200, {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content,
          stop_reason: stopReason,
          stop_sequence: null,
          usage: { input_tokens: usage.input, output_tokens: usage.output },
        });
        return;
      }
      const pieces = turn.pieces ?? 3;
      const events: { event: string; data: unknown }[] = [
        {
          event: 'message_start',
          data: {
            type: 'message_start',
            message: {
              id,
              type: 'message',
              role: 'assistant',
              model,
              content: [],
              stop_reason: null,
              stop_sequence: null,
              usage: { input_tokens: usage.input, output_tokens: 1 },
            },
          },
        },
      ];
      let index = 0;
      if (text !== '') {
        events.push({
          event: 'content_block_start',
          data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
        });
        for (const piece of split(text, pieces)) {
          events.push({
            event: 'content_block_delta',
            data: {
              type: 'content_block_delta',
              index,
              delta: { type: 'text_delta', text: piece },
            },
          });
        }
        events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
        index += 1;
      }
      for (const call of calls) {
        events.push({
          event: 'content_block_start',
          data: {
            type: 'content_block_start',
            index,
            content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
          },
        });
        for (const piece of split(call.args, pieces)) {
          events.push({
            event: 'content_block_delta',
            data: {
              type: 'content_block_delta',
              index,
              delta: { type: 'input_json_delta', partial_json: piece },
            },
          });
        }
        events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
        index += 1;
      }
      events.push(
        {
          event: 'message_delta',
          data: {
            type: 'message_delta',
            delta: { stop_reason: stopReason, stop_sequence: null },
            usage: { output_tokens: usage.output },
          },
        },
        { event: 'message_stop', data: { type: 'message_stop' } },
      );
      sendSse(res, events);
    },
  });
}

function validate(
  request: RecordedLlmRequest,
  apiKey: string | undefined,
): { status: number; message: string } | null {
  // The SDK sends the key as `Authorization: Bearer` (1.x) or `x-api-key` (earlier); both count.
  const bearer = request.headers.authorization;
  const key =
    request.headers['x-api-key'] ??
    (typeof bearer === 'string' ? bearer.replace(/^Bearer /, '') : undefined);
  if (apiKey !== undefined && key !== apiKey) {
    return { status: 401, message: 'invalid x-api-key' };
  }
  if (typeof request.headers['anthropic-version'] !== 'string') {
    return { status: 400, message: 'anthropic-version: header is required' };
  }
  const { body } = request;
  if (typeof body.model !== 'string' || body.model === '') {
    return { status: 400, message: 'model: Field required' };
  }
  if (typeof body.max_tokens !== 'number') {
    return { status: 400, message: 'max_tokens: Field required' };
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return { status: 400, message: 'messages: at least one message is required' };
  }
  let expected: 'user' | 'assistant' = 'user';
  let pending = new Set<string>();
  for (const [index, raw] of (body.messages as Record<string, unknown>[]).entries()) {
    if (raw.role !== expected) {
      return {
        status: 400,
        message: `messages.${index}: roles must alternate between "user" and "assistant", starting with "user"`,
      };
    }
    const blocks = Array.isArray(raw.content)
      ? (raw.content as Record<string, unknown>[])
      : [{ type: 'text', text: raw.content }];
    if (raw.role === 'user') {
      for (const block of blocks) {
        if (block.type !== 'tool_result') continue;
        const id = block.tool_use_id as string;
        if (!pending.has(id)) {
          return {
            status: 400,
            message: `messages.${index}: unexpected tool_use_id found in tool_result blocks: ${id}`,
          };
        }
        pending.delete(id);
      }
      if (pending.size > 0) {
        return {
          status: 400,
          message: `messages.${index}: tool_use ids were found without tool_result blocks immediately after: ${[...pending].join(', ')}`,
        };
      }
    } else {
      pending = new Set(blocks.filter((b) => b.type === 'tool_use').map((b) => b.id as string));
    }
    expected = expected === 'user' ? 'assistant' : 'user';
  }
  return null;
}
