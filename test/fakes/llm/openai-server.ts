// A fake OpenAI Chat Completions server on loopback: POST /v1/chat/completions answering scripted
// turns as JSON or as an SSE stream (text deltas, tool_call deltas with arguments in pieces, a
// usage chunk when asked for), OpenAI-shaped errors, and the checks the real API makes on a
// conversation (every tool call answered by a tool message with its id, tool messages only
// after the call), so a client that feeds results back wrongly fails here as it would there.
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

export interface FakeOpenAiOptions {
  readonly turns?: readonly (FakeTurn | ((body: Record<string, unknown>) => FakeTurn))[];
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
}

/** Point the SDK at `${server.url}/v1`. */
export function startFakeOpenAi(options: FakeOpenAiOptions = {}): Promise<FakeLlmServer> {
  return startFakeServer({
    path: '/v1/chat/completions',
    turns: options.turns ?? [],
    validate: (request) => validate(request, options.apiKey),
    fail: ({ res, status, message, headers }) => {
      sendJson(
        res,
        status,
        {
          error: {
            message,
            type: status === 429 ? 'rate_limit_exceeded' : 'server_error',
            code: null,
          },
        },
        headers,
      );
    },
    answer: ({ turn, body, res }) => {
      const model = turn.model ?? String(body.model);
      const usage = turn.usage ?? DEFAULT_USAGE;
      const calls = (turn.toolCalls ?? []).map((call, index) => ({
        id: call.id ?? `call_${index}_${Math.random().toString(36).slice(2, 8)}`,
        name: call.name,
        args: argumentsText(call),
      }));
      const finish = turn.refusal !== undefined ? 'stop' : calls.length > 0 ? 'tool_calls' : 'stop';
      const usageBody = {
        prompt_tokens: usage.input,
        completion_tokens: usage.output,
        total_tokens: usage.input + usage.output,
      };
      const id = `chatcmpl-${Math.random().toString(36).slice(2, 10)}`;
      const created = Math.floor(Date.now() / 1000);
      if (body.stream !== true) {
        sendJson(res, 200, {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: turn.text ?? null,
                refusal: turn.refusal ?? null,
                ...(calls.length > 0
                  ? {
                      tool_calls: calls.map((c) => ({
                        id: c.id,
                        type: 'function',
                        function: { name: c.name, arguments: c.args },
                      })),
                    }
                  : {}),
              },
              finish_reason: finish,
            },
          ],
          usage: usageBody,
        });
        return;
      }
      const pieces = turn.pieces ?? 3;
      const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
        data: {
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [{ index: 0, delta, finish_reason: finishReason }],
        },
      });
      const events: { data: unknown }[] = [chunk({ role: 'assistant', content: '' })];
      for (const piece of split(turn.text ?? '', pieces)) events.push(chunk({ content: piece }));
      for (const piece of split(turn.refusal ?? '', pieces)) events.push(chunk({ refusal: piece }));
      calls.forEach((call, index) => {
        events.push(
          chunk({
            tool_calls: [
              {
                index,
                id: call.id,
                type: 'function',
                function: { name: call.name, arguments: '' },
              },
            ],
          }),
        );
        for (const piece of split(call.args, pieces)) {
          events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
        }
      });
      events.push(chunk({}, finish));
      const options = body.stream_options as { include_usage?: boolean } | undefined;
      if (options?.include_usage === true) {
        events.push({
          data: {
            id,
            object: 'chat.completion.chunk',
            created,
            model,
            choices: [],
            usage: usageBody,
          },
        });
      }
      events.push({ data: '[DONE]' });
      sendSse(res, events);
    },
  });
}

function validate(
  request: RecordedLlmRequest,
  apiKey: string | undefined,
): { status: number; message: string } | null {
  if (apiKey !== undefined && request.headers.authorization !== `Bearer ${apiKey}`) {
    return { status: 401, message: 'Incorrect API key provided' };
  }
  const { body } = request;
  if (typeof body.model !== 'string' || body.model === '') {
    return { status: 400, message: 'you must provide a model parameter' };
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return { status: 400, message: "'messages' must be a non-empty array" };
  }
  let pending = new Set<string>();
  for (const [index, raw] of (body.messages as Record<string, unknown>[]).entries()) {
    const role = raw.role;
    if (role === 'tool') {
      const id = raw.tool_call_id;
      if (typeof id !== 'string' || !pending.has(id)) {
        return {
          status: 400,
          message: `messages[${index}]: a message with role 'tool' must be a response to a preceding message with 'tool_calls' (no call ${String(id)})`,
        };
      }
      pending.delete(id);
      continue;
    }
    if (pending.size > 0) {
      return {
        status: 400,
        message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. Missing: ${[...pending].join(', ')}`,
      };
    }
    if (role === 'assistant' && Array.isArray(raw.tool_calls)) {
      pending = new Set((raw.tool_calls as { id: string }[]).map((c) => c.id));
    }
  }
  return null;
}
